import { createRng } from "@mc/core";
import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { chooseQParams } from "../src/choose-qparams";
import { dequantize } from "../src/dequantize";
import { dynamicQuantizeLinear } from "../src/dynamic-quantize-linear";
import { type QuantDtype, quantRange, unpackQuantData } from "../src/quant-dtype";
import { quantizeBlockwise } from "../src/quantize-blockwise";
import { quantizePerChannel } from "../src/quantize-per-channel";
import { quantizePerTensor } from "../src/quantize-per-tensor";
import { expectArraysEqual } from "./helpers";
import { buildModel, buildSingleNodeModel, OnnxType } from "./onnx-builder";

// Oracle suite: every integer and every dequantized float must equal onnxruntime's, bit for bit.

const elemTypes = { int8: OnnxType.INT8, uint8: OnnxType.UINT8, int4: OnnxType.INT4, uint4: OnnxType.UINT4 } as const;

function ortTensor(dtype: QuantDtype, data: Int8Array | Uint8Array | Int32Array, dims: number[]) {
  if (dtype === "int8") return new ort.Tensor("int8", Int8Array.from(data), dims);
  if (dtype === "uint8") return new ort.Tensor("uint8", Uint8Array.from(data), dims);
  return new ort.Tensor(dtype, Uint8Array.from(data), dims);
}

/** Values that hit exact .5 ties of x / scale (scale a power of two), saturate at both ends, and random ones. */
function testValues(count: number, seed: number, scale: number, span: number): Float32Array {
  const rng = createRng(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0)
      data[i] = (rng.integer(-2 * span, 2 * span) + 0.5) * scale; // exact tie
    else if (kind === 1)
      data[i] = (rng.uniform() * 2 - 1) * span * 4 * scale; // often saturates
    else data[i] = (rng.uniform() * 2 - 1) * span * scale;
  }
  return data;
}

async function runQuantizeLinear(
  x: Float32Array,
  shape: number[],
  scales: Float32Array,
  zeroPoints: Int32Array,
  dtype: QuantDtype,
  attributes: Record<string, number> = {},
  paramShape: number[] = scales.length === 1 && attributes.axis === undefined ? [] : [scales.length],
) {
  const model = buildSingleNodeModel(
    { opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["y"], intAttributes: attributes },
    [
      { name: "x", elemType: OnnxType.FLOAT, shape },
      { name: "s", elemType: OnnxType.FLOAT, shape: paramShape },
      { name: "z", elemType: elemTypes[dtype], shape: paramShape },
    ],
    [{ name: "y", elemType: elemTypes[dtype], shape }],
  );
  const session = await ort.InferenceSession.create(model);
  const zp = dtype === "int4" || dtype === "uint4" ? packForOrt(zeroPoints, dtype) : zeroPoints;
  const result = await session.run({
    x: new ort.Tensor("float32", x, shape),
    s: new ort.Tensor("float32", scales, paramShape),
    z: ortTensor(dtype, zp, paramShape),
  });
  return result.y?.data as Int8Array | Uint8Array;
}

function packForOrt(values: Int32Array, _dtype: QuantDtype): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++)
    out[i >> 1] = (out[i >> 1] as number) | (((values[i] as number) & 0xf) << (i & 1 ? 4 : 0));
  return out;
}

async function runDequantizeLinear(
  q: Int8Array | Uint8Array,
  shape: number[],
  scales: Float32Array,
  zeroPoints: Int32Array,
  dtype: QuantDtype,
  attributes: Record<string, number> = {},
  paramShape: number[] = scales.length === 1 && attributes.axis === undefined ? [] : [scales.length],
) {
  const model = buildSingleNodeModel(
    { opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"], intAttributes: attributes },
    [
      { name: "q", elemType: elemTypes[dtype], shape },
      { name: "s", elemType: OnnxType.FLOAT, shape: paramShape },
      { name: "z", elemType: elemTypes[dtype], shape: paramShape },
    ],
    [{ name: "y", elemType: OnnxType.FLOAT, shape }],
  );
  const session = await ort.InferenceSession.create(model);
  const zp = dtype === "int4" || dtype === "uint4" ? packForOrt(zeroPoints, dtype) : zeroPoints;
  const result = await session.run({
    q: ortTensor(dtype, q, shape),
    s: new ort.Tensor("float32", scales, paramShape),
    z: ortTensor(dtype, zp, paramShape),
  });
  return result.y?.data as Float32Array;
}

describe("QuantizeLinear / DequantizeLinear per tensor, bit-exact against onnxruntime", () => {
  for (const dtype of ["int8", "uint8"] as const) {
    it(`${dtype}: exact .5 ties, saturation and random values, several scales and zero points`, async () => {
      const { qmin, qmax } = quantRange(dtype);
      const cases = [
        { scale: 0.25, zeroPoint: dtype === "int8" ? 0 : 128 },
        { scale: 2 ** -7, zeroPoint: dtype === "int8" ? -17 : 3 },
        { scale: 0.0123456, zeroPoint: dtype === "int8" ? 100 : 250 },
        { scale: 3.7, zeroPoint: qmin },
        { scale: 1e-3, zeroPoint: qmax },
      ];
      for (const [c, { scale, zeroPoint }] of cases.entries()) {
        const shape = [5, 41];
        const x = testValues(205, 10 + c, scale, 128);
        const ours = quantizePerTensor({ data: x, shape }, scale, zeroPoint, dtype);
        const theirs = await runQuantizeLinear(x, shape, Float32Array.of(scale), Int32Array.of(zeroPoint), dtype);
        expectArraysEqual(ours.data, theirs, `${dtype} quantize case ${c} (scale ${scale}, zp ${zeroPoint})`, shape);
        const back = await runDequantizeLinear(ours.data, shape, ours.scale, ours.zeroPoint, dtype);
        expectArraysEqual(dequantize(ours).data, back, `${dtype} dequantize case ${c}`, shape);
      }
    });
  }

  it("the random values really contain ties and saturation (the suite cannot pass vacuously)", () => {
    const x = testValues(205, 10, 0.25, 128);
    let ties = 0;
    let saturated = 0;
    for (const v of x) {
      const t = v / 0.25;
      if (t - Math.floor(t) === 0.5) ties++;
      if (Math.abs(t) > 128) saturated++;
    }
    expect(ties).toBeGreaterThan(40);
    expect(saturated).toBeGreaterThan(20);
  });
});

describe("QuantizeLinear / DequantizeLinear per axis, bit-exact against onnxruntime", () => {
  for (const dtype of ["int8", "uint8"] as const) {
    it(`${dtype}: every axis of a [3, 4, 5] tensor with random per-channel scales and zero points`, async () => {
      const shape = [3, 4, 5];
      const { qmin, qmax } = quantRange(dtype);
      for (const axis of [0, 1, 2]) {
        const rng = createRng(100 + axis);
        const channels = shape[axis] as number;
        const scales = new Float32Array(channels);
        const zeroPoints = new Int32Array(channels);
        for (let c = 0; c < channels; c++) {
          scales[c] = c % 2 === 0 ? 2 ** -rng.integer(2, 8) : 0.001 + rng.uniform() * 0.05;
          zeroPoints[c] = rng.integer(qmin, qmax);
        }
        const x = testValues(60, 200 + axis, 0.02, 128);
        const ours = quantizePerChannel({ data: x, shape }, scales, zeroPoints, axis, dtype);
        const theirs = await runQuantizeLinear(x, shape, scales, zeroPoints, dtype, { axis });
        expectArraysEqual(ours.data, theirs, `${dtype} axis ${axis}`, shape);
        const back = await runDequantizeLinear(ours.data, shape, scales, zeroPoints, dtype, { axis });
        expectArraysEqual(dequantize(ours).data, back, `${dtype} dequantize axis ${axis}`, shape);
      }
    });
  }
});

/**
 * onnxruntime-node cannot hand 4-bit tensors across its JS boundary, so 4-bit cases run
 * QuantizeLinear → DequantizeLinear inside one graph (zero point as an int4/uint4 initializer)
 * and compare the floats; distinct integers dequantize to distinct floats, so equal floats
 * mean equal integers.
 */
async function runQdqChain(
  x: Float32Array,
  shape: number[],
  scales: Float32Array,
  zeroPoints: Int32Array,
  dtype: QuantDtype,
  attributes: Record<string, number> = {},
  paramShape: number[] = scales.length === 1 && attributes.axis === undefined ? [] : [scales.length],
) {
  const zeroPointBytes =
    dtype === "int4" || dtype === "uint4"
      ? packForOrt(zeroPoints, dtype)
      : new Uint8Array(Int8Array.from(zeroPoints).buffer);
  const model = buildModel(
    [
      { opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"], intAttributes: attributes },
      { opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"], intAttributes: attributes },
    ],
    [
      { name: "x", elemType: OnnxType.FLOAT, shape },
      { name: "s", elemType: OnnxType.FLOAT, shape: paramShape },
    ],
    [{ name: "y", elemType: OnnxType.FLOAT, shape }],
    [{ name: "z", elemType: elemTypes[dtype], dims: paramShape, raw: zeroPointBytes }],
  );
  const session = await ort.InferenceSession.create(model);
  const result = await session.run({
    x: new ort.Tensor("float32", x, shape),
    s: new ort.Tensor("float32", scales, paramShape),
  });
  return result.y?.data as Float32Array;
}

describe("4-bit and blocked QuantizeLinear / DequantizeLinear (opset 21), bit-exact against onnxruntime", () => {
  for (const dtype of ["int4", "uint4"] as const) {
    it(`${dtype} per tensor and per axis: quantize → dequantize equals onnxruntime's Q→DQ`, async () => {
      const shape = [7, 9];
      const x = testValues(63, 300, 0.5, 8);
      const zeroPoint = dtype === "int4" ? -2 : 9;
      const ours = quantizePerTensor({ data: x, shape }, 0.5, zeroPoint, dtype);
      const theirs = await runQdqChain(x, shape, Float32Array.of(0.5), Int32Array.of(zeroPoint), dtype);
      expectArraysEqual(dequantize(ours).data, theirs, `${dtype} per tensor`, shape);
      const scales = Float32Array.from({ length: 9 }, (_, c) => 0.125 * (c + 1));
      const zeroPoints = Int32Array.from({ length: 9 }, (_, c) => (dtype === "int4" ? c - 4 : c + 3));
      const perAxis = quantizePerChannel({ data: x, shape }, scales, zeroPoints, 1, dtype);
      const theirsPerAxis = await runQdqChain(x, shape, scales, zeroPoints, dtype, { axis: 1 });
      expectArraysEqual(dequantize(perAxis).data, theirsPerAxis, `${dtype} per axis`, shape);
    });
  }

  it("blocked quantization (block_size attribute) of quantizeBlockwise's parameters, all four dtypes", async () => {
    const shape = [6, 16];
    const rng = createRng(400);
    const x = new Float32Array(96);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal() * (1 + (i % 16));
    for (const dtype of ["int8", "uint8", "int4", "uint4"] as const) {
      const q = quantizeBlockwise({ data: x, shape }, { blockSize: 4, axis: 1, dtype });
      const attributes = { axis: 1, block_size: 4 };
      const theirs = await runQdqChain(x, shape, q.scale, q.zeroPoint, dtype, attributes, [6, 4]);
      expectArraysEqual(dequantize(q).data, theirs, `${dtype} blocked Q→DQ`, shape);
      if (dtype === "int8" || dtype === "uint8") {
        const direct = await runQuantizeLinear(x, shape, q.scale, q.zeroPoint, dtype, attributes, [6, 4]);
        expectArraysEqual(q.data, direct, `${dtype} blocked quantize`, shape);
      }
    }
  });
});

describe("DynamicQuantizeLinear, bit-exact against onnxruntime", () => {
  it("random tensors: mixed signs, all positive, all negative, wide and narrow ranges", async () => {
    const shape = [257];
    const model = buildSingleNodeModel(
      { opType: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["y", "s", "z"] },
      [{ name: "x", elemType: OnnxType.FLOAT, shape }],
      [
        { name: "y", elemType: OnnxType.UINT8, shape },
        { name: "s", elemType: OnnxType.FLOAT, shape: [] },
        { name: "z", elemType: OnnxType.UINT8, shape: [] },
      ],
    );
    const session = await ort.InferenceSession.create(model);
    for (let trial = 0; trial < 24; trial++) {
      const rng = createRng(500 + trial);
      const spread = 10 ** rng.integer(-4, 4);
      const offset = [0, 0.7, -0.7, 0.3][trial % 4] as number;
      const x = new Float32Array(257);
      for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5 + offset) * spread;
      const ours = dynamicQuantizeLinear({ data: x, shape });
      const theirs = await session.run({ x: new ort.Tensor("float32", x, shape) });
      expect(ours.scale, `trial ${trial} scale`).toBe((theirs.s!.data as Float32Array)[0]);
      expect(ours.zeroPoint, `trial ${trial} zero point`).toBe((theirs.z!.data as Uint8Array)[0]);
      expectArraysEqual(ours.data, theirs.y?.data as Uint8Array, `trial ${trial} y`, shape);
    }
  });
});

describe("chooseQParams feeds QuantizeLinear consistently", () => {
  it("asymmetric int8/uint8 params from a tensor's range quantize it exactly as onnxruntime", async () => {
    const shape = [128];
    const rng = createRng(600);
    const x = new Float32Array(128);
    for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 0.3 + 0.1;
    for (const dtype of ["int8", "uint8"] as const) {
      const { scale, zeroPoint } = chooseQParams({ min: Math.min(...x), max: Math.max(...x) }, { dtype });
      const ours = quantizePerTensor({ data: x, shape }, scale, zeroPoint, dtype);
      const theirs = await runQuantizeLinear(x, shape, Float32Array.of(scale), Int32Array.of(zeroPoint), dtype);
      expectArraysEqual(ours.data, theirs, dtype, shape);
      expect(unpackQuantData(ours.data, dtype, 128).some((v) => v === quantRange(dtype).qmin)).toBe(true);
    }
  });
});
