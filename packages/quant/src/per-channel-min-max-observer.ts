import { formatShape, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertAxis, assertFloatTensor } from "./affine";
import { type ChannelQParams, chooseQParams, chooseQParamsPerChannel } from "./choose-qparams";
import { nothingObserved, type ObserverOptions } from "./observer";

export interface PerChannelMinMaxObserverOptions extends ObserverOptions {
  /** Channel axis; 0 is the output channel of an [out, in] or [out, in, kh, kw] weight. */
  axis?: number;
}

/**
 * Running min and max per channel along `axis` (PyTorch `PerChannelMinMaxObserver`).
 * Defaults suit weights: int8, symmetric, axis 0.
 */
export class PerChannelMinMaxObserver {
  readonly axis: number;
  private readonly options: Required<ObserverOptions>;
  private min: Float64Array | undefined;
  private max: Float64Array | undefined;
  count = 0;

  constructor({
    axis = 0,
    dtype = "int8",
    symmetric = true,
    reduceRange = false,
    narrowRange = false,
  }: PerChannelMinMaxObserverOptions = {}) {
    this.axis = axis;
    this.options = { dtype, symmetric, reduceRange, narrowRange };
    chooseQParams({ min: 0, max: 1 }, this.options);
  }

  observe(x: Tensor<Float32Array>): void {
    const caller = "PerChannelMinMaxObserver.observe";
    const input = assertFloatTensor(x, caller);
    const axis = assertAxis(this.axis, input.shape, caller, "axis");
    const channels = input.shape[axis] as number;
    if (this.min === undefined || this.max === undefined) {
      this.min = new Float64Array(channels).fill(Number.POSITIVE_INFINITY);
      this.max = new Float64Array(channels).fill(Number.NEGATIVE_INFINITY);
    } else if (this.min.length !== channels) {
      throw new ShapeMismatchError({
        message: `${caller}: x has ${channels} channels on axis ${axis} (shape ${formatShape(input.shape)}) but earlier batches had ${this.min.length}`,
        expected: [this.min.length],
        actual: [channels],
      });
    }
    let inner = 1;
    for (let d = axis + 1; d < input.shape.length; d++) inner *= input.shape[d] as number;
    const values = input.data;
    const min = this.min;
    const max = this.max;
    for (let i = 0; i < values.length; i++) {
      const c = Math.floor(i / inner) % channels;
      const v = values[i] as number;
      if (v < (min[c] as number)) min[c] = v;
      if (v > (max[c] as number)) max[c] = v;
    }
    this.count += values.length;
  }

  range(): { min: Float64Array; max: Float64Array } {
    if (this.count === 0 || this.min === undefined || this.max === undefined) {
      throw nothingObserved("PerChannelMinMaxObserver.range");
    }
    return { min: this.min.slice(), max: this.max.slice() };
  }

  computeQParams(): ChannelQParams {
    return chooseQParamsPerChannel(this.range(), this.options);
  }

  reset(): void {
    this.min = undefined;
    this.max = undefined;
    this.count = 0;
  }
}
