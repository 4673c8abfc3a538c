import { reconstructWeights, shareWeights } from "@mc/cluster";
import { createRng, type Tensor } from "@mc/core";
import { linearDynamicInt8, matmulNBits, packLinearInt8, sparseCodebookLinear } from "@mc/kernels";
import { applyMask, decodeRelativeIndices, magnitudeMask } from "@mc/prune";
import { dequantize, quantizeBlockwise, quantizePerChannel, quantizePerTensor } from "@mc/quant";
import { describe, expect, it } from "vitest";
import { decodeMcz, encodeMcz, expandMczEntry, sparseSharedFromIndices, toKernelPack } from "../src/index";
import { randomFloats, randomQuantized } from "./model-fixtures";

/**
 * The encodings checked against the packages that produce and consume them: @mc/prune and
 * @mc/cluster build a Deep Compression layer, @mc/quant quantizes, @mc/kernels runs the packs.
 */

/** Symmetric int8 weight quantization (scale = max|w| / 127) through @mc/quant's quantizers. */
function quantizeWeightInt8(weight: Tensor<Float32Array>, { perChannel }: { perChannel: boolean }) {
  const rows = weight.shape[0] as number;
  const cols = weight.data.length / rows;
  if (!perChannel) {
    const scale = weight.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0) / 127;
    return quantizePerTensor(weight, scale, 0, "int8");
  }
  const scales = Float32Array.from(
    { length: rows },
    (_, r) => weight.data.subarray(r * cols, (r + 1) * cols).reduce((a, v) => Math.max(a, Math.abs(v)), 0) / 127,
  );
  return quantizePerChannel(weight, scales, new Int32Array(rows), 0, "int8");
}

function sameBits(a: Float32Array, b: Float32Array, label: string): void {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) throw new Error(`${label}: length ${x.length} vs ${y.length}`);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) throw new Error(`${label}: index ${i}: ${a[i]} vs ${b[i]}`);
}

/** Reference y = x·Wᵀ in float64 for W [rows × cols]. */
function referenceLinear(x: Float32Array, batch: number, w: Tensor<Float32Array>): Float64Array {
  const rows = w.shape[0] as number;
  const cols = w.data.length / rows;
  const y = new Float64Array(batch * rows);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let c = 0; c < cols; c++) acc += (x[b * cols + c] as number) * (w.data[r * cols + c] as number);
      y[b * rows + r] = acc;
    }
  }
  return y;
}

function expectClose(
  actual: Float32Array,
  expected: Float64Array,
  tolerance: (i: number) => number,
  label: string,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(diff <= tolerance(i)))
      throw new Error(`${label}: index ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance(i)})`);
  }
}

describe("Deep Compression layer through prune → cluster → .mcz → kernels", () => {
  const rng = createRng(21);
  const weight = { data: randomFloats(rng, 64 * 100, 0.1), shape: [64, 100] };
  const { mask } = magnitudeMask(weight, { sparsity: 0.9 });
  const pruned = applyMask(weight, mask) as Tensor<Float32Array>;
  const shared = shareWeights(pruned, { clusters: 16, seed: 1 });
  const sparse = sparseSharedFromIndices(shared, { indexBits: 5 });
  const bytes = encodeMcz({
    entries: [{ name: "fc.weight", kind: "linear.weight", encoding: "sparse-shared", sparse }],
  });
  const [entry] = decodeMcz(bytes).entries;

  it("decodes to exactly cluster's reconstructWeights, and prune's decodeRelativeIndices agrees on positions", () => {
    const reconstructed = reconstructWeights(shared);
    sameBits(expandMczEntry(entry!).data, reconstructed.data, "expanded vs reconstructWeights");
    if (entry?.encoding !== "sparse-shared") throw new Error("wrong encoding");
    const values = Float32Array.from(entry.sparse.codes, (c) => shared.codebook[c] as number);
    const viaPrune = decodeRelativeIndices({
      gaps: entry.sparse.gaps,
      values,
      length: 6400,
      indexBits: 5,
      fillerCount: 0,
    });
    sameBits(viaPrune, reconstructed.data, "prune decodeRelativeIndices");
  });

  it("stores the layer well below its fp32 size", () => {
    expect(bytes.length).toBeLessThan((6400 * 4) / 10);
  });

  it("hands a CSR + codebook pack to sparseCodebookLinear that matches x·Wᵀ", () => {
    const pack = toKernelPack(entry!);
    if (pack.type !== "sparse-codebook") throw new Error(`got ${pack.type}`);
    const x = randomFloats(rng, 3 * 100);
    const y = sparseCodebookLinear(x, 3, pack.weight);
    const reference = referenceLinear(x, 3, reconstructWeights(shared));
    expectClose(y, reference, (i) => 1e-5 * (1 + Math.abs(reference[i] as number)), "sparseCodebookLinear");
    expect(pack.weight.rowPointers[64]).toBe(mask.reduce((a, b) => a + b, 0));
  });
});

describe("@mc/quant tensors through .mcz", () => {
  const rng = createRng(22);

  it("int8 per-channel weights round-trip bitwise and dequantize like @mc/quant", () => {
    const weight = { data: randomFloats(rng, 12 * 20), shape: [12, 20] };
    for (const perChannel of [true, false]) {
      const q = quantizeWeightInt8(weight, { perChannel });
      const [entry] = decodeMcz(encodeMcz({ entries: [{ name: "w", encoding: "quantized", quantized: q }] })).entries;
      sameBits(expandMczEntry(entry!).data, dequantize(q).data, `perChannel ${perChannel}`);
    }
  });

  it("int4/uint4 blockwise weights dequantize like @mc/quant", () => {
    const weight = { data: randomFloats(rng, 8 * 64), shape: [8, 64] };
    for (const dtype of ["int4", "uint4"] as const) {
      for (const symmetric of [true, false]) {
        const q = quantizeBlockwise(weight, { blockSize: 16, dtype, symmetric });
        const [entry] = decodeMcz(encodeMcz({ entries: [{ name: "w", encoding: "quantized", quantized: q }] })).entries;
        sameBits(expandMczEntry(entry!).data, dequantize(q).data, `${dtype} symmetric ${symmetric}`);
      }
    }
  });

  it("packs int8 weights for packLinearInt8 + linearDynamicInt8 within activation-quantization error", () => {
    const weight = { data: randomFloats(rng, 10 * 32), shape: [10, 32] };
    const q = quantizeWeightInt8(weight, { perChannel: true });
    const [entry] = decodeMcz(encodeMcz({ entries: [{ name: "w", encoding: "quantized", quantized: q }] })).entries;
    const pack = toKernelPack(entry!);
    if (pack.type !== "int8-linear") throw new Error(`got ${pack.type}`);
    const packed = packLinearInt8(pack.weight, pack.options);
    const x = randomFloats(rng, 2 * 32);
    const y = linearDynamicInt8(x, 2, packed);
    const dense = dequantize(q);
    const reference = referenceLinear(x, 2, dense);
    // uint8 activations: each x is off by at most half a step, scale = range / 255.
    const step = (Math.max(0, ...x) - Math.min(0, ...x)) / 255;
    const rowAbs = Array.from({ length: 10 }, (_, r) =>
      dense.data.subarray(r * 32, r * 32 + 32).reduce((a, v) => a + Math.abs(v), 0),
    );
    expectClose(y, reference, (i) => (step / 2) * (rowAbs[i % 10] as number) * 1.01 + 1e-5, "linearDynamicInt8");
  });

  it("packs int4 blockwise weights for matmulNBits (k not a multiple of the block, padded) matching x·Wᵀ", () => {
    for (const dtype of ["int4", "uint4"] as const) {
      const q = randomQuantized(rng, dtype, [6, 40], { axis: 1, blockSize: 16 });
      const [entry] = decodeMcz(encodeMcz({ entries: [{ name: "w", encoding: "quantized", quantized: q }] })).entries;
      const pack = toKernelPack(entry!);
      if (pack.type !== "nbits") throw new Error(`got ${pack.type}`);
      const x = randomFloats(rng, 2 * 40);
      const y = matmulNBits(x, { m: 2, ...pack.options });
      const reference = referenceLinear(x, 2, expandMczEntry(entry!));
      expectClose(y, reference, (i) => 1e-4 * (1 + Math.abs(reference[i] as number)), `matmulNBits ${dtype}`);
    }
  });

  it("says why a pack is impossible (asymmetric int8) with UnsupportedError", () => {
    const q = randomQuantized(rng, "int8", [3, 4], { axis: 0 }, false);
    expect(() => toKernelPack({ name: "w", encoding: "quantized", quantized: q })).toThrow(
      /nonzero weight zero points/,
    );
  });
});
