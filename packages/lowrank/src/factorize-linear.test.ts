import { InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { frobeniusDistance, matrixWithSpectrum } from "../test/spectrum";
import { factorizeEmbedding, factorizeLinear } from "./factorize-linear";

const spectrum = Array.from({ length: 30 }, (_, i) => 5 * 0.8 ** i);

function product(left: Float32Array, right: Float32Array, rows: number, rank: number, columns: number): Float64Array {
  const out = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++)
    for (let r = 0; r < rank; r++)
      for (let j = 0; j < columns; j++) out[i * columns + j]! += left[i * rank + r]! * right[r * columns + j]!;
  return out;
}

describe("factorizeLinear", () => {
  it("W ≈ A·B with the Eckart–Young error, balanced factors and exact parameter counts", () => {
    const weight = matrixWithSpectrum(48, 32, spectrum, 1);
    const result = factorizeLinear({ data: Float32Array.from(weight.data), shape: weight.shape }, { rank: 6 });
    expect(result.leftFactor.shape).toEqual([48, 6]);
    expect(result.rightFactor.shape).toEqual([6, 32]);
    expect(result.originalParameters).toBe(48 * 32);
    expect(result.factorizedParameters).toBe((48 + 32) * 6);
    expect(result.compressionRatio).toBeCloseTo(1536 / 480, 12);
    const expected = Math.sqrt(spectrum.slice(6).reduce((s, v) => s + v * v, 0));
    const measured = frobeniusDistance(
      product(result.leftFactor.data, result.rightFactor.data, 48, 6, 32),
      weight.data,
    );
    expect(Math.abs(measured - expected) / expected).toBeLessThan(1e-4);
    expect(Math.abs(result.absoluteError - measured) / measured).toBeLessThan(1e-3);
    const norm = Math.sqrt(spectrum.reduce((s, v) => s + v * v, 0));
    expect(result.relativeError).toBeCloseTo(expected / norm, 4);
    // Balanced split: column r of A and row r of B both have norm √σ_r.
    for (let r = 0; r < 6; r++) {
      let leftNorm = 0;
      let rightNorm = 0;
      for (let i = 0; i < 48; i++) leftNorm += result.leftFactor.data[i * 6 + r]! ** 2;
      for (let j = 0; j < 32; j++) rightNorm += result.rightFactor.data[r * 32 + j]! ** 2;
      expect(Math.sqrt(leftNorm)).toBeCloseTo(Math.sqrt(spectrum[r]!), 4);
      expect(Math.sqrt(rightNorm)).toBeCloseTo(Math.sqrt(spectrum[r]!), 4);
    }
  });

  it("randomized method gives nearly the same error as the exact one", () => {
    const weight = matrixWithSpectrum(64, 40, spectrum, 2);
    const exact = factorizeLinear(weight, { rank: 8 });
    const fast = factorizeLinear(weight, { rank: 8, method: "randomized", seed: 3 });
    expect(fast.absoluteError / exact.absoluteError).toBeLessThan(1.01);
  });

  it("refuses ranks that save nothing: (M + N)·K ≥ M·N", () => {
    const weight = { data: new Float32Array(10 * 10).fill(0.5), shape: [10, 10] };
    expect(factorizeLinear(weight, { rank: 4 }).factorizedParameters).toBe(80); // 80 < 100: allowed
    expect(() => factorizeLinear(weight, { rank: 5 })).toThrowError(InvalidArgumentError); // 100 = 100
    expect(() => factorizeLinear(weight, { rank: 5 })).toThrowError(
      /factorizeLinear: rank 5 does not save parameters for shape \[10, 10\]: \(10 \+ 10\)·5 = 100 >= 100; use a rank <= 4/,
    );
    expect(() => factorizeLinear(weight, { rank: 11 })).toThrowError(/\[1, 10\]/);
    expect(() => factorizeLinear(weight)).toThrowError(/options.rank must be an integer/);
    expect(() => factorizeLinear(weight, { rank: 2, method: "qr" as never })).toThrowError(/options.method/);
    expect(() => factorizeLinear({ data: new Float32Array(10), shape: [10] }, { rank: 1 })).toThrowError(
      /must be a matrix/,
    );
    expect(() =>
      factorizeLinear({ data: new Float32Array(4).fill(Number.NaN), shape: [2, 2] }, { rank: 1 }),
    ).toThrowError(/non-finite/);
  });

  it("columnScales: validates length and positivity", () => {
    const weight = matrixWithSpectrum(12, 10, spectrum.slice(0, 10), 4);
    expect(() => factorizeLinear(weight, { rank: 2, columnScales: [1, 2] })).toThrowError(
      /has 2 values but the weight has 10 columns/,
    );
    expect(() => factorizeLinear(weight, { rank: 2, columnScales: new Array(10).fill(0) })).toThrowError(
      /must be positive/,
    );
  });
});

describe("factorizeEmbedding", () => {
  it("ALBERT factorization: table [V, H] → embedding [V, K] · projection [K, H] reproducing rows", () => {
    const table = matrixWithSpectrum(200, 48, spectrum, 6);
    const result = factorizeEmbedding(table, { rank: 16 });
    expect(result.embedding.shape).toEqual([200, 16]);
    expect(result.projection.shape).toEqual([16, 48]);
    expect(result.compressionRatio).toBeCloseTo((200 * 48) / (248 * 16), 12);
    const reconstructed = product(result.embedding.data, result.projection.data, 200, 16, 48);
    const expected = Math.sqrt(spectrum.slice(16).reduce((s, v) => s + v * v, 0));
    expect(Math.abs(frobeniusDistance(reconstructed, table.data) - expected) / expected).toBeLessThan(1e-3);
  });

  it("ALBERT's own shape 21128×1024 at K = 128 is the ~7.6× cut the paper reports", () => {
    const rows = 21128;
    const columns = 1024;
    expect((rows * columns) / ((rows + columns) * 128)).toBeCloseTo(7.63, 2);
  });

  it("names itself in errors", () => {
    expect(() => factorizeEmbedding({ data: new Float32Array(6), shape: [6] }, { rank: 1 })).toThrowError(
      /factorizeEmbedding: table must be a matrix/,
    );
  });
});
