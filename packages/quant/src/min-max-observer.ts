import { assertFiniteNumber, type Tensor } from "@mc/core";
import { assertFloatTensor } from "./affine";
import { chooseQParams, type ObservedRange, type QParams } from "./choose-qparams";
import { nothingObserved, OBSERVER_DEFAULTS, type Observer, type ObserverOptions } from "./observer";

function batchMinMax(values: Float32Array): ObservedRange {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Running min and max of everything observed (PyTorch `MinMaxObserver`). */
export class MinMaxObserver implements Observer {
  protected readonly options: Required<ObserverOptions>;
  protected min = Number.POSITIVE_INFINITY;
  protected max = Number.NEGATIVE_INFINITY;
  count = 0;

  constructor(options: ObserverOptions = {}) {
    this.options = { ...OBSERVER_DEFAULTS, ...options };
    chooseQParams({ min: 0, max: 1 }, this.options); // validates the options up front
  }

  observe(x: Tensor<Float32Array>): void {
    const input = assertFloatTensor(x, `${this.constructor.name}.observe`);
    if (input.data.length === 0) return;
    this.update(batchMinMax(input.data));
    this.count += input.data.length;
  }

  protected update(batch: ObservedRange): void {
    this.min = Math.min(this.min, batch.min);
    this.max = Math.max(this.max, batch.max);
  }

  range(): ObservedRange {
    if (this.count === 0) throw nothingObserved(`${this.constructor.name}.range`);
    return { min: this.min, max: this.max };
  }

  computeQParams(): QParams {
    return chooseQParams(this.range(), this.options);
  }

  reset(): void {
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.count = 0;
  }
}

export interface MovingAverageMinMaxObserverOptions extends ObserverOptions {
  /** Weight of each new batch: min ← min + c·(batchMin − min). PyTorch's default is 0.01. */
  averagingConstant?: number;
}

/**
 * Exponential moving average of per-batch minima and maxima (PyTorch
 * `MovingAverageMinMaxObserver`): the first batch sets the range, later batches move it by
 * `averagingConstant` of the difference, in float32 as PyTorch computes it.
 */
export class MovingAverageMinMaxObserver extends MinMaxObserver {
  readonly averagingConstant: number;

  constructor({ averagingConstant = 0.01, ...options }: MovingAverageMinMaxObserverOptions = {}) {
    super(options);
    this.averagingConstant = assertFiniteNumber(
      averagingConstant,
      "MovingAverageMinMaxObserver",
      "options.averagingConstant",
      { min: 0, max: 1, exclusiveMin: true },
    );
  }

  protected override update(batch: ObservedRange): void {
    if (this.count === 0) {
      this.min = batch.min;
      this.max = batch.max;
      return;
    }
    const c = Math.fround(this.averagingConstant);
    this.min = Math.fround(this.min + Math.fround(c * Math.fround(batch.min - this.min)));
    this.max = Math.fround(this.max + Math.fround(c * Math.fround(batch.max - this.max)));
  }
}
