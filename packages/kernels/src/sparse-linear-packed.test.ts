import { createRng, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectClose, withTier } from "../test/helpers";
import { spmm_f32csr__ref } from "./ref/reference-kernels";
import { availableTiers } from "./select-kernel";
import { packSparseLinear, type SparseCodebookWeight, sparseLinear, sparseLinearPacked } from "./sparse-linear";

/** A random CSR codebook weight at the given density; codes are Uint8 or Uint16. */
function randomWeight(rows: number, cols: number, density: number, seed: number, wide = false): SparseCodebookWeight {
  const rng = createRng(seed);
  const rowPointers = new Int32Array(rows + 1);
  const columns: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (rng.uniform() < density) columns.push(c);
    rowPointers[r + 1] = columns.length;
  }
  const codebookLength = wide ? 300 : 16;
  const codebook = new Float32Array(codebookLength);
  for (let i = 0; i < codebookLength; i++) codebook[i] = rng.uniform() * 2 - 1;
  const codeIndices = wide ? new Uint16Array(columns.length) : new Uint8Array(columns.length);
  for (let e = 0; e < columns.length; e++) codeIndices[e] = rng.integer(0, codebookLength - 1);
  return { rows, cols, rowPointers, columnIndices: Int32Array.from(columns), codeIndices, codebook };
}

/** Inputs where about `zeros` of the entries are exactly 0 (MNIST background, ReLU outputs). */
function sparseInput(count: number, zeros: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = rng.uniform() < zeros ? 0 : rng.uniform() * 2 - 1;
  return x;
}

function reference(w: SparseCodebookWeight, x: Float32Array, batch: number, bias?: Float32Array, relu = false) {
  const y = new Float32Array(batch * w.rows);
  spmm_f32csr__ref(
    x,
    batch,
    w.rows,
    w.cols,
    w.rowPointers,
    w.columnIndices,
    (e) => w.codebook[w.codeIndices[e]!]!,
    bias,
    y,
  );
  if (relu) for (let i = 0; i < y.length; i++) y[i] = Math.max(0, y[i]!);
  return y;
}

for (const tier of availableTiers()) {
  describe(`sparseLinearPacked on tier ${tier}`, () => {
    it("matches spmm_f32csr__ref for every batch tail, with and without bias and ReLU, uint8 and uint16 codes", () => {
      let seed = 1;
      for (const [rows, cols, density] of [
        [1, 1, 1],
        [7, 13, 0.5],
        [33, 70, 0.1],
        [300, 784, 0.08],
      ] as const) {
        for (const wide of [false, true]) {
          const w = randomWeight(rows, cols, density, seed++, wide);
          const bias = sparseInput(rows, 0, seed++);
          for (const batch of [1, 2, 3, 4, 5, 7, 8, 65]) {
            const x = sparseInput(batch * cols, 0.7, seed++);
            for (const relu of [false, true]) {
              const packed = packSparseLinear(w, { bias, activation: relu ? "relu" : "none" });
              const y = withTier(tier, () => sparseLinearPacked(x, batch, packed));
              expectClose(y, reference(w, x, batch, bias, relu), [batch, rows, cols], {
                rtol: 1e-5,
                atol: 1e-5 * Math.sqrt(cols),
                what: `${tier} batch ${batch} relu ${relu} wide ${wide}`,
              });
            }
          }
        }
      }
    });

    it("plain CSR values give the same outputs as sparseLinear, and a given output array is filled", () => {
      const w = randomWeight(40, 90, 0.2, 7);
      const values = Float32Array.from(w.codeIndices, (k) => w.codebook[k]!);
      const csr = { rows: w.rows, cols: w.cols, rowPointers: w.rowPointers, columnIndices: w.columnIndices, values };
      const x = sparseInput(6 * 90, 0.5, 8);
      const output = new Float32Array(6 * 40);
      const y = withTier(tier, () => sparseLinearPacked(x, 6, packSparseLinear(csr), output));
      expect(y).toBe(output);
      expectClose(y, sparseLinear(x, 6, csr), [6, 40, 90], { what: "values pack vs sparseLinear" });
    });

    it("skipping zero inputs equals the full product: an all-zero input gives exactly act(bias)", () => {
      const w = randomWeight(20, 30, 0.5, 9);
      const bias = Float32Array.from({ length: 20 }, (_, i) => i - 10);
      for (const batch of [1, 4]) {
        const zeros = new Float32Array(batch * 30);
        const plain = withTier(tier, () => sparseLinearPacked(zeros, batch, packSparseLinear(w, { bias })));
        const relu = withTier(tier, () =>
          sparseLinearPacked(zeros, batch, packSparseLinear(w, { bias, activation: "relu" })),
        );
        for (let b = 0; b < batch; b++) {
          for (let r = 0; r < 20; r++) {
            expect(plain[b * 20 + r]).toBe(bias[r]);
            expect(relu[b * 20 + r]).toBe(Math.max(0, bias[r]!));
          }
        }
      }
    });

    it("a NaN input reaches every output its column touches, through ReLU too", () => {
      const w = randomWeight(10, 5, 1, 10);
      const x = new Float32Array([0, Number.NaN, 0, 0, 0]);
      const y = withTier(tier, () => sparseLinearPacked(x, 1, packSparseLinear(w, { activation: "relu" })));
      for (let r = 0; r < 10; r++) expect(y[r], `row ${r}`).toBeNaN();
    });
  });
}

describe("packSparseLinear", () => {
  it("copies its inputs: changing the weight after packing changes nothing", () => {
    const w = randomWeight(12, 16, 0.4, 11);
    const x = sparseInput(16, 0.3, 12);
    const packed = packSparseLinear(w);
    const before = sparseLinearPacked(x, 1, packed);
    w.codebook.fill(100);
    w.codeIndices.fill(0);
    w.columnIndices.fill(0);
    expect(Array.from(sparseLinearPacked(x, 1, packed))).toEqual(Array.from(before));
  });

  it("stores the weight by column with ascending rows", () => {
    // W = [[1, 0, 2], [0, 0, 0], [0, 3, 0]] as codes into [0, 1, 2, 3]
    const packed = packSparseLinear({
      rows: 3,
      cols: 3,
      rowPointers: new Int32Array([0, 2, 2, 3]),
      columnIndices: new Int32Array([0, 2, 1]),
      codeIndices: new Uint8Array([1, 2, 3]),
      codebook: new Float32Array([0, 1, 2, 3]),
    });
    expect(Array.from(packed.colPointers)).toEqual([0, 1, 2, 3]);
    expect(Array.from(packed.rowIndices)).toEqual([0, 2, 0]);
    expect(Array.from(packed.codes!)).toEqual([1, 3, 2]);
  });

  it("rejects bad weights, options and calls with errors naming the argument", () => {
    const w = randomWeight(4, 5, 0.5, 13);
    expect(() => packSparseLinear({ ...w, codebook: new Float32Array([1, Number.POSITIVE_INFINITY]) })).toThrow(
      /weight\.codebook\[1\] = Infinity is not finite/,
    );
    expect(() => packSparseLinear({ ...w, codebook: new Float32Array(1) })).toThrow(
      /codeIndices\[\d+\] = \d+ is outside the codebook of 1 entries/,
    );
    const bad = w.columnIndices.slice();
    bad[0] = 5;
    expect(() => packSparseLinear({ ...w, columnIndices: bad })).toThrow(/columnIndices\[0\] = 5 is outside \[0, 5\)/);
    expect(() => packSparseLinear(w, { activation: "gelu" as never })).toThrow(InvalidArgumentError);
    expect(() => packSparseLinear(w, { bias: new Float32Array(3) })).toThrow(ShapeMismatchError);
    const packed = packSparseLinear(w);
    expect(() => sparseLinearPacked(new Float32Array(4), 1, packed)).toThrow(
      /input has 4 elements but shape \[1, 5\] needs 5/,
    );
    expect(() => sparseLinearPacked(new Float32Array(5), 1, packed, new Float32Array(3))).toThrow(ShapeMismatchError);
    expect(() => sparseLinearPacked(new Float32Array(5), 1, w as never)).toThrow(
      /packed must come from packSparseLinear/,
    );
  });
});
