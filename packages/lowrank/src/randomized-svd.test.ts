import { createRng } from "@mc/core";
import { describe, expect, it } from "vitest";
import { frobeniusDistance, matrixWithSpectrum, orthonormalityDefect } from "../test/spectrum";
import { gemmReference } from "./gemm-fallback";
import { gemm } from "./matmul";
import { orthonormalizeColumnsInPlace, randomizedSvd } from "./randomized-svd";
import { reconstructSvd } from "./truncated-svd";

const size = 120;
const spectra = {
  "exponential e^(-i/10)": Array.from({ length: size }, (_, i) => Math.exp(-i / 10)),
  "power law 1/(i+1)": Array.from({ length: size }, (_, i) => 1 / (i + 1)),
  "slow power law 1/√(i+1)": Array.from({ length: size }, (_, i) => 1 / Math.sqrt(i + 1)),
};
const optimalError = (spectrum: number[], rank: number) =>
  Math.sqrt(spectrum.slice(rank).reduce((s, v) => s + v * v, 0));

describe("randomizedSvd", () => {
  for (const [name, spectrum] of Object.entries(spectra)) {
    it(`is within 1% of the optimal rank-20 Frobenius error on a ${name} spectrum (q = 2, p = 10)`, () => {
      const matrix = matrixWithSpectrum(200, 150, spectrum, 5);
      for (const seed of [1, 2]) {
        const svd = randomizedSvd(matrix, { rank: 20, seed });
        const measured = frobeniusDistance(reconstructSvd(svd).data, matrix.data);
        const optimal = optimalError(spectrum, 20);
        expect(measured / optimal, `seed ${seed}: measured ${measured}, optimal ${optimal}`).toBeLessThan(1.01);
        expect(measured / optimal).toBeGreaterThan(1 - 1e-6);
        expect(Math.abs(svd.residualNorm - measured) / measured).toBeLessThan(1e-4);
      }
    });
  }

  it("power iterations matter on slow spectra: q = 0 is worse than q = 2", () => {
    const spectrum = spectra["power law 1/(i+1)"];
    const matrix = matrixWithSpectrum(200, 150, spectrum, 5);
    const plain = randomizedSvd(matrix, { rank: 20, powerIterations: 0, seed: 1 });
    const refined = randomizedSvd(matrix, { rank: 20, powerIterations: 2, seed: 1 });
    expect(plain.residualNorm).toBeGreaterThan(refined.residualNorm * 1.05);
  });

  it("flat spectrum (honest limit): Frobenius error stays near optimal but the top-K subspace is not found", () => {
    const flat = Array.from({ length: size }, (_, i) => 1 + 0.001 * (size - i));
    const matrix = matrixWithSpectrum(200, 150, flat, 9);
    const svd = randomizedSvd(matrix, { rank: 20, seed: 1 });
    const measured = frobeniusDistance(reconstructSvd(svd).data, matrix.data);
    const ratio = measured / optimalError(flat, 20);
    // The optimum already discards 83% of the energy, so any 20-D subspace is within ~1%.
    expect(ratio).toBeGreaterThan(1.001);
    expect(ratio).toBeLessThan(1.02);
    // Captured energy Σσ̂² versus the optimal Σ_{i<20}σ²: well below 1 on a flat spectrum.
    const captured = svd.singularValues.reduce((s, v) => s + v * v, 0);
    const best = flat.slice(0, 20).reduce((s, v) => s + v * v, 0);
    expect(captured / best).toBeLessThan(0.95);
    expect(captured / best).toBeGreaterThan(0.5);
  });

  it("returns orthonormal factors and is deterministic for a seed", () => {
    const matrix = matrixWithSpectrum(80, 60, spectra["exponential e^(-i/10)"].slice(0, 60), 2);
    const a = randomizedSvd(matrix, { rank: 8, seed: 42 });
    const b = randomizedSvd(matrix, { rank: 8, seed: 42 });
    expect(a.leftSingularVectors.data).toEqual(b.leftSingularVectors.data);
    expect(a.singularValues).toEqual(b.singularValues);
    expect(orthonormalityDefect(a.leftSingularVectors.data, 80, 8)).toBeLessThan(1e-5);
    expect(orthonormalityDefect(a.rightSingularVectors.data, 60, 8)).toBeLessThan(1e-5);
  });

  it("handles a matrix of lower rank than requested without NaN (basis completed randomly)", () => {
    const matrix = matrixWithSpectrum(50, 40, [3, 2, 1], 4);
    const svd = randomizedSvd(matrix, { rank: 10, seed: 3 });
    expect(svd.singularValues.every(Number.isFinite)).toBe(true);
    expect(svd.singularValues[2]!).toBeCloseTo(1, 4);
    expect(svd.singularValues[3]!).toBeLessThan(1e-5);
    expect(frobeniusDistance(reconstructSvd(svd).data, matrix.data)).toBeLessThan(1e-5);
  });

  it("rejects bad ranks, options and inputs with McErrors", () => {
    const matrix = { data: new Float32Array(20).fill(1), shape: [4, 5] };
    expect(() => randomizedSvd(matrix, { rank: 0 })).toThrowError(
      /randomizedSvd: options.rank must be an integer in \[1, 4\]/,
    );
    expect(() => randomizedSvd(matrix, { rank: 5 })).toThrowError(/\[1, 4\]/);
    expect(() => randomizedSvd(matrix, { rank: 2, oversamples: -1 })).toThrowError(/options.oversamples/);
    expect(() => randomizedSvd(matrix, { rank: 2, powerIterations: 1.5 })).toThrowError(/options.powerIterations/);
    expect(() => randomizedSvd(matrix, { rank: 2, seed: 0.5 })).toThrowError(/options.seed/);
    expect(() => randomizedSvd({ data: new Float32Array(4), shape: [4] }, { rank: 1 })).toThrowError(
      /must be a matrix/,
    );
    expect(() =>
      randomizedSvd({ data: Float32Array.of(1, Number.NaN, 1, 1), shape: [2, 2] }, { rank: 1 }),
    ).toThrowError(/non-finite/);
  });
});

describe("orthonormalizeColumnsInPlace", () => {
  it("keeps QᵀQ = I to 1e-12 even for nearly dependent columns", () => {
    const rng = createRng(5);
    const rows = 64;
    const columns = 10;
    const q = new Float64Array(rows * columns);
    for (let i = 0; i < rows; i++) {
      const base = rng.normal();
      for (let j = 0; j < columns; j++) q[i * columns + j] = base + 1e-7 * rng.normal();
    }
    orthonormalizeColumnsInPlace(q, rows, columns, rng);
    expect(orthonormalityDefect(q, rows, columns)).toBeLessThan(1e-12);
  });
});

describe("gemm used by the package", () => {
  it("matches the float64 reference for all transpose combinations", () => {
    const rng = createRng(1);
    const [m, k, n] = [7, 5, 9];
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = rng.fillNormal(new Float32Array(m * k));
        const b = rng.fillNormal(new Float32Array(k * n));
        const c = rng.fillNormal(new Float32Array(m * n));
        const expected = new Float64Array(m * n);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let p = 0; p < k; p++) {
              acc += a[transposeA ? p * m + i : i * k + p]! * b[transposeB ? j * k + p : p * n + j]!;
            }
            expected[i * n + j] = 2 * acc + 0.5 * c[i * n + j]!;
          }
        }
        for (const kernel of [gemm, gemmReference]) {
          const out = kernel(a, b, { m, k, n, transposeA, transposeB, alpha: 2, beta: 0.5, c: c.slice() });
          for (let i = 0; i < m * n; i++) {
            expect(Math.abs(out[i]! - expected[i]!), `index ${i} tA=${transposeA} tB=${transposeB}`).toBeLessThan(1e-4);
          }
        }
      }
    }
  });
});
