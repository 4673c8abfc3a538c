import { elementCount, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import {
  assertAxis,
  assertBlockSize,
  blockLayout,
  type ParamLayout,
  perChannelLayout,
  perTensorLayout,
} from "./affine";
import { assertQuantDtype, type QuantizedTensor, quantByteLength, quantRange, unpackQuantData } from "./quant-dtype";

/** Which parameter layout a quantized tensor uses, after checking that its fields agree. */
export function layoutOf(q: QuantizedTensor, caller: string): ParamLayout {
  const count = elementCount(q.shape, caller);
  if (q.data?.length !== quantByteLength(q.dtype, count)) {
    throw new ShapeMismatchError({
      message: `${caller}: q.data has ${q.data?.length} bytes but ${q.dtype} of shape ${formatShape(q.shape)} needs ${quantByteLength(q.dtype, count)}`,
      expected: [quantByteLength(q.dtype, count)],
      actual: q.data?.length === undefined ? undefined : [q.data.length],
    });
  }
  let layout: ParamLayout;
  if (q.axis === undefined) {
    if (q.blockSize !== undefined) {
      throw new InvalidArgumentError({ message: `${caller}: q.blockSize needs q.axis`, argument: "q.blockSize" });
    }
    layout = perTensorLayout();
  } else {
    const axis = assertAxis(q.axis, q.shape, caller, "q.axis");
    layout =
      q.blockSize === undefined
        ? perChannelLayout(q.shape, axis)
        : blockLayout(q.shape, axis, assertBlockSize(q.blockSize, q.shape[axis] as number, q.shape, axis, caller));
  }
  if (q.scale?.length !== layout.count || q.zeroPoint?.length !== layout.count) {
    throw new ShapeMismatchError({
      message: `${caller}: q.scale has ${q.scale?.length} and q.zeroPoint ${q.zeroPoint?.length} entries but ${layout.count} are needed for shape ${formatShape(q.shape)}`,
      expected: [layout.count],
    });
  }
  return layout;
}

/**
 * x = (q − zeroPoint) · scale in float32, as ONNX `DequantizeLinear` (bit-exact against
 * onnxruntime). Works for per-tensor, per-channel and blockwise tensors alike.
 */
export function dequantize(q: QuantizedTensor): Tensor<Float32Array> {
  const caller = "dequantize";
  if (typeof q !== "object" || q === null) {
    throw new InvalidArgumentError({ message: `${caller}: q must be a QuantizedTensor`, argument: "q", value: q });
  }
  assertQuantDtype(q.dtype, caller, "q.dtype");
  const layout = layoutOf(q, caller);
  const { qmin, qmax } = quantRange(q.dtype);
  for (let p = 0; p < layout.count; p++) {
    const s = q.scale[p] as number;
    const z = q.zeroPoint[p] as number;
    if (!(Number.isFinite(s) && s > 0) || z < qmin || z > qmax) {
      throw new InvalidArgumentError({
        message: `${caller}: q.scale[${p}] = ${s} / q.zeroPoint[${p}] = ${z} are not valid for ${q.dtype}`,
        argument: "q",
      });
    }
  }
  const count = elementCount(q.shape, caller);
  const values = unpackQuantData(q.data, q.dtype, count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const p = layout.indexOf(i);
    out[i] = ((values[i] as number) - (q.zeroPoint[p] as number)) * (q.scale[p] as number);
  }
  return { data: out, shape: [...q.shape] };
}
