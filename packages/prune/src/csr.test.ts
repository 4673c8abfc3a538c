import { createRng, FormatError, ShapeMismatchError, type Tensor } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csrByteLength, fromCsc, fromCsr, toCsc, toCsr } from "./csr";

function sparseMatrix(rows: number, cols: number, density: number, seed: number): Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) if (rng.uniform() < density) data[i] = rng.normal();
  return { data, shape: [rows, cols] };
}

function expectSameData(actual: Float32Array, expected: Float32Array, shape: readonly number[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0)) {
      throw new Error(`differs at index ${i}: got ${actual[i]}, expected ${expected[i]} (shape [${shape}])`);
    }
  }
}

describe("toCsr / fromCsr", () => {
  it("builds the textbook CSR of a small matrix", () => {
    const weight: Tensor = { data: Float32Array.from([0, 1, 0, 2, 0, 0, 0, 3, 4]), shape: [3, 3] };
    const csr = toCsr(weight);
    expect(Array.from(csr.rowPointers)).toEqual([0, 1, 2, 4]);
    expect(Array.from(csr.columnIndices)).toEqual([1, 0, 1, 2]);
    expect(Array.from(csr.values)).toEqual([1, 2, 3, 4]);
    expect(csrByteLength(csr)).toBe(4 * 4 + 4 * 4 + 4 * 4);
  });

  it("round-trips random matrices of any density and shape (CSR and CSC)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (rows, cols, density, seed) => {
          const weight = sparseMatrix(rows, cols, density, seed);
          expectSameData(fromCsr(toCsr(weight)).data, weight.data, weight.shape);
          expectSameData(fromCsc(toCsc(weight)).data, weight.data, weight.shape);
          const csr = toCsr(weight);
          const csc = toCsc(weight);
          expect(csr.values.length).toBe(csc.values.length);
          expect(fromCsr(csr).shape).toEqual([rows, cols]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("CSC of W equals CSR of Wᵀ", () => {
    const weight = sparseMatrix(7, 5, 0.4, 3);
    const transposed = new Float32Array(35);
    for (let r = 0; r < 7; r++) for (let c = 0; c < 5; c++) transposed[c * 7 + r] = weight.data[r * 5 + c];
    const csc = toCsc(weight);
    const csrT = toCsr({ data: transposed, shape: [5, 7] });
    expect(csc.columnPointers).toEqual(csrT.rowPointers);
    expect(csc.rowIndices).toEqual(csrT.columnIndices);
    expect(csc.values).toEqual(csrT.values);
  });

  it("stores masked-in zeros when a mask is given", () => {
    const weight: Tensor = { data: Float32Array.from([0, 5, 0, 0]), shape: [2, 2] };
    const csr = toCsr(weight, { mask: Uint8Array.from([1, 1, 0, 0]) });
    expect(Array.from(csr.columnIndices)).toEqual([0, 1]);
    expect(Array.from(csr.values)).toEqual([0, 5]);
  });

  it("rejects non-matrices and a mask of the wrong shape", () => {
    expect(() => toCsr({ data: new Float32Array(8), shape: [2, 2, 2] })).toThrowError(ShapeMismatchError);
    expect(() => toCsr({ data: new Float32Array(4), shape: [2, 2] }, { mask: new Uint8Array(3) })).toThrowError(
      /toCsr: options.mask has 3 entries but the weight of shape \[2, 2\] has 4/,
    );
  });

  it("rejects corrupt CSR structures with FormatError", () => {
    const good = toCsr({ data: Float32Array.from([1, 0, 2, 3]), shape: [2, 2] });
    const corrupt = [
      { ...good, rowPointers: Int32Array.from([0, 2]) },
      { ...good, rowPointers: Int32Array.from([0, 2, 1]) },
      { ...good, rowPointers: Int32Array.from([1, 1, 3]) },
      { ...good, columnIndices: Int32Array.from([0, 2, 1]) },
      { ...good, columnIndices: Int32Array.from([0, 1, 1]) },
      { ...good, columnIndices: Int32Array.from([0, -1, 1]) },
      { ...good, values: new Float32Array(2) },
      { ...good, rows: -1 },
    ];
    for (const csr of corrupt) expect(() => fromCsr(csr)).toThrowError(FormatError);
    expect(() => fromCsr({ ...good, columnIndices: Int32Array.from([0, 1, 1]) })).toThrowError(
      /columnIndices\[2\] = 1 does not ascend/,
    );
  });
});
