import { McError, type Tensor } from "@mc/core";
import type { ObservedRange, QParams } from "./choose-qparams";
import type { QuantDtype } from "./quant-dtype";

/** Options every per-tensor observer takes; defaults suit activations (PyTorch's quint8 affine). */
export interface ObserverOptions {
  dtype?: QuantDtype;
  symmetric?: boolean;
  reduceRange?: boolean;
  narrowRange?: boolean;
}

export const OBSERVER_DEFAULTS = {
  dtype: "uint8",
  symmetric: false,
  reduceRange: false,
  narrowRange: false,
} as const satisfies Required<ObserverOptions>;

/**
 * A calibration observer: sees batches one at a time with bounded memory, and turns what it
 * saw into a range and quantization parameters.
 */
export interface Observer {
  observe(x: Tensor<Float32Array>): void;
  /** The calibrated range (before widening to include 0). */
  range(): ObservedRange;
  computeQParams(): QParams;
  reset(): void;
  /** Number of values observed so far. */
  readonly count: number;
}

export function nothingObserved(caller: string): McError {
  return new McError({ message: `${caller}: no values have been observed yet; call observe() first` });
}
