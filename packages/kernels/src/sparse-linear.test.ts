import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { codebookLinear } from "./codebook-linear";
import { sparseCodebookLinear, sparseLinear } from "./sparse-linear";

describe("sparse and codebook linears", () => {
  // W = [[1, 0, 2], [0, 0, 0], [0, 3, 0]]
  const csr = {
    rows: 3,
    cols: 3,
    rowPointers: new Int32Array([0, 2, 2, 3]),
    columnIndices: new Int32Array([0, 2, 1]),
    values: new Float32Array([1, 2, 3]),
  };

  it("sparseLinear computes x·Wᵀ + b, empty rows giving the bias", () => {
    const y = sparseLinear(new Float32Array([1, 10, 100, 2, 0, 0]), 2, csr, new Float32Array([0, 5, 0]));
    expect(Array.from(y)).toEqual([201, 5, 30, 2, 5, 0]);
  });

  it("sparseCodebookLinear looks values up in the codebook", () => {
    const y = sparseCodebookLinear(new Float32Array([1, 10, 100]), 1, {
      ...csr,
      codeIndices: new Uint8Array([1, 0, 1]),
      codebook: new Float32Array([-1, 4]),
    });
    expect(Array.from(y)).toEqual([4 - 100, 0, 40]);
  });

  it("codebookLinear expands indices row by row", () => {
    const y = codebookLinear(new Float32Array([1, 2]), 1, {
      outFeatures: 2,
      inFeatures: 2,
      indices: new Uint16Array([0, 1, 1, 1]),
      codebook: new Float32Array([3, 5]),
    });
    expect(Array.from(y)).toEqual([13, 15]);
  });

  it("rejects malformed CSR structure and out-of-range indices", () => {
    const x = new Float32Array(3);
    expect(() => sparseLinear(x, 1, { ...csr, rowPointers: new Int32Array([0, 2, 1, 3]) })).toThrow(
      /rowPointers decreases at row 1/,
    );
    expect(() => sparseLinear(x, 1, { ...csr, columnIndices: new Int32Array([0, 3, 1]) })).toThrow(
      /columnIndices\[1\] = 3 is outside \[0, 3\)/,
    );
    expect(() => sparseLinear(x, 1, { ...csr, rowPointers: new Int32Array([0, 2, 3]) })).toThrow(ShapeMismatchError);
    expect(() => sparseLinear(x, 1, { ...csr, values: new Float32Array(2) })).toThrow(ShapeMismatchError);
    expect(() => sparseLinear(new Float32Array(2), 1, csr)).toThrow(/input has 2 elements but shape \[1, 3\] needs 3/);
    expect(() =>
      codebookLinear(new Float32Array(2), 1, {
        outFeatures: 1,
        inFeatures: 2,
        indices: new Uint8Array([0, 2]),
        codebook: new Float32Array(2),
      }),
    ).toThrow(/indices\[1\] = 2 is outside the codebook of 2 entries/);
    expect(() =>
      sparseCodebookLinear(x, 1, { ...csr, codeIndices: new Int8Array(3) as never, codebook: new Float32Array(1) }),
    ).toThrow(InvalidArgumentError);
  });

  it("zero-sized shapes give empty output", () => {
    const empty = {
      rows: 0,
      cols: 4,
      rowPointers: new Int32Array([0]),
      columnIndices: new Int32Array(0),
      values: new Float32Array(0),
    };
    expect(sparseLinear(new Float32Array(8), 2, empty).length).toBe(0);
    expect(
      codebookLinear(new Float32Array(0), 0, {
        outFeatures: 3,
        inFeatures: 0,
        indices: new Uint8Array(0),
        codebook: new Float32Array(0),
      }).length,
    ).toBe(0);
  });
});
