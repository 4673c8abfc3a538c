import {
  assertAllFinite,
  assertTensor,
  formatShape,
  InvalidArgumentError,
  type Tensor,
  type TensorData,
} from "@mc/core";

/** A validated real matrix: row-major values with its two dimensions. */
export interface MatrixInput {
  readonly rows: number;
  readonly columns: number;
  readonly data: Float32Array | Float64Array;
}

/**
 * Checks that `value` is a finite 2-D float tensor with no empty dimension. A vector, a
 * 3-D tensor or an integer tensor is refused: the factorizations here are defined on real
 * matrices only and silently reshaping would hide a caller's mistake.
 */
export function assertMatrix(value: unknown, caller: string, argument = "matrix"): MatrixInput {
  const tensor = assertTensor(value, caller, argument) as Tensor<TensorData>;
  if (tensor.shape.length !== 2) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a matrix (2-D tensor), got shape ${formatShape(tensor.shape)}`,
      argument,
      value: tensor.shape,
    });
  }
  if (!(tensor.data instanceof Float32Array || tensor.data instanceof Float64Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}.data must be a Float32Array or Float64Array, got ${tensor.data.constructor.name}`,
      argument,
    });
  }
  const [rows, columns] = tensor.shape as [number, number];
  if (rows === 0 || columns === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} is empty (shape ${formatShape(tensor.shape)})`,
      argument,
      value: tensor.shape,
    });
  }
  assertAllFinite(tensor.data, caller, argument);
  return { rows, columns, data: tensor.data };
}

/** Throws unless `rank` is an integer in [1, maxRank], naming the matrix shape. */
export function assertRankOption(
  rank: unknown,
  rows: number,
  columns: number,
  caller: string,
  argument = "options.rank",
): number {
  const maxRank = Math.min(rows, columns);
  if (typeof rank !== "number" || !Number.isSafeInteger(rank) || rank < 1 || rank > maxRank) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be an integer in [1, ${maxRank}] for a matrix of shape [${rows}, ${columns}], got ${String(rank)}`,
      argument,
      value: rank,
    });
  }
  return rank;
}

/** Squared Frobenius norm, accumulated in float64. */
export function frobeniusNormSquared(data: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    sum += v * v;
  }
  return sum;
}
