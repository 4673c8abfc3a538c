import type { Tensor } from "@mc/core";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { assertMatrix, assertRankOption, type MatrixInput } from "./matrix-input";

/**
 * A rank-K singular value decomposition M ≈ U·diag(σ)·Vᵀ. Vectors are stored as columns, the
 * way `ml-matrix` and LAPACK return them: `leftSingularVectors` is [rows, K],
 * `rightSingularVectors` is [columns, K]. Values are float64 so that callers can measure
 * errors far below float32 resolution.
 */
export interface SvdResult {
  readonly leftSingularVectors: Tensor<Float64Array>;
  /** The K largest singular values, descending. */
  readonly singularValues: Float64Array;
  readonly rightSingularVectors: Tensor<Float64Array>;
  readonly rank: number;
  /**
   * ‖M − U·diag(σ)·Vᵀ‖_F. For `truncatedSvd` this is √(Σ discarded σ²) from the full
   * spectrum (Eckart–Young); for `randomizedSvd` it is √(‖M‖²_F − Σ kept σ²).
   */
  readonly residualNorm: number;
  /** ‖M‖_F, so `residualNorm / frobeniusNorm` is the relative error. */
  readonly frobeniusNorm: number;
}

export interface TruncatedSvdOptions {
  rank?: number;
}

export interface TruncatedSvdResult extends SvdResult {
  /** The whole spectrum, min(rows, columns) values, descending: input to `selectRank`. */
  readonly allSingularValues: Float64Array;
}

/** Wraps a validated matrix for ml-matrix, copying into float64 rows. */
export function toMlMatrix(input: MatrixInput): Matrix {
  const matrix = new Matrix(input.rows, input.columns);
  for (let i = 0; i < input.rows; i++) {
    const offset = i * input.columns;
    for (let j = 0; j < input.columns; j++) matrix.set(i, j, input.data[offset + j] as number);
  }
  return matrix;
}

/** First `count` columns of an ml-matrix as a row-major [rows, count] float64 tensor. */
export function leadingColumns(matrix: Matrix, count: number): Tensor<Float64Array> {
  const rows = matrix.rows;
  const out = new Float64Array(rows * count);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < count; j++) out[i * count + j] = matrix.get(i, j);
  }
  return { data: out, shape: [rows, count] };
}

/**
 * The best rank-K approximation in Frobenius and spectral norm (Eckart–Young–Mirsky), from
 * `ml-matrix`'s full one-sided Jacobi/Golub–Kahan SVD. Cost is O(M·N·min(M, N)): for large
 * matrices where only a few components are wanted, `randomizedSvd` is much faster.
 *
 * `rank` defaults to min(rows, columns) (the full decomposition).
 */
export function truncatedSvd(
  matrix: Tensor<Float32Array | Float64Array>,
  options: TruncatedSvdOptions = {},
): TruncatedSvdResult {
  const caller = "truncatedSvd";
  const input = assertMatrix(matrix, caller);
  const { rank = Math.min(input.rows, input.columns) } = options;
  assertRankOption(rank, input.rows, input.columns, caller);

  // autoTranspose: ml-matrix's Golub–Kahan code assumes rows >= columns and warns otherwise.
  const svd = new SingularValueDecomposition(toMlMatrix(input), { autoTranspose: true });
  const spectrum = Float64Array.from(svd.diagonal);
  const minDim = Math.min(input.rows, input.columns);
  const allSingularValues = spectrum.subarray(0, minDim).slice();

  let discarded = 0;
  let total = 0;
  for (let i = 0; i < minDim; i++) {
    const s2 = (allSingularValues[i] as number) ** 2;
    total += s2;
    if (i >= rank) discarded += s2;
  }
  return {
    leftSingularVectors: leadingColumns(svd.leftSingularVectors, rank),
    singularValues: allSingularValues.slice(0, rank),
    rightSingularVectors: leadingColumns(svd.rightSingularVectors, rank),
    rank,
    residualNorm: Math.sqrt(discarded),
    frobeniusNorm: Math.sqrt(total),
    allSingularValues,
  };
}

/** U·diag(σ)·Vᵀ as a [rows, columns] float64 tensor: the reconstruction a decomposition stands for. */
export function reconstructSvd(
  svd: Pick<SvdResult, "leftSingularVectors" | "singularValues" | "rightSingularVectors">,
): Tensor<Float64Array> {
  const [rows, rank] = svd.leftSingularVectors.shape as [number, number];
  const columns = svd.rightSingularVectors.shape[0] as number;
  const u = svd.leftSingularVectors.data;
  const v = svd.rightSingularVectors.data;
  const out = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < rank; r++) {
      const scaled = (u[i * rank + r] as number) * (svd.singularValues[r] as number);
      if (scaled === 0) continue;
      const rowOffset = i * columns;
      for (let j = 0; j < columns; j++) out[rowOffset + j] += scaled * (v[j * rank + r] as number);
    }
  }
  return { data: out, shape: [rows, columns] };
}
