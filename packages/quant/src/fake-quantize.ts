import { formatShape, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertAxis, assertFloatTensor, checkParams, perChannelLayout, perTensorLayout, quantizeValue } from "./affine";
import { assertQuantDtype, type QuantDtype, type QuantRangeOptions, quantRange } from "./quant-dtype";

export interface FakeQuantizeOptions extends QuantRangeOptions {
  /** One scale (per tensor) or one per channel along `axis`. */
  scale: number | ArrayLike<number>;
  zeroPoint: number | ArrayLike<number>;
  dtype?: QuantDtype;
  /** Channel axis when `scale` is an array. */
  axis?: number;
}

export interface FakeQuantizeResult {
  /** dequantize(quantize(x)): the value the quantized model will see, still in float32. */
  output: Tensor<Float32Array>;
  /** 1 where roundHalfEven(x / scale) + zeroPoint lies inside [qmin, qmax] (gradient passes), 0 where it was clamped. */
  mask: Uint8Array;
}

/**
 * Fake quantization for quantization-aware training (PyTorch `fake_quantize_per_tensor_affine`
 * / `_per_channel_affine`): out = (clamp(roundHalfEven(x / scale) + zeroPoint, qmin, qmax) −
 * zeroPoint) · scale, in float32. The straight-through estimator treats rounding as the
 * identity and clamping as a cut: ∂out/∂x = 1 inside the range, 0 outside (`mask`).
 */
export function fakeQuantize(x: Tensor<Float32Array>, options: FakeQuantizeOptions): FakeQuantizeResult {
  const caller = "fakeQuantize";
  const input = assertFloatTensor(x, caller);
  const { scale, zeroPoint, dtype = "int8", axis, reduceRange = false, narrowRange = false } = options;
  assertQuantDtype(dtype, caller, "options.dtype");
  const perChannel = typeof scale !== "number";
  const layout = perChannel
    ? perChannelLayout(input.shape, assertAxis(axis ?? 0, input.shape, caller, "options.axis"))
    : perTensorLayout();
  const params = checkParams(
    perChannel ? scale : [scale],
    typeof zeroPoint === "number" ? [zeroPoint] : zeroPoint,
    layout.count,
    dtype,
    caller,
    ["options.scale", "options.zeroPoint"],
  );
  const { qmin, qmax } = quantRange(dtype, { reduceRange, narrowRange });
  const values = input.data;
  const out = new Float32Array(values.length);
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const p = layout.indexOf(i);
    const s = params.scale[p] as number;
    const z = params.zeroPoint[p] as number;
    const unclamped = quantizeValue(values[i] as number, s, z, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    const q = Math.min(qmax, Math.max(qmin, unclamped));
    out[i] = (q - z) * s;
    mask[i] = unclamped >= qmin && unclamped <= qmax ? 1 : 0;
  }
  return { output: { data: out, shape: [...input.shape] }, mask };
}

/** Straight-through gradient: gradOutput where the mask is 1, 0 where the forward pass clamped. */
export function fakeQuantizeBackward(gradOutput: Float32Array, mask: Uint8Array): Float32Array {
  if (gradOutput.length !== mask.length) {
    throw new ShapeMismatchError({
      message: `fakeQuantizeBackward: gradOutput has ${gradOutput.length} elements but mask has ${mask.length} (shape ${formatShape([mask.length])})`,
      expected: [mask.length],
      actual: [gradOutput.length],
    });
  }
  const out = new Float32Array(gradOutput.length);
  for (let i = 0; i < out.length; i++) out[i] = mask[i] ? (gradOutput[i] as number) : 0;
  return out;
}
