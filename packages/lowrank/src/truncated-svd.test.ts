import { InvalidArgumentError, McError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { frobeniusDistance, matrixWithSpectrum, orthonormalityDefect } from "../test/spectrum";
import { reconstructSvd, truncatedSvd } from "./truncated-svd";

const decaying = Array.from({ length: 40 }, (_, i) => 10 * 0.85 ** i);

describe("truncatedSvd", () => {
  it("Eckart–Young: the rank-K error equals √(Σ discarded σ²) of the known spectrum to 1e-4 relative", () => {
    for (const [rows, columns] of [
      [60, 40],
      [40, 60],
    ] as const) {
      const matrix = matrixWithSpectrum(rows, columns, decaying, 7);
      for (const rank of [1, 5, 12, 30]) {
        const svd = truncatedSvd(matrix, { rank });
        const measured = frobeniusDistance(reconstructSvd(svd).data, matrix.data);
        const expected = Math.sqrt(decaying.slice(rank).reduce((s, v) => s + v * v, 0));
        const relative = Math.abs(measured - expected) / expected;
        expect(
          relative,
          `shape [${rows}, ${columns}] rank ${rank}: measured ${measured}, expected ${expected}`,
        ).toBeLessThan(1e-4);
        expect(Math.abs(svd.residualNorm - expected) / expected).toBeLessThan(1e-4);
      }
    }
  });

  it("recovers the known singular values, descending, and orthonormal singular vectors", () => {
    const matrix = matrixWithSpectrum(50, 45, decaying, 3);
    const svd = truncatedSvd(matrix, { rank: 20 });
    for (let i = 0; i < 20; i++) {
      expect(Math.abs(svd.singularValues[i]! - decaying[i]!) / decaying[i]!, `σ[${i}]`).toBeLessThan(1e-9);
    }
    expect(orthonormalityDefect(svd.leftSingularVectors.data, 50, 20)).toBeLessThan(1e-9);
    expect(orthonormalityDefect(svd.rightSingularVectors.data, 45, 20)).toBeLessThan(1e-9);
    expect(svd.allSingularValues.length).toBe(45);
    expect(svd.leftSingularVectors.shape).toEqual([50, 20]);
    expect(svd.rightSingularVectors.shape).toEqual([45, 20]);
  });

  it("full rank reconstructs a float32 input to float32 precision and does not mutate it", () => {
    const source = matrixWithSpectrum(12, 9, [5, 4, 3, 2, 1, 0.5, 0.25, 0.1, 0.05], 11);
    const matrix = { data: Float32Array.from(source.data), shape: [12, 9] };
    const copy = matrix.data.slice();
    const svd = truncatedSvd(matrix);
    expect(svd.rank).toBe(9);
    expect(frobeniusDistance(reconstructSvd(svd).data, matrix.data)).toBeLessThan(1e-5);
    expect(matrix.data).toEqual(copy);
    expect(svd.residualNorm).toBeLessThan(1e-6);
  });

  it("rejects rank < 1, rank > min(M, N), fractional rank, non-finite values, vectors and integer tensors", () => {
    const matrix = { data: new Float32Array(12).fill(1), shape: [3, 4] };
    for (const rank of [0, -1, 4, 2.5, Number.NaN]) {
      expect(() => truncatedSvd(matrix, { rank })).toThrowError(
        /truncatedSvd: options.rank must be an integer in \[1, 3\]/,
      );
    }
    const withNaN = { data: Float32Array.from([1, 2, Number.NaN, 4]), shape: [2, 2] };
    expect(() => truncatedSvd(withNaN, { rank: 1 })).toThrowError(/non-finite value NaN at index 2/);
    const withInf = { data: Float32Array.from([1, Number.POSITIVE_INFINITY, 3, 4]), shape: [2, 2] };
    expect(() => truncatedSvd(withInf, { rank: 1 })).toThrowError(InvalidArgumentError);
    expect(() => truncatedSvd({ data: new Float32Array(5), shape: [5] }, { rank: 1 })).toThrowError(
      /must be a matrix \(2-D tensor\), got shape \[5\]/,
    );
    expect(() => truncatedSvd({ data: new Float32Array(8), shape: [2, 2, 2] }, { rank: 1 })).toThrowError(
      /shape \[2, 2, 2\]/,
    );
    expect(() => truncatedSvd({ data: new Int32Array(4), shape: [2, 2] } as never, { rank: 1 })).toThrowError(
      /Float32Array or Float64Array/,
    );
    expect(() => truncatedSvd({ data: new Float32Array(0), shape: [0, 3] }, { rank: 1 })).toThrowError(/empty/);
    let caught: unknown;
    try {
      truncatedSvd({ data: new Float32Array(5), shape: [2, 2] }, { rank: 1 });
    } catch (error) {
      caught = error;
    }
    expect(ShapeMismatchError.isInstance(caught)).toBe(true);
    expect(McError.isInstance(caught)).toBe(true);
  });
});
