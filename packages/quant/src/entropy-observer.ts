import { assertInteger, type Tensor } from "@mc/core";
import { assertFloatTensor } from "./affine";
import { chooseQParams, type ObservedRange, type QParams } from "./choose-qparams";
import { nothingObserved, OBSERVER_DEFAULTS, type Observer, type ObserverOptions } from "./observer";
import { quantRange } from "./quant-dtype";
import { RunningHistogram } from "./running-histogram";

export interface EntropyObserverOptions extends ObserverOptions {
  bins?: number;
}

/**
 * KL(P ‖ Q) after MXNet's `_smooth_distribution` (eps = 1e-4 moved onto empty bins, taken
 * evenly from the others) of both; undefined when either is all zeros.
 */
function smoothedKl(p: Float64Array, q: Float64Array, length: number, eps = 1e-4): number | undefined {
  let zerosP = 0;
  let zerosQ = 0;
  let sumP = 0;
  let sumQ = 0;
  for (let i = 0; i < length; i++) {
    if (p[i] === 0) zerosP++;
    if (q[i] === 0) zerosQ++;
    sumP += p[i] as number;
    sumQ += q[i] as number;
  }
  if (zerosP === length || zerosQ === length) return undefined;
  const epsP = (eps * zerosP) / (length - zerosP);
  const epsQ = (eps * zerosQ) / (length - zerosQ);
  // Smoothing moves mass between bins but keeps each total, so the sums normalize both.
  let kl = 0;
  for (let i = 0; i < length; i++) {
    const pi = ((p[i] as number) === 0 ? eps : (p[i] as number) - epsP) / sumP;
    const qi = ((q[i] as number) === 0 ? eps : (q[i] as number) - epsQ) / sumQ;
    if (pi > 0) kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/**
 * TensorRT's entropy calibration (Migacz, "8-bit Inference with TensorRT", 2017), with
 * MXNet's merging and smoothing: for each candidate threshold (kept bins i ≥ levels) the
 * reference P is the |x| histogram cut at i with the clipped tail added to the last bin; Q is
 * the same bins merged into `levels` groups and spread back over the non-empty bins; the
 * threshold with the smallest KL(P ‖ Q) wins (the largest such threshold on ties, as NVIDIA's
 * pytorch-quantization picks the last argmin). Returns the kept bin count.
 */
export function searchEntropyThreshold(histogram: Float64Array, levels: number): number {
  const bins = histogram.length;
  if (bins <= levels) return bins;
  // NVIDIA pytorch-quantization's `_compute_amax_entropy` sets bins[0] = bins[1]: a spike of exact
  // zeros (ReLU outputs, image backgrounds) would otherwise dominate P and drive the threshold down.
  const counts = histogram.slice();
  if (bins > 1) counts[0] = counts[1] as number;
  const suffix = new Float64Array(bins + 1);
  for (let b = bins - 1; b >= 0; b--) suffix[b] = (suffix[b + 1] as number) + (counts[b] as number);
  let best = bins;
  let bestDivergence = Number.POSITIVE_INFINITY;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  for (let i = levels; i <= bins; i++) {
    p.set(counts.subarray(0, i));
    p[i - 1] = (p[i - 1] as number) + (suffix[i] as number);
    q.fill(0, 0, i);
    const merged = Math.floor(i / levels);
    for (let j = 0; j < levels; j++) {
      const start = j * merged;
      const stop = j === levels - 1 ? i : start + merged;
      let mass = 0;
      let nonEmpty = 0;
      for (let k = start; k < stop; k++) {
        mass += counts[k] as number;
        if ((p[k] as number) !== 0) nonEmpty++;
      }
      if (nonEmpty === 0) continue;
      for (let k = start; k < stop; k++) if ((p[k] as number) !== 0) q[k] = mass / nonEmpty;
    }
    const divergence = smoothedKl(p, q, i);
    if (divergence !== undefined && divergence <= bestDivergence) {
      bestDivergence = divergence;
      best = i;
    }
  }
  return best;
}

/**
 * Entropy (KL-divergence) calibration, TensorRT style: a running histogram of |x|, and the
 * clipping threshold T whose quantized distribution loses the least information. The range is
 * [−T, T], or [0, T] when nothing negative was observed (ReLU outputs), so that unsigned
 * types spend all their levels on the values that occur.
 */
export class EntropyObserver implements Observer {
  private readonly options: Required<ObserverOptions>;
  private readonly histogram: RunningHistogram;
  private min = Number.POSITIVE_INFINITY;

  constructor({ bins = 2048, ...options }: EntropyObserverOptions = {}) {
    assertInteger(bins, "EntropyObserver", "options.bins", { min: 2 });
    this.options = { ...OBSERVER_DEFAULTS, ...options };
    chooseQParams({ min: 0, max: 1 }, this.options);
    this.histogram = new RunningHistogram(bins);
  }

  get count(): number {
    return this.histogram.total;
  }

  observe(x: Tensor<Float32Array>): void {
    const values = assertFloatTensor(x, "EntropyObserver.observe").data;
    for (let i = 0; i < values.length; i++) if ((values[i] as number) < this.min) this.min = values[i] as number;
    this.histogram.add(values, true);
  }

  range(): ObservedRange {
    if (this.histogram.total === 0) throw nothingObserved("EntropyObserver.range");
    const { qmin, qmax } = quantRange(this.options.dtype, this.options);
    const nonNegative = this.min >= 0;
    const levels = nonNegative ? qmax - qmin + 1 : Math.floor((qmax - qmin + 1) / 2);
    const kept = searchEntropyThreshold(this.histogram.counts, levels);
    const threshold = this.histogram.min + kept * this.histogram.binWidth;
    return nonNegative ? { min: 0, max: threshold } : { min: -threshold, max: threshold };
  }

  computeQParams(): QParams {
    return chooseQParams(this.range(), this.options);
  }

  reset(): void {
    this.histogram.reset();
    this.min = Number.POSITIVE_INFINITY;
  }
}
