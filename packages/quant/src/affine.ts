import {
  assertAllFinite,
  assertInteger,
  assertTensor,
  formatShape,
  InvalidArgumentError,
  roundHalfEven,
  ShapeMismatchError,
  type Tensor,
  type TensorData,
} from "@mc/core";
import { packQuantData, type QuantDtype, quantRange } from "./quant-dtype";

/**
 * Shared pieces of the quantize/dequantize family: input checks and the mapping from an
 * element's flat index to the index of its scale and zero point.
 */

export function assertFloatTensor(x: unknown, caller: string, argument = "x"): Tensor<Float32Array> {
  const tensor = assertTensor(x, caller, argument) as Tensor<TensorData>;
  if (!(tensor.data instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}.data must be a Float32Array, got ${tensor.data.constructor.name}`,
      argument,
      value: x,
    });
  }
  assertAllFinite(tensor.data, caller, argument);
  return tensor as Tensor<Float32Array>;
}

export function assertAxis(axis: unknown, shape: readonly number[], caller: string, argument = "axis"): number {
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -shape.length || axis >= shape.length) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} ${String(axis)} is out of range for shape ${formatShape(shape)}`,
      argument,
      value: axis,
    });
  }
  return axis < 0 ? axis + shape.length : axis;
}

export interface ParamLayout {
  /** Number of scales / zero points. */
  count: number;
  /** Index of the scale and zero point of element `i` (row-major). */
  indexOf(i: number): number;
}

export function perTensorLayout(): ParamLayout {
  return { count: 1, indexOf: () => 0 };
}

export function perChannelLayout(shape: readonly number[], axis: number): ParamLayout {
  const dim = shape[axis] as number;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d] as number;
  return { count: dim, indexOf: (i) => Math.floor(i / inner) % dim };
}

/** ONNX blocked layout: parameters shaped like the input with `shape[axis]` replaced by `shape[axis] / blockSize`. */
export function blockLayout(shape: readonly number[], axis: number, blockSize: number): ParamLayout {
  const dim = shape[axis] as number;
  const blocks = dim / blockSize;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d] as number;
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d] as number;
  return {
    count: outer * blocks * inner,
    indexOf: (i) => {
      const j = i % inner;
      const rest = Math.floor(i / inner);
      const d = rest % dim;
      const o = Math.floor(rest / dim);
      return (o * blocks + Math.floor(d / blockSize)) * inner + j;
    },
  };
}

/** Checks every scale and zero point and returns them in their stored types. */
export function checkParams(
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  count: number,
  dtype: QuantDtype,
  caller: string,
  names: [string, string] = ["scales", "zeroPoints"],
): { scale: Float32Array; zeroPoint: Int32Array } {
  for (const [values, name] of [
    [scales, names[0]],
    [zeroPoints, names[1]],
  ] as const) {
    if (values?.length !== count) {
      throw new ShapeMismatchError({
        message: `${caller}: ${name} has ${values?.length ?? "no"} entries but ${count} are needed`,
        expected: [count],
        actual: values?.length === undefined ? undefined : [values.length],
      });
    }
  }
  const { qmin, qmax } = quantRange(dtype);
  const scale = new Float32Array(count);
  const zeroPoint = new Int32Array(count);
  for (let c = 0; c < count; c++) {
    const s = scales[c] as number;
    const stored = Math.fround(s);
    if (!(Number.isFinite(stored) && stored > 0)) {
      throw new InvalidArgumentError({
        message: `${caller}: ${names[0]}[${c}] must be a finite number > 0 (as float32), got ${String(s)}`,
        argument: names[0],
        value: s,
      });
    }
    const z = zeroPoints[c] as number;
    if (!Number.isInteger(z) || z < qmin || z > qmax) {
      throw new InvalidArgumentError({
        message: `${caller}: ${names[1]}[${c}] must be an integer in [${qmin}, ${qmax}] for ${dtype}, got ${String(z)}`,
        argument: names[1],
        value: z,
      });
    }
    scale[c] = stored;
    zeroPoint[c] = z;
  }
  return { scale, zeroPoint };
}

/**
 * q = clamp(roundHalfEven(x / scale) + zeroPoint, qmin, qmax), the quotient rounded to
 * float32 first exactly as ONNX Runtime's QuantizeLinear computes it (a float32 division).
 */
export function quantizeValue(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const q = roundHalfEven(Math.fround(x / scale)) + zeroPoint;
  return Math.min(qmax, Math.max(qmin, q));
}

export function quantizeWithLayout(
  values: Float32Array,
  layout: ParamLayout,
  scale: Float32Array,
  zeroPoint: Int32Array,
  dtype: QuantDtype,
  range = quantRange(dtype),
): Int8Array | Uint8Array {
  const { qmin, qmax } = range;
  const q = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const p = layout.indexOf(i);
    q[i] = quantizeValue(values[i] as number, scale[p] as number, zeroPoint[p] as number, qmin, qmax);
  }
  return packQuantData(q, dtype);
}

export function assertBlockSize(
  blockSize: unknown,
  dim: number,
  shape: readonly number[],
  axis: number,
  caller: string,
) {
  assertInteger(blockSize, caller, "options.blockSize", { min: 1 });
  if (dim % (blockSize as number) !== 0) {
    throw new InvalidArgumentError({
      message: `${caller}: options.blockSize ${String(blockSize)} does not divide dimension ${axis} (${dim}) of shape ${formatShape(shape)}`,
      argument: "options.blockSize",
      value: blockSize,
    });
  }
  return blockSize as number;
}
