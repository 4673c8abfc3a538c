import { createRng, InvalidArgumentError, type Rng, type Tensor, assertInteger } from "@mc/core";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { assertMatrix, assertRankOption, frobeniusNormSquared } from "./matrix-input";
import { gemm } from "./matmul";
import type { SvdResult } from "./truncated-svd";

export interface RandomizedSvdOptions {
  rank?: number;
  /** Extra random directions beyond `rank` (p in Halko et al.); 5–10 is their advice. */
  oversamples?: number;
  /** Subspace (power) iterations q; each sharpens a slowly decaying spectrum by σ^(2q+1). */
  powerIterations?: number;
  seed?: number;
}

const defaults = { oversamples: 10, powerIterations: 2, seed: 0 } as const;

/**
 * Orthonormalizes the columns of a row-major [rows, columns] float64 matrix in place by
 * classical Gram–Schmidt applied twice ("twice is enough", Giraud et al.), which keeps
 * ‖QᵀQ − I‖ at machine precision like Householder QR. A column that vanishes (the range
 * has lower dimension than `columns`) is replaced by a random direction so Q stays
 * orthonormal.
 */
export function orthonormalizeColumnsInPlace(q: Float64Array, rows: number, columns: number, rng: Rng): void {
  const column = new Float64Array(rows);
  for (let j = 0; j < columns; j++) {
    for (let i = 0; i < rows; i++) column[i] = q[i * columns + j] as number;
    let original = Math.sqrt(frobeniusNormSquared(column));
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          let dot = 0;
          for (let i = 0; i < rows; i++) dot += (q[i * columns + p] as number) * (column[i] as number);
          for (let i = 0; i < rows; i++) column[i] -= dot * (q[i * columns + p] as number);
        }
      }
      const norm = Math.sqrt(frobeniusNormSquared(column));
      if (norm > 1e-10 * original && norm > 0) {
        for (let i = 0; i < rows; i++) q[i * columns + j] = (column[i] as number) / norm;
        break;
      }
      if (attempt > 8) throw new Error("orthonormalizeColumnsInPlace: could not complete an orthonormal basis");
      for (let i = 0; i < rows; i++) column[i] = rng.normal();
      original = Math.sqrt(frobeniusNormSquared(column));
    }
  }
}

function orthonormalBasis(y: Float32Array, rows: number, columns: number, rng: Rng): Float32Array {
  const q = Float64Array.from(y);
  orthonormalizeColumnsInPlace(q, rows, columns, rng);
  return Float32Array.from(q);
}

/**
 * Randomized truncated SVD (Halko, Martinsson and Tropp 2011, Algorithms 4.4 + 5.1): sample
 * the range with a Gaussian test matrix of `rank + oversamples` columns, sharpen it with
 * `powerIterations` subspace iterations (re-orthonormalizing between every product, which
 * the paper requires for stability in floating point), then take the exact SVD of the small
 * projected matrix B = QᵀA.
 *
 * The large products run through the fp32 GEMM; orthonormalization and the small SVD run in
 * float64. Accuracy: on decaying spectra the error is within about 1% of the optimal
 * rank-K error with the default q = 2; on a flat spectrum (σ_K ≈ σ_{K+1}) no sketch of this
 * size can find the exact top-K subspace, and the error can exceed the optimum by several
 * percent (see the README).
 */
export function randomizedSvd(matrix: Tensor<Float32Array | Float64Array>, options: RandomizedSvdOptions = {}): SvdResult {
  const caller = "randomizedSvd";
  const input = assertMatrix(matrix, caller);
  const { rows, columns } = input;
  const {
    rank = Math.min(rows, columns),
    oversamples = defaults.oversamples,
    powerIterations = defaults.powerIterations,
    seed = defaults.seed,
  } = options;
  assertRankOption(rank, rows, columns, caller);
  assertInteger(oversamples, caller, "options.oversamples", { min: 0 });
  assertInteger(powerIterations, caller, "options.powerIterations", { min: 0, max: 100 });
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError({
      message: `${caller}: options.seed must be a safe integer, got ${String(seed)}`,
      argument: "options.seed",
      value: seed,
    });
  }

  const rng = createRng(seed);
  const a = input.data instanceof Float32Array ? input.data : Float32Array.from(input.data);
  const sketch = Math.min(rank + oversamples, rows, columns);

  const omega = new Float32Array(columns * sketch);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();

  // Y = A·Ω, Q = orth(Y); then q rounds of Z = orth(AᵀQ), Q = orth(A·Z).
  let q = orthonormalBasis(gemm(a, omega, { m: rows, k: columns, n: sketch }), rows, sketch, rng);
  for (let iteration = 0; iteration < powerIterations; iteration++) {
    const z = orthonormalBasis(gemm(a, q, { m: columns, k: rows, n: sketch, transposeA: true }), columns, sketch, rng);
    q = orthonormalBasis(gemm(a, z, { m: rows, k: columns, n: sketch }), rows, sketch, rng);
  }

  // B = QᵀA is [sketch, columns]; its exact SVD gives the factors.
  const b = gemm(q, a, { m: sketch, k: rows, n: columns, transposeA: true });
  const bMatrix = new Matrix(sketch, columns);
  for (let i = 0; i < sketch; i++) for (let j = 0; j < columns; j++) bMatrix.set(i, j, b[i * columns + j] as number);
  const small = new SingularValueDecomposition(bMatrix, { autoTranspose: true });
  const smallLeft = small.leftSingularVectors; // [sketch, sketch]
  const smallRight = small.rightSingularVectors; // [columns, sketch]
  const diagonal = small.diagonal;

  const singularValues = new Float64Array(rank);
  for (let r = 0; r < rank; r++) singularValues[r] = diagonal[r] as number;

  const left = new Float64Array(rows * rank);
  const smallLeftRows = new Float64Array(sketch * rank);
  for (let p = 0; p < sketch; p++) for (let r = 0; r < rank; r++) smallLeftRows[p * rank + r] = smallLeft.get(p, r);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < sketch; p++) {
      const qValue = q[i * sketch + p] as number;
      for (let r = 0; r < rank; r++) left[i * rank + r] += qValue * (smallLeftRows[p * rank + r] as number);
    }
  }
  const right = new Float64Array(columns * rank);
  for (let j = 0; j < columns; j++) for (let r = 0; r < rank; r++) right[j * rank + r] = smallRight.get(j, r);

  const totalSquared = frobeniusNormSquared(input.data);
  let keptSquared = 0;
  for (let r = 0; r < rank; r++) keptSquared += (singularValues[r] as number) ** 2;
  return {
    leftSingularVectors: { data: left, shape: [rows, rank] },
    singularValues,
    rightSingularVectors: { data: right, shape: [columns, rank] },
    rank,
    residualNorm: Math.sqrt(Math.max(0, totalSquared - keptSquared)),
    frobeniusNorm: Math.sqrt(totalSquared),
  };
}
