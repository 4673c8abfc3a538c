import { createRng, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectClose, withTier } from "../test/helpers";
import { availableTiers } from "./select-kernel";
import { packSparseConv2d, sparseConv2dPacked } from "./sparse-conv2d";
import type { SparseCodebookWeight } from "./sparse-linear";

/** A random sparse [out, in, k, k] weight as CSR over (c, ky, kx), codes into a codebook. */
function randomConvWeight(out: number, inC: number, k: number, density: number, seed: number, wide = false) {
  const rng = createRng(seed);
  const cols = inC * k * k;
  const rowPointers = new Int32Array(out + 1);
  const columns: number[] = [];
  for (let o = 0; o < out; o++) {
    for (let c = 0; c < cols; c++) if (rng.uniform() < density) columns.push(c);
    rowPointers[o + 1] = columns.length;
  }
  const codebook = Float32Array.from({ length: wide ? 300 : 16 }, () => rng.uniform() * 2 - 1);
  const codeIndices = wide ? new Uint16Array(columns.length) : new Uint8Array(columns.length);
  for (let e = 0; e < columns.length; e++) codeIndices[e] = rng.integer(0, codebook.length - 1);
  const weight: SparseCodebookWeight = {
    rows: out,
    cols,
    rowPointers,
    columnIndices: Int32Array.from(columns),
    codeIndices,
    codebook,
  };
  return weight;
}

/** The slow reference: the dense weight, six nested loops, float64 sums. */
function referenceConv(
  w: SparseCodebookWeight,
  inC: number,
  k: number,
  x: Float32Array,
  batch: number,
  height: number,
  width: number,
  bias: Float32Array | undefined,
  relu: boolean,
): Float32Array {
  const dense = new Float64Array(w.rows * w.cols);
  for (let o = 0; o < w.rows; o++)
    for (let e = w.rowPointers[o]!; e < w.rowPointers[o + 1]!; e++)
      dense[o * w.cols + w.columnIndices[e]!] = w.codebook[w.codeIndices[e]!]!;
  const oh = height - k + 1;
  const ow = width - k + 1;
  const y = new Float32Array(batch * w.rows * oh * ow);
  for (let b = 0; b < batch; b++)
    for (let o = 0; o < w.rows; o++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = bias?.[o] ?? 0;
          for (let c = 0; c < inC; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++)
                acc +=
                  dense[o * w.cols + (c * k + ky) * k + kx]! * x[((b * inC + c) * height + oy + ky) * width + ox + kx]!;
          y[((b * w.rows + o) * oh + oy) * ow + ox] = relu ? Math.max(0, acc) : acc;
        }
  return y;
}

for (const tier of availableTiers()) {
  describe(`sparseConv2dPacked on tier ${tier}`, () => {
    it("matches a dense six-loop convolution for kernel sizes 1-5, odd widths, batches 1 and 3, bias and ReLU", () => {
      let seed = 1;
      for (const [out, inC, k, height, width] of [
        [1, 1, 1, 1, 1],
        [4, 1, 3, 7, 9],
        [20, 1, 5, 28, 28],
        [6, 3, 3, 10, 13],
        [50, 20, 5, 12, 12],
      ] as const) {
        for (const wide of [false, true]) {
          const w = randomConvWeight(out, inC, k, 0.3, seed++, wide);
          const rng = createRng(seed++);
          const bias = Float32Array.from({ length: out }, () => rng.uniform() - 0.5);
          for (const batch of [1, 3]) {
            const x = Float32Array.from({ length: batch * inC * height * width }, () =>
              rng.uniform() < 0.5 ? 0 : rng.uniform(),
            );
            for (const relu of [false, true]) {
              const packed = packSparseConv2d(w, {
                inChannels: inC,
                kernelSize: k,
                bias,
                activation: relu ? "relu" : "none",
              });
              const y = withTier(tier, () => sparseConv2dPacked(x, { batch, height, width }, packed));
              const expected = referenceConv(w, inC, k, x, batch, height, width, bias, relu);
              expectClose(y, expected, [batch, out, height - k + 1, width - k + 1], {
                rtol: 1e-5,
                atol: 1e-5 * Math.sqrt(inC * k * k),
                what: `${tier} conv ${out}×${inC}×${k}×${k} on ${height}×${width}, batch ${batch}, relu ${relu}`,
              });
            }
          }
        }
      }
    });

    it("one pack serves inputs of different sizes (entry offsets follow the input size)", () => {
      const w = randomConvWeight(3, 2, 3, 0.5, 40);
      const packed = packSparseConv2d(w, { inChannels: 2, kernelSize: 3 });
      for (const [height, width] of [
        [5, 6],
        [9, 4],
        [5, 6],
      ] as const) {
        const x = Float32Array.from({ length: 2 * height * width }, (_, i) => Math.sin(i));
        const y = withTier(tier, () => sparseConv2dPacked(x, { batch: 1, height, width }, packed));
        expectClose(y, referenceConv(w, 2, 3, x, 1, height, width, undefined, false), [1, 3, height - 2, width - 2], {
          what: `${tier} ${height}×${width}`,
        });
      }
    });
  });
}

describe("packSparseConv2d", () => {
  it("rejects a weight that does not match the window, bad sizes and foreign packs, naming the values", () => {
    const w = randomConvWeight(4, 2, 3, 0.5, 50);
    expect(() => packSparseConv2d(w, { inChannels: 3, kernelSize: 3 })).toThrow(
      /weight has 18 columns but inChannels 3 × kernelSize² 9 = 27/,
    );
    expect(() => packSparseConv2d(w, { inChannels: 2, kernelSize: 0 })).toThrow(InvalidArgumentError);
    expect(() =>
      packSparseConv2d({ ...w, codebook: new Float32Array([Number.NaN]) }, { inChannels: 2, kernelSize: 3 }),
    ).toThrow(/weight\.codebook\[0\] = NaN is not finite/);
    const packed = packSparseConv2d(w, { inChannels: 2, kernelSize: 3 });
    expect(() => sparseConv2dPacked(new Float32Array(2 * 2 * 2), { batch: 1, height: 2, width: 2 }, packed)).toThrow(
      /input 2×2 is smaller than the 3×3 kernel/,
    );
    expect(() => sparseConv2dPacked(new Float32Array(10), { batch: 1, height: 4, width: 4 }, packed)).toThrow(
      ShapeMismatchError,
    );
    expect(() =>
      sparseConv2dPacked(new Float32Array(32), { batch: 1, height: 4, width: 4 }, packed, new Float32Array(3)),
    ).toThrow(ShapeMismatchError);
    expect(() => sparseConv2dPacked(new Float32Array(32), { batch: 1, height: 4, width: 4 }, w as never)).toThrow(
      /packed must come from packSparseConv2d/,
    );
  });
});
