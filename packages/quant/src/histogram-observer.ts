import { assertInteger, type Tensor } from "@mc/core";
import { assertFloatTensor } from "./affine";
import { chooseQParams, type ObservedRange, type QParams } from "./choose-qparams";
import { nothingObserved, OBSERVER_DEFAULTS, type Observer, type ObserverOptions } from "./observer";
import { dtypeBits } from "./quant-dtype";
import { RunningHistogram } from "./running-histogram";

export interface HistogramObserverOptions extends ObserverOptions {
  /** Histogram resolution; PyTorch's default is 2048. */
  bins?: number;
}

/**
 * L2 quantization error, PyTorch's `HistogramObserver._compute_quantization_error`: the
 * source histogram's mass (uniform density inside each bin) quantized onto `dstBins` equal
 * bins spanning source bins [startBin, endBin]; mass outside the span is charged its
 * distance to the nearest end bin's centre.
 */
export function histogramQuantizationError(
  counts: Float64Array,
  binWidth: number,
  startBin: number,
  endBin: number,
  dstBins: number,
): number {
  const bins = counts.length;
  const dstWidth = (binWidth * (endBin - startBin + 1)) / dstBins;
  if (dstWidth === 0) return 0;
  const norm = (begin: number, end: number, density: number) =>
    (density * (end * end * end - begin * begin * begin)) / 3;
  let total = 0;
  for (let b = 0; b < bins; b++) {
    const density = (counts[b] as number) / binWidth;
    if (density === 0) continue;
    const srcBegin = (b - startBin) * binWidth;
    const srcEnd = srcBegin + binWidth;
    const dstOfBegin = Math.min(dstBins - 1, Math.max(0, Math.floor(srcBegin / dstWidth)));
    const dstOfEnd = Math.min(dstBins - 1, Math.max(0, Math.floor(srcEnd / dstWidth)));
    const dstOfBeginCenter = (dstOfBegin + 0.5) * dstWidth;
    total += norm(srcBegin - dstOfBeginCenter, dstWidth / 2, density);
    total += (dstOfEnd - dstOfBegin - 1) * norm(-dstWidth / 2, dstWidth / 2, density);
    const dstOfEndCenter = dstOfEnd * dstWidth + dstWidth / 2;
    total += norm(-dstWidth / 2, srcEnd - dstOfEndCenter, density);
  }
  return total;
}

/**
 * PyTorch's `_non_linear_param_search`: shrink the histogram's range from whichever end holds
 * less mass, in cumulative-mass steps of 1e-5, while the L2 quantization error keeps falling.
 */
export function searchHistogramRange(histogram: RunningHistogram, dstBins: number): ObservedRange {
  const { bins, counts } = histogram;
  const binWidth = histogram.binWidth;
  if (!(binWidth > 0)) return { min: histogram.min, max: histogram.max };
  const total = histogram.total;
  const cumulative = new Float64Array(bins);
  let running = 0;
  for (let b = 0; b < bins; b++) {
    running += counts[b] as number;
    cumulative[b] = running;
  }
  const stepSize = 1e-5;
  let alpha = 0;
  let beta = 1;
  let startBin = 0;
  let endBin = bins - 1;
  let normMin = Number.POSITIVE_INFINITY;
  while (alpha < beta) {
    const nextAlpha = alpha + stepSize;
    const nextBeta = beta - stepSize;
    let l = startBin;
    let r = endBin;
    while (l < endBin && (cumulative[l] as number) < nextAlpha * total) l++;
    while (r > startBin && (cumulative[r] as number) > nextBeta * total) r--;
    let nextStart = startBin;
    let nextEnd = endBin;
    if (l - startBin > endBin - r) {
      nextStart = l;
      alpha = nextAlpha;
    } else {
      nextEnd = r;
      beta = nextBeta;
    }
    if (nextStart === startBin && nextEnd === endBin) continue;
    const norm = histogramQuantizationError(counts, binWidth, nextStart, nextEnd, dstBins);
    if (norm > normMin) break;
    normMin = norm;
    startBin = nextStart;
    endBin = nextEnd;
  }
  return { min: histogram.min + binWidth * startBin, max: histogram.min + binWidth * (endBin + 1) };
}

/**
 * PyTorch's `HistogramObserver`: a 2048-bin histogram of everything observed, and the range
 * that minimizes the L2 error of quantizing that histogram to 2^bits levels. Differs from
 * PyTorch only in how an old histogram is re-binned when a batch widens the range
 * (proportional overlap here, PyTorch upsamples by 128 and aligns bins).
 */
export class HistogramObserver implements Observer {
  private readonly options: Required<ObserverOptions>;
  private readonly histogram: RunningHistogram;

  constructor({ bins = 2048, ...options }: HistogramObserverOptions = {}) {
    assertInteger(bins, "HistogramObserver", "options.bins", { min: 2 });
    this.options = { ...OBSERVER_DEFAULTS, ...options };
    chooseQParams({ min: 0, max: 1 }, this.options);
    this.histogram = new RunningHistogram(bins);
  }

  get count(): number {
    return this.histogram.total;
  }

  observe(x: Tensor<Float32Array>): void {
    this.histogram.add(assertFloatTensor(x, "HistogramObserver.observe").data);
  }

  range(): ObservedRange {
    if (this.histogram.total === 0) throw nothingObserved("HistogramObserver.range");
    return searchHistogramRange(this.histogram, 2 ** dtypeBits(this.options.dtype));
  }

  computeQParams(): QParams {
    return chooseQParams(this.range(), this.options);
  }

  reset(): void {
    this.histogram.reset();
  }
}
