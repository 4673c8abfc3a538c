import { assertAllFinite, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertMatrix, assertRankOption, frobeniusNormSquared, type MatrixInput } from "./matrix-input";
import { randomizedSvd } from "./randomized-svd";
import { type SvdResult, truncatedSvd } from "./truncated-svd";

export interface FactorizeLinearOptions {
  rank?: number;
  /** `"svd"`: exact truncated SVD; `"randomized"`: Halko et al., for large layers. */
  method?: "svd" | "randomized";
  /** Passed to `randomizedSvd` when `method` is `"randomized"`. */
  seed?: number;
  oversamples?: number;
  powerIterations?: number;
  /**
   * Optional positive per-input-column scales s (length N). The SVD is taken of W·diag(s)
   * and the right factor is multiplied by diag(1/s), so the truncation minimizes error where
   * s is large (ASVD). See `factorizeLinearActivationAware`.
   */
  columnScales?: ArrayLike<number>;
}

/** W [M, N] ≈ leftFactor [M, K] · rightFactor [K, N]. */
export interface FactorizeLinearResult {
  /** A = U_K·diag(√σ) [M, K]: the second layer (K → M). */
  readonly leftFactor: Tensor<Float32Array>;
  /** B = diag(√σ)·V_Kᵀ [K, N]: the first layer (N → K). */
  readonly rightFactor: Tensor<Float32Array>;
  readonly rank: number;
  readonly singularValues: Float64Array;
  /** M·N. */
  readonly originalParameters: number;
  /** (M + N)·K. */
  readonly factorizedParameters: number;
  /** originalParameters / factorizedParameters. */
  readonly compressionRatio: number;
  /** ‖W − A·B‖_F measured on the fp32 factors. */
  readonly absoluteError: number;
  /** ‖W − A·B‖_F / ‖W‖_F (0 for a zero matrix). */
  readonly relativeError: number;
}

export function assertSavesParameters(rows: number, columns: number, rank: number, caller: string): void {
  if ((rows + columns) * rank >= rows * columns) {
    const maxRank = Math.ceil((rows * columns) / (rows + columns)) - 1;
    throw new InvalidArgumentError({
      message: `${caller}: rank ${rank} does not save parameters for shape [${rows}, ${columns}]: (${rows} + ${columns})·${rank} = ${(rows + columns) * rank} >= ${rows * columns}; use a rank <= ${maxRank}`,
      argument: "options.rank",
      value: rank,
    });
  }
}

function assertColumnScales(scales: ArrayLike<number>, columns: number, caller: string): Float64Array {
  if (scales.length !== columns) {
    throw new ShapeMismatchError({
      message: `${caller}: options.columnScales has ${scales.length} values but the weight has ${columns} columns`,
      expected: [columns],
      actual: [scales.length],
    });
  }
  assertAllFinite(scales, caller, "options.columnScales");
  for (let j = 0; j < columns; j++) {
    if (!((scales[j] as number) > 0)) {
      throw new InvalidArgumentError({
        message: `${caller}: options.columnScales must be positive; index ${j} holds ${scales[j]}`,
        argument: "options.columnScales",
        value: scales[j],
      });
    }
  }
  return Float64Array.from(scales);
}

function decompose(input: MatrixInput, rank: number, options: FactorizeLinearOptions, caller: string): SvdResult {
  const { method = "svd", seed, oversamples, powerIterations } = options;
  const matrix: Tensor<Float32Array | Float64Array> = { data: input.data, shape: [input.rows, input.columns] };
  if (method === "svd") return truncatedSvd(matrix, { rank });
  if (method === "randomized") return randomizedSvd(matrix, { rank, seed, oversamples, powerIterations });
  throw new InvalidArgumentError({
    message: `${caller}: options.method must be "svd" or "randomized", got ${JSON.stringify(method)}`,
    argument: "options.method",
    value: method,
  });
}

/** ‖W − A·B‖²_F in float64 without materializing A·B. */
function squaredReconstructionError(
  weight: MatrixInput,
  left: Float32Array,
  right: Float32Array,
  rank: number,
): number {
  const { rows, columns } = weight;
  const row = new Float64Array(columns);
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) row[j] = weight.data[i * columns + j] as number;
    for (let r = 0; r < rank; r++) {
      const a = left[i * rank + r] as number;
      const offset = r * columns;
      for (let j = 0; j < columns; j++) row[j] -= a * (right[offset + j] as number);
    }
    sum += frobeniusNormSquared(row);
  }
  return sum;
}

/**
 * Factorizes a linear layer's weight W [out = M, in = N] into A [M, K] and B [K, N] with the
 * singular values split evenly (A = U√Σ, B = √ΣVᵀ) so both factors have similar scale for
 * fine-tuning. In PyTorch layout y = x·Wᵀ ≈ (x·Bᵀ)·Aᵀ: B is the weight of a Linear(N → K)
 * and A of a Linear(K → M); the bias stays on the second.
 *
 * Only ranks that save parameters are accepted: (M + N)·K < M·N, else an
 * `InvalidArgumentError` names the largest useful rank.
 */
export function factorizeLinear(
  weight: Tensor<Float32Array | Float64Array>,
  options: FactorizeLinearOptions = {},
): FactorizeLinearResult {
  return factorizeMatrix(weight, options, "factorizeLinear", "weight");
}

export function factorizeMatrix(
  weight: Tensor<Float32Array | Float64Array>,
  options: FactorizeLinearOptions,
  caller: string,
  argument: string,
): FactorizeLinearResult {
  const input = assertMatrix(weight, caller, argument);
  const { rows, columns } = input;
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError({ message: `${caller}: options must be an object`, argument: "options" });
  }
  const rank = assertRankOption(options.rank, rows, columns, caller);
  assertSavesParameters(rows, columns, rank, caller);

  let target = input;
  let scales: Float64Array | undefined;
  if (options.columnScales !== undefined) {
    scales = assertColumnScales(options.columnScales, columns, caller);
    const scaled = new Float64Array(rows * columns);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < columns; j++)
        scaled[i * columns + j] = (input.data[i * columns + j] as number) * (scales[j] as number);
    }
    target = { rows, columns, data: scaled };
  }

  const svd = decompose(target, rank, options, caller);
  const left = new Float32Array(rows * rank);
  const right = new Float32Array(rank * columns);
  const u = svd.leftSingularVectors.data;
  const v = svd.rightSingularVectors.data;
  for (let r = 0; r < rank; r++) {
    const root = Math.sqrt(svd.singularValues[r] as number);
    for (let i = 0; i < rows; i++) left[i * rank + r] = (u[i * rank + r] as number) * root;
    for (let j = 0; j < columns; j++) {
      const unscale = scales === undefined ? 1 : 1 / (scales[j] as number);
      right[r * columns + j] = (v[j * rank + r] as number) * root * unscale;
    }
  }

  const absoluteError = Math.sqrt(squaredReconstructionError(input, left, right, rank));
  const norm = Math.sqrt(frobeniusNormSquared(input.data));
  const originalParameters = rows * columns;
  const factorizedParameters = (rows + columns) * rank;
  return {
    leftFactor: { data: left, shape: [rows, rank] },
    rightFactor: { data: right, shape: [rank, columns] },
    rank,
    singularValues: svd.singularValues,
    originalParameters,
    factorizedParameters,
    compressionRatio: originalParameters / factorizedParameters,
    absoluteError,
    relativeError: norm === 0 ? 0 : absoluteError / norm,
  };
}

export interface FactorizeEmbeddingResult {
  /** [vocabulary, K]: the small embedding table (ALBERT's E-dimensional embedding). */
  readonly embedding: Tensor<Float32Array>;
  /** [K, hidden]: maps a looked-up row to the hidden size, `hiddenRow = embeddingRow · projection`. */
  readonly projection: Tensor<Float32Array>;
  readonly rank: number;
  readonly singularValues: Float64Array;
  readonly originalParameters: number;
  readonly factorizedParameters: number;
  readonly compressionRatio: number;
  readonly absoluteError: number;
  readonly relativeError: number;
}

/**
 * ALBERT's factorized embedding parameterization (Lan et al. 2020): a [vocabulary, hidden]
 * table becomes a [vocabulary, K] table and a [K, hidden] projection, initialized from the
 * truncated SVD so each token's row is reproduced as well as rank K allows. ALBERT's own
 * case, 21128×1024 at K = 128, is about 7.6× smaller. Use `method: "randomized"` for
 * large vocabularies.
 */
export function factorizeEmbedding(
  table: Tensor<Float32Array | Float64Array>,
  options: Omit<FactorizeLinearOptions, "columnScales"> = {},
): FactorizeEmbeddingResult {
  const { leftFactor, rightFactor, ...rest } = factorizeMatrix(
    table,
    { ...options, columnScales: undefined },
    "factorizeEmbedding",
    "table",
  );
  return { embedding: leftFactor, projection: rightFactor, ...rest };
}
