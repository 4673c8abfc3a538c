import {
  assertAllFinite,
  assertTensor,
  formatShape,
  InvalidArgumentError,
  ShapeMismatchError,
  shapesEqual,
  type Tensor,
} from "@mc/core";

export type FloatTensor = Tensor<Float32Array | Float64Array>;

/** A validated float tensor viewed as rows of `width` values (all leading dimensions flattened). */
export interface RowsView {
  readonly rows: number;
  readonly width: number;
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly number[];
}

/** Finite float tensor with at least `minRank` dimensions and a non-empty last axis. */
export function assertFloatRows(value: unknown, caller: string, argument: string, minRank = 1): RowsView {
  const tensor = assertTensor(value, caller, argument);
  if (!(tensor.data instanceof Float32Array || tensor.data instanceof Float64Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}.data must be a Float32Array or Float64Array, got ${tensor.data.constructor.name}`,
      argument,
    });
  }
  if (tensor.shape.length < minRank) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} must have at least ${minRank} dimensions, got shape ${formatShape(tensor.shape)}`,
      actual: tensor.shape,
    });
  }
  const width = tensor.shape.length === 0 ? 1 : (tensor.shape[tensor.shape.length - 1] as number);
  if (width === 0 || tensor.data.length === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} is empty (shape ${formatShape(tensor.shape)})`,
      argument,
      value: tensor.shape,
    });
  }
  assertAllFinite(tensor.data, caller, argument);
  return { rows: tensor.data.length / width, width, data: tensor.data, shape: tensor.shape };
}

/** [batch, classes] logits, finite. */
export function assertLogits(value: unknown, caller: string, argument: string): RowsView {
  const view = assertFloatRows(value, caller, argument, 2);
  if (view.shape.length !== 2) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} must be [batch, classes], got shape ${formatShape(view.shape)}`,
      actual: view.shape,
    });
  }
  return view;
}

export function assertSameShapes(a: RowsView, b: RowsView, caller: string, names: [string, string]): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeMismatchError({
      message: `${caller}: ${names[0]} has shape ${formatShape(a.shape)} but ${names[1]} has shape ${formatShape(b.shape)}`,
      expected: b.shape,
      actual: a.shape,
    });
  }
}

/** Positive finite temperature. */
export function assertTemperature(value: unknown, caller: string, argument = "options.temperature"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a finite number > 0, got ${String(value)}`,
      argument,
      value,
    });
  }
  return value;
}
