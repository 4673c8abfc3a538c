import { InvalidArgumentError, ShapeMismatchError } from "./errors";

/** Typed arrays a tensor may hold. Real values are `Float32Array`. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** A plain row-major tensor record: no methods, no hidden state. */
export interface Tensor<T extends TensorData = Float32Array> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** `[64, 128]`, the way every mc message prints a shape. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Number of elements of a shape; every dimension must be a non-negative safe integer and
 * the product must stay a safe integer. `[]` (a scalar) has one element.
 */
export function elementCount(shape: readonly number[], caller = "elementCount"): number {
  if (!Array.isArray(shape)) {
    throw new InvalidArgumentError({
      message: `${caller}: shape must be an array of dimensions, got ${typeof shape}`,
      argument: "shape",
      value: shape,
    });
  }
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i] as number;
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new InvalidArgumentError({
        message: `${caller}: dimension ${i} of shape ${formatShape(shape)} is ${dim}; dimensions must be non-negative integers`,
        argument: "shape",
        value: shape,
      });
    }
    count *= dim;
    if (!Number.isSafeInteger(count)) {
      throw new InvalidArgumentError({
        message: `${caller}: shape ${formatShape(shape)} has more elements than a safe integer can count`,
        argument: "shape",
        value: shape,
      });
    }
  }
  return count;
}

/** Builds a tensor after checking that `data.length` matches the shape. */
export function createTensor<T extends TensorData>(
  data: T,
  shape: readonly number[],
  caller = "createTensor",
): Tensor<T> {
  const count = elementCount(shape, caller);
  if (data.length !== count) {
    throw new ShapeMismatchError({
      message: `${caller}: data has ${data.length} elements but shape ${formatShape(shape)} needs ${count}`,
      expected: [count],
      actual: [data.length],
    });
  }
  return { data, shape: [...shape] };
}

/** A new fp32 tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor<Float32Array> {
  return { data: new Float32Array(elementCount(shape, "zeros")), shape: [...shape] };
}

/** True when `value` looks like `{ data: TypedArray, shape: number[] }` with matching length. */
export function isTensor(value: unknown): value is Tensor<TensorData> {
  if (typeof value !== "object" || value === null) return false;
  const { data, shape } = value as { data?: unknown; shape?: unknown };
  if (!ArrayBuffer.isView(data) || data instanceof DataView || !Array.isArray(shape)) return false;
  try {
    return elementCount(shape) === (data as TensorData).length;
  } catch {
    return false;
  }
}

/** Throws unless `value` is a consistent tensor; returns it typed. */
export function assertTensor(value: unknown, caller: string, argument = "tensor"): Tensor<TensorData> {
  if (typeof value !== "object" || value === null) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a tensor { data, shape }, got ${value === null ? "null" : typeof value}`,
      argument,
      value,
    });
  }
  const { data, shape } = value as { data?: unknown; shape?: unknown };
  if (!ArrayBuffer.isView(data) || data instanceof DataView) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}.data must be a typed array`,
      argument,
      value,
    });
  }
  const count = elementCount(shape as number[], caller);
  if ((data as TensorData).length !== count) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument}.data has ${(data as TensorData).length} elements but its shape ${formatShape(shape as number[])} needs ${count}`,
      expected: [count],
      actual: [(data as TensorData).length],
    });
  }
  return value as Tensor<TensorData>;
}

/** Throws unless the tensor has exactly `rank` dimensions. */
export function assertRank(tensor: Tensor<TensorData>, rank: number, caller: string, argument = "tensor"): void {
  if (tensor.shape.length !== rank) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} must have rank ${rank}, got shape ${formatShape(tensor.shape)}`,
      actual: tensor.shape,
    });
  }
}

/** True when both shapes have the same dimensions. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws a `ShapeMismatchError` naming both shapes unless they are equal. */
export function assertSameShape(
  a: Tensor<TensorData>,
  b: Tensor<TensorData>,
  caller: string,
  names: [string, string] = ["a", "b"],
): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeMismatchError({
      message: `${caller}: ${names[0]} has shape ${formatShape(a.shape)} but ${names[1]} has shape ${formatShape(b.shape)}`,
      expected: a.shape,
      actual: b.shape,
    });
  }
}
