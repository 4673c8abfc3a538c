import { assertFiniteNumber, assertInteger, type Tensor } from "@mc/core";
import { assertFloatTensor } from "./affine";
import { chooseQParams, type ObservedRange, type QParams } from "./choose-qparams";
import { nothingObserved, OBSERVER_DEFAULTS, type Observer, type ObserverOptions } from "./observer";
import { RunningHistogram } from "./running-histogram";

export interface PercentileObserverOptions extends ObserverOptions {
  /** Upper percentile kept, e.g. 99.99: the range is [P(100 − p), P(p)]. */
  percentile?: number;
  bins?: number;
}

/**
 * Clips the range to percentiles of the observed distribution, read from a running
 * histogram (bounded memory; exact to within one bin width for a single batch).
 */
export class PercentileObserver implements Observer {
  readonly percentile: number;
  private readonly options: Required<ObserverOptions>;
  private readonly histogram: RunningHistogram;

  constructor({ percentile = 99.99, bins = 2048, ...options }: PercentileObserverOptions = {}) {
    this.percentile = assertFiniteNumber(percentile, "PercentileObserver", "options.percentile", { min: 50, max: 100 });
    assertInteger(bins, "PercentileObserver", "options.bins", { min: 2 });
    this.options = { ...OBSERVER_DEFAULTS, ...options };
    chooseQParams({ min: 0, max: 1 }, this.options);
    this.histogram = new RunningHistogram(bins);
  }

  get count(): number {
    return this.histogram.total;
  }

  observe(x: Tensor<Float32Array>): void {
    this.histogram.add(assertFloatTensor(x, "PercentileObserver.observe").data);
  }

  range(): ObservedRange {
    if (this.histogram.total === 0) throw nothingObserved("PercentileObserver.range");
    const p = this.percentile / 100;
    return { min: this.histogram.quantile(1 - p), max: this.histogram.quantile(p) };
  }

  computeQParams(): QParams {
    return chooseQParams(this.range(), this.options);
  }

  reset(): void {
    this.histogram.reset();
  }
}
