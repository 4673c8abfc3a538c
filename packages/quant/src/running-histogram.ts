/**
 * A fixed-size histogram whose range grows to cover every value seen: bounded memory however
 * many batches arrive. When a batch falls outside the current range, the old counts are
 * spread over the wider bins in proportion to overlap (mass assumed uniform inside a bin).
 * Bin edges follow `torch.histc`: bin = floor((v − min) · bins / (max − min)), v = max in the last bin.
 */
export class RunningHistogram {
  readonly bins: number;
  counts: Float64Array;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  total = 0;

  constructor(bins: number) {
    this.bins = bins;
    this.counts = new Float64Array(bins);
  }

  get binWidth(): number {
    return (this.max - this.min) / this.bins;
  }

  /** Adds values (their absolute values when `absolute`, with the range pinned at 0). */
  add(values: Float32Array, absolute = false): void {
    if (values.length === 0) return;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const v = absolute ? Math.abs(values[i] as number) : (values[i] as number);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (absolute) lo = 0;
    if (this.total === 0) {
      this.min = lo;
      this.max = hi;
    } else if (lo < this.min || hi > this.max) {
      this.rebin(Math.min(lo, this.min), Math.max(hi, this.max));
    }
    const { bins, min, max } = this;
    const counts = this.counts;
    const width = max - min;
    for (let i = 0; i < values.length; i++) {
      const v = absolute ? Math.abs(values[i] as number) : (values[i] as number);
      let b = width > 0 ? Math.floor(((v - min) * bins) / width) : 0;
      if (b >= bins) b = bins - 1;
      if (b < 0) b = 0;
      counts[b] = (counts[b] as number) + 1;
    }
    this.total += values.length;
  }

  private rebin(newMin: number, newMax: number): void {
    const oldWidth = this.binWidth;
    const newWidth = (newMax - newMin) / this.bins;
    const next = new Float64Array(this.bins);
    for (let b = 0; b < this.bins; b++) {
      const mass = this.counts[b] as number;
      if (mass === 0) continue;
      const start = this.min + b * oldWidth;
      const end = start + oldWidth;
      if (oldWidth === 0) {
        const target = Math.min(this.bins - 1, Math.floor((start - newMin) / newWidth));
        next[target] = (next[target] as number) + mass;
        continue;
      }
      let first = Math.max(0, Math.floor((start - newMin) / newWidth));
      const last = Math.min(this.bins - 1, Math.floor((end - newMin) / newWidth));
      for (; first <= last; first++) {
        const lo = Math.max(start, newMin + first * newWidth);
        const hi = Math.min(end, newMin + (first + 1) * newWidth);
        if (hi > lo) next[first] = (next[first] as number) + (mass * (hi - lo)) / oldWidth;
      }
    }
    // Rounding at the edges may lose a sliver of mass; put it back so counts stay exact.
    let sum = 0;
    for (let b = 0; b < this.bins; b++) sum += next[b] as number;
    const lost = this.total - sum;
    if (lost !== 0) {
      const b = Math.min(this.bins - 1, Math.max(0, Math.floor((this.max - newMin) / newWidth) - 1));
      next[b] = (next[b] as number) + lost;
    }
    this.counts = next;
    this.min = newMin;
    this.max = newMax;
  }

  /**
   * The value below which `fraction` of the mass lies, interpolating linearly inside the bin
   * where the cumulative count crosses.
   */
  quantile(fraction: number): number {
    const target = fraction * this.total;
    const width = this.binWidth;
    let cumulative = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b] as number;
      if (c > 0 && cumulative + c >= target) {
        const inside = Math.max(0, Math.min(1, (target - cumulative) / c));
        return this.min + (b + inside) * width;
      }
      cumulative += c;
    }
    return this.max;
  }

  reset(): void {
    this.counts = new Float64Array(this.bins);
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.total = 0;
  }
}
