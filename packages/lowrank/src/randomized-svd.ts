import { assertInteger, createRng, InvalidArgumentError, type Rng, type Tensor } from "@mc/core";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { gemm } from "./matmul";
import { assertMatrix, assertRankOption, frobeniusNormSquared } from "./matrix-input";
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
  // Work column-major so every dot product and update runs over contiguous memory.
  const basis = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) basis[j * rows + i] = q[i * columns + j] as number;
  for (let j = 0; j < columns; j++) {
    const column = basis.subarray(j * rows, (j + 1) * rows);
    let original = Math.sqrt(frobeniusNormSquared(column));
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          const previous = basis.subarray(p * rows, (p + 1) * rows);
          let dot = 0;
          for (let i = 0; i < rows; i++) dot += (previous[i] as number) * (column[i] as number);
          for (let i = 0; i < rows; i++) column[i] = (column[i] as number) - dot * (previous[i] as number);
        }
      }
      const norm = Math.sqrt(frobeniusNormSquared(column));
      if (norm > 1e-10 * original && norm > 0) {
        for (let i = 0; i < rows; i++) column[i] = (column[i] as number) / norm;
        break;
      }
      if (attempt > 8) throw new Error("orthonormalizeColumnsInPlace: could not complete an orthonormal basis");
      for (let i = 0; i < rows; i++) column[i] = rng.normal();
      original = Math.sqrt(frobeniusNormSquared(column));
    }
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) q[i * columns + j] = basis[j * rows + i] as number;
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
export function randomizedSvd(
  matrix: Tensor<Float32Array | Float64Array>,
  options: RandomizedSvdOptions = {},
): SvdResult {
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

  // B = QᵀA is [sketch, columns]. Its SVD goes through a QR of Bᵀ = Q₂R first, so the
  // dense SVD only sees the small square R: B = Rᵀ·Q₂ᵀ = V_R·Σ·U_Rᵀ·Q₂ᵀ. (ml-matrix on the
  // full [columns, sketch] Bᵀ costs seconds at 1024×74; on R it is milliseconds.)
  const b = gemm(q, a, { m: sketch, k: rows, n: columns, transposeA: true });
  const q2 = new Float64Array(columns * sketch);
  for (let p = 0; p < sketch; p++) for (let j = 0; j < columns; j++) q2[j * sketch + p] = b[p * columns + j] as number;
  orthonormalizeColumnsInPlace(q2, columns, sketch, rng);
  const r = new Matrix(sketch, sketch); // R = Q₂ᵀ·Bᵀ
  for (let p = 0; p < sketch; p++) {
    for (let s2 = 0; s2 < sketch; s2++) {
      let acc = 0;
      for (let j = 0; j < columns; j++) acc += (q2[j * sketch + p] as number) * (b[s2 * columns + j] as number);
      r.set(p, s2, acc);
    }
  }
  const small = new SingularValueDecomposition(r);
  const smallU = small.leftSingularVectors; // of R: [sketch, sketch]
  const smallV = small.rightSingularVectors; // of R: [sketch, sketch]
  const diagonal = small.diagonal;

  const singularValues = new Float64Array(rank);
  for (let k = 0; k < rank; k++) singularValues[k] = diagonal[k] as number;

  // Left singular vectors of A: Q·V_R; right: Q₂·U_R.
  const vR = new Float64Array(sketch * rank);
  const uR = new Float64Array(sketch * rank);
  for (let p = 0; p < sketch; p++) {
    for (let k = 0; k < rank; k++) {
      vR[p * rank + k] = smallV.get(p, k);
      uR[p * rank + k] = smallU.get(p, k);
    }
  }
  const left = new Float64Array(rows * rank);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < sketch; p++) {
      const qValue = q[i * sketch + p] as number;
      for (let k = 0; k < rank; k++) left[i * rank + k] += qValue * (vR[p * rank + k] as number);
    }
  }
  const right = new Float64Array(columns * rank);
  for (let j = 0; j < columns; j++) {
    for (let p = 0; p < sketch; p++) {
      const qValue = q2[j * sketch + p] as number;
      for (let k = 0; k < rank; k++) right[j * rank + k] += qValue * (uR[p * rank + k] as number);
    }
  }

  const totalSquared = frobeniusNormSquared(input.data);
  let keptSquared = 0;
  for (let k = 0; k < rank; k++) keptSquared += (singularValues[k] as number) ** 2;
  return {
    leftSingularVectors: { data: left, shape: [rows, rank] },
    singularValues,
    rightSingularVectors: { data: right, shape: [columns, rank] },
    rank,
    residualNorm: Math.sqrt(Math.max(0, totalSquared - keptSquared)),
    frobeniusNorm: Math.sqrt(totalSquared),
  };
}
