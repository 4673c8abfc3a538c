import { createRng, InvalidArgumentError, roundHalfEven, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectArraysEqual, expectMcError, tensor } from "../test/helpers";
import { chooseQParams } from "./choose-qparams";
import { dequantize } from "./dequantize";
import { quantRange, unpackQuantData } from "./quant-dtype";
import { quantizeBlockwise } from "./quantize-blockwise";
import { quantizePerChannel } from "./quantize-per-channel";
import { quantizePerTensor } from "./quantize-per-tensor";

function randomTensor(shape: number[], seed: number, spread = 3) {
  const rng = createRng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * spread;
  return { data, shape };
}

describe("quantizePerTensor", () => {
  it("reproduces PyTorch's documented example (scale 0.5, zero point 8, quint8)", () => {
    const x = tensor([0.6839, 0.4741, 0.7451, 0.9301, 0.1742, 0.6835], [2, 3]);
    const q = quantizePerTensor(x, 0.5, 8, "uint8");
    expect(q.data).toBeInstanceOf(Uint8Array);
    expectArraysEqual(q.data, [9, 9, 9, 10, 8, 9], "q", [2, 3]);
    expect(q.shape).toEqual([2, 3]);
    expectArraysEqual(dequantize(q).data, [0.5, 0.5, 0.5, 1, 0, 0.5], "dequantized", [2, 3]);
  });

  it("rounds exact .5 ties to even, for positive and negative values", () => {
    const q = quantizePerTensor(tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5]), 1, 0, "int8");
    expectArraysEqual(q.data, [0, 2, 2, 4, 0, -2, -2, -4], "q");
  });

  it("saturates at the dtype's ends instead of wrapping", () => {
    const x = tensor([1000, -1000, 127.4, 127.6, -128.6]);
    expectArraysEqual(quantizePerTensor(x, 1, 0, "int8").data, [127, -128, 127, 127, -128], "int8");
    expectArraysEqual(quantizePerTensor(x, 1, 10, "uint8").data, [255, 0, 137, 138, 0], "uint8");
    expectArraysEqual(unpackQuantData(quantizePerTensor(x, 1, 0, "int4").data, "int4", 5), [7, -8, 7, 7, -8], "int4");
    expectArraysEqual(
      unpackQuantData(quantizePerTensor(x, 1, 3, "uint4").data, "uint4", 5),
      [15, 0, 15, 15, 0],
      "uint4",
    );
  });

  it("packs 4-bit values two per byte, low nibble first (odd counts pad the last high nibble with 0)", () => {
    const signed = quantizePerTensor(tensor([1, -1, -8]), 1, 0, "int4");
    expectArraysEqual(signed.data, [0xf1, 0x08], "int4 bytes");
    const unsigned = quantizePerTensor(tensor([3, 12, 15, 0]), 1, 0, "uint4");
    expectArraysEqual(unsigned.data, [0xc3, 0x0f], "uint4 bytes");
    expectArraysEqual(dequantize(signed).data, [1, -1, -8], "int4 round trip");
  });

  it("dequantize(quantize(x)) is within half a step of x inside the representable range", () => {
    const x = randomTensor([7, 13], 1);
    for (const dtype of ["int8", "uint8", "int4", "uint4"] as const) {
      const { scale, zeroPoint } = chooseQParams({ min: -3, max: 3 }, { dtype });
      const back = dequantize(quantizePerTensor(x, scale, zeroPoint, dtype)).data;
      for (let i = 0; i < x.data.length; i++) {
        const err = Math.abs((back[i] as number) - (x.data[i] as number));
        if (err > scale / 2 + 1e-6) expect.fail(`${dtype} index ${i}: x ${x.data[i]}, back ${back[i]}, scale ${scale}`);
      }
    }
  });

  it("accepts a scalar tensor and an empty tensor", () => {
    expectArraysEqual(quantizePerTensor({ data: Float32Array.of(2), shape: [] }, 0.5, 0).data, [4], "scalar");
    expect(quantizePerTensor({ data: new Float32Array(0), shape: [0, 3] }, 1, 0, "int4").data.length).toBe(0);
  });

  it("rejects NaN/Infinity, bad scales, zero points outside the dtype, and non-float data", () => {
    expectMcError(
      () => quantizePerTensor(tensor([1, Number.NaN]), 1, 0),
      InvalidArgumentError,
      "quantizePerTensor",
      "NaN",
      "index 1",
    );
    expectMcError(() => quantizePerTensor(tensor([Number.NEGATIVE_INFINITY]), 1, 0), InvalidArgumentError, "-Infinity");
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-50, 1e40]) {
      expectMcError(
        () => quantizePerTensor(tensor([1]), bad, 0),
        InvalidArgumentError,
        "quantizePerTensor: scale",
        String(bad),
      );
    }
    expectMcError(
      () => quantizePerTensor(tensor([1]), 1, 256, "uint8"),
      InvalidArgumentError,
      "zeroPoint",
      "[0, 255]",
      "256",
    );
    expectMcError(() => quantizePerTensor(tensor([1]), 1, -1, "uint8"), InvalidArgumentError, "zeroPoint");
    expectMcError(() => quantizePerTensor(tensor([1]), 1, 8, "int4"), InvalidArgumentError, "[-8, 7]");
    expectMcError(() => quantizePerTensor(tensor([1]), 1, 0.5, "int8"), InvalidArgumentError, "zeroPoint");
    expectMcError(() => quantizePerTensor(tensor([1]), 1, 0, "int16" as never), InvalidArgumentError, "dtype");
    expectMcError(
      () => quantizePerTensor({ data: Float64Array.of(1) as never, shape: [1] }, 1, 0),
      InvalidArgumentError,
      "Float32Array",
    );
    expectMcError(
      () => quantizePerTensor({ data: new Float32Array(3), shape: [2, 2] }, 1, 0),
      ShapeMismatchError,
      "[2, 2]",
    );
  });
});

/** Slow reference: explicit multi-index of every element, the channel read off directly. */
function referencePerChannel(
  x: { data: Float32Array; shape: number[] },
  scales: number[],
  zps: number[],
  axis: number,
) {
  const { qmin, qmax } = quantRange("int8");
  const out: number[] = [];
  const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / (strides[axis] as number)) % (x.shape[axis] as number);
    const s = Math.fround(scales[c] as number);
    const q = roundHalfEven(Math.fround((x.data[i] as number) / s)) + (zps[c] as number);
    out.push(Math.min(qmax, Math.max(qmin, q)));
  }
  return out;
}

describe("quantizePerChannel", () => {
  it("matches a slow per-element reference on every axis of a rank-3 tensor (negative axis too)", () => {
    const x = randomTensor([3, 4, 5], 2);
    for (const axis of [0, 1, 2, -1]) {
      const dim = x.shape[(axis + 3) % 3] as number;
      const scales = Array.from({ length: dim }, (_, c) => 0.01 + 0.007 * c);
      const zps = Array.from({ length: dim }, (_, c) => c * 3 - 5);
      const q = quantizePerChannel(x, scales, zps, axis, "int8");
      expect(q.axis).toBe((axis + 3) % 3);
      expectArraysEqual(q.data, referencePerChannel(x, scales, zps, (axis + 3) % 3), `axis ${axis}`, x.shape);
      const back = dequantize(q).data;
      for (let i = 0; i < back.length; i++) {
        const c = referenceChannel(i, x.shape, (axis + 3) % 3);
        expect(back[i]).toBe(
          Math.fround(((q.data[i] as number) - (zps[c] as number)) * Math.fround(scales[c] as number)),
        );
      }
    }
  });

  it("rejects an axis out of range, mismatched parameter counts and bad per-channel values", () => {
    const x = { data: new Float32Array(64 * 128), shape: [64, 128] };
    expectMcError(
      () => quantizePerChannel(x, [1], [0], 3),
      InvalidArgumentError,
      "quantizePerChannel: axis 3 is out of range for shape [64, 128]",
    );
    expectMcError(() => quantizePerChannel(x, [1], [0], -3), InvalidArgumentError, "axis -3 is out of range");
    expectMcError(() => quantizePerChannel(x, [1, 2], [0, 0], 0), ShapeMismatchError, "scales has 2 entries but 64");
    const scales = new Array(64).fill(1);
    const zps = new Array(64).fill(0);
    scales[5] = 0;
    expectMcError(() => quantizePerChannel(x, scales, zps, 0), InvalidArgumentError, "scales[5]");
    scales[5] = 1;
    zps[9] = 128;
    expectMcError(() => quantizePerChannel(x, scales, zps, 0), InvalidArgumentError, "zeroPoints[9]", "128");
  });
});

function referenceChannel(i: number, shape: number[], axis: number) {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Math.floor(i / inner) % (shape[axis] as number);
}

describe("quantizeBlockwise", () => {
  it("gives each block the qparams of its own min/max and stays within half a step", () => {
    const x = randomTensor([4, 16], 3);
    const q = quantizeBlockwise(x, { blockSize: 8, dtype: "uint4" });
    expect(q.scale.length).toBe(8);
    expect(q.axis).toBe(1);
    expect(q.blockSize).toBe(8);
    const back = dequantize(q).data;
    for (let row = 0; row < 4; row++) {
      for (let block = 0; block < 2; block++) {
        const values = Array.from(x.data.subarray(row * 16 + block * 8, row * 16 + block * 8 + 8));
        const expected = chooseQParams({ min: Math.min(...values), max: Math.max(...values) }, { dtype: "uint4" });
        expect(q.scale[row * 2 + block]).toBe(Math.fround(expected.scale));
        expect(q.zeroPoint[row * 2 + block]).toBe(expected.zeroPoint);
        for (let j = 0; j < 8; j++) {
          const i = row * 16 + block * 8 + j;
          expect(Math.abs((back[i] as number) - (x.data[i] as number))).toBeLessThanOrEqual(expected.scale / 2 + 1e-6);
        }
      }
    }
  });

  it("lays 4-bit data out as MatMulNBits: [n][k / blockSize][blockSize / 2] bytes, low nibble first", () => {
    const x = randomTensor([3, 8], 4);
    const q = quantizeBlockwise(x, { blockSize: 4, dtype: "uint4", axis: 1 });
    const values = unpackQuantData(q.data, "uint4", 24);
    for (let n = 0; n < 3; n++) {
      for (let b = 0; b < 2; b++) {
        for (let j = 0; j < 2; j++) {
          const byte = q.data[n * 4 + b * 2 + j] as number;
          expect(byte & 0xf).toBe(values[n * 8 + b * 4 + 2 * j]);
          expect(byte >> 4).toBe(values[n * 8 + b * 4 + 2 * j + 1]);
        }
      }
    }
  });

  it("blocks along axis 0 use the ONNX layout (parameters shaped [rows / blockSize, cols])", () => {
    const x = randomTensor([4, 3], 5);
    const q = quantizeBlockwise(x, { blockSize: 2, axis: 0, dtype: "int8", symmetric: true });
    expect(q.scale.length).toBe(6);
    for (let b = 0; b < 2; b++) {
      for (let col = 0; col < 3; col++) {
        const a = x.data[2 * b * 3 + col] as number;
        const c = x.data[(2 * b + 1) * 3 + col] as number;
        const expected = chooseQParams(
          { min: Math.min(a, c), max: Math.max(a, c) },
          { dtype: "int8", symmetric: true },
        );
        expect(q.scale[b * 3 + col]).toBe(expected.scale);
        expect(q.zeroPoint[b * 3 + col]).toBe(0);
      }
    }
  });

  it("rejects a block size that does not divide the axis, and a bad axis", () => {
    const x = randomTensor([4, 10], 6);
    expectMcError(
      () => quantizeBlockwise(x, { blockSize: 4 }),
      InvalidArgumentError,
      "quantizeBlockwise: options.blockSize 4 does not divide dimension 1 (10) of shape [4, 10]",
    );
    expectMcError(() => quantizeBlockwise(x, { blockSize: 0 }), InvalidArgumentError, "options.blockSize");
    expectMcError(
      () => quantizeBlockwise(x, { blockSize: 2, axis: 2 }),
      InvalidArgumentError,
      "options.axis 2 is out of range",
    );
  });
});

describe("dequantize", () => {
  it("rejects inconsistent quantized tensors", () => {
    const q = quantizePerTensor(tensor([1, 2, 3]), 0.1, 0, "int4");
    expectMcError(
      () => dequantize({ ...q, data: new Uint8Array(1) }),
      ShapeMismatchError,
      "q.data has 1 bytes",
      "needs 2",
    );
    expectMcError(() => dequantize({ ...q, scale: Float32Array.of(1, 2) }), ShapeMismatchError, "q.scale");
    expectMcError(() => dequantize({ ...q, scale: Float32Array.of(-1) }), InvalidArgumentError, "q.scale[0]");
    expectMcError(() => dequantize({ ...q, axis: 4 }), InvalidArgumentError, "q.axis 4");
  });
});
