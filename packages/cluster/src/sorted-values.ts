import { InvalidArgumentError } from "@mc/core";

/** Helpers over a sorted copy of the values, shared by `kmeans1d` and `kmeans1dOptimal`. */

export type ClusterAssignments = Uint8Array | Uint16Array | Uint32Array;

/** Smallest unsigned typed array able to hold indices 0..count-1. */
export function allocateIndices(length: number, count: number): ClusterAssignments {
  if (count <= 256) return new Uint8Array(length);
  if (count <= 65536) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** Validated, sorted float64 copy of `values` (the input is never touched). */
export function sortedCopy(values: ArrayLike<number>, caller: string): Float64Array {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: values must be an array or typed array of numbers`,
      argument: "values",
      value: values,
    });
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (typeof v !== "number" || v - v !== 0) {
      throw new InvalidArgumentError({
        message: `${caller}: values has a non-finite value ${String(v)} at index ${i} (length ${values.length})`,
        argument: "values",
        value: v,
      });
    }
  }
  if (values instanceof Float32Array && values.length >= 4096) return radixSortFloat32(values);
  const sorted = Float64Array.from(values);
  sorted.sort();
  return sorted;
}

/**
 * Ascending sort of finite float32 values in O(n): their bit patterns, mapped so that unsigned
 * order equals numeric order (negative: all bits flipped; positive: sign bit set), go through
 * three LSD radix passes of 11, 11 and 10 bits. Several times faster than a comparison sort
 * at weight-tensor sizes, and the sort dominates `kmeans1d`. Same order as
 * `Float64Array.prototype.sort` (-0 before +0).
 */
export function radixSortFloat32(values: Float32Array): Float64Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  let keys = new Uint32Array(n);
  let scratch = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const u = bits[i] as number;
    keys[i] = (u & 0x80000000) !== 0 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
  }
  const counts = new Uint32Array(2048);
  for (const [shift, width] of [
    [0, 11],
    [11, 11],
    [22, 10],
  ] as const) {
    const mask = (1 << width) - 1;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((keys[i] as number) >>> shift) & mask]++;
    let total = 0;
    for (let d = 0; d <= mask; d++) {
      const c = counts[d] as number;
      counts[d] = total;
      total += c;
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i] as number;
      const digit = (key >>> shift) & mask;
      scratch[counts[digit] as number] = key;
      counts[digit]++;
    }
    [keys, scratch] = [scratch, keys];
  }
  const restored = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as number;
    restored[i] = (key & 0x80000000) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
  }
  return Float64Array.from(new Float32Array(restored.buffer));
}

export function distinctSorted(sorted: Float64Array): Float64Array {
  let count = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) count++;
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out[j++] = sorted[i] as number;
  return out;
}

/** First index i in [lo, hi) with sorted[i] > x (hi when none). */
export function upperBound(sorted: Float64Array, x: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Nearest-centroid assignment for each value in input order by binary search over the
 * midpoints between ascending centroids: O(n log k). A value exactly on a midpoint goes to
 * the lower centroid, the same rule the sorted-range partition uses.
 */
export function assignToCentroids(values: ArrayLike<number>, centroids: Float64Array): ClusterAssignments {
  const k = centroids.length;
  const out = allocateIndices(values.length, k);
  const bounds = new Float64Array(Math.max(0, k - 1));
  for (let j = 0; j + 1 < k; j++) bounds[j] = midpoint(centroids[j] as number, centroids[j + 1] as number);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= (bounds[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    out[i] = lo;
  }
  return out;
}

export function midpoint(a: number, b: number): number {
  // a/2 + b/2 cannot overflow to Infinity for huge finite values, unlike (a + b) / 2.
  return a / 2 + b / 2;
}

export function inertiaOf(values: ArrayLike<number>, centroids: Float64Array, assignments: ClusterAssignments): number {
  let acc = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - (centroids[assignments[i] as number] as number);
    acc += d * d;
  }
  return acc;
}

/** Prefix sums of (x - shift) and (x - shift)^2 over sorted values; the shift keeps cancellation small. */
export class PrefixSums {
  readonly sum: Float64Array;
  readonly sumSquares: Float64Array;
  readonly shift: number;

  constructor(sorted: Float64Array) {
    const n = sorted.length;
    this.shift = n > 0 ? (sorted[n >>> 1] as number) : 0;
    this.sum = new Float64Array(n + 1);
    this.sumSquares = new Float64Array(n + 1);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = (sorted[i] as number) - this.shift;
      s += x;
      s2 += x * x;
      this.sum[i + 1] = s;
      this.sumSquares[i + 1] = s2;
    }
  }

  /** Mean of sorted[start..end). */
  mean(start: number, end: number): number {
    return ((this.sum[end] as number) - (this.sum[start] as number)) / (end - start) + this.shift;
  }

  /** Sum of squared deviations from the mean over sorted[start..end), clamped at 0. */
  cost(start: number, end: number): number {
    const count = end - start;
    if (count <= 0) return 0;
    const s = (this.sum[end] as number) - (this.sum[start] as number);
    const value = (this.sumSquares[end] as number) - (this.sumSquares[start] as number) - (s * s) / count;
    return Math.max(value, 0);
  }
}

/**
 * Exact DP over cut positions: the best partition of sorted[0..n) into `k` contiguous ranges
 * whose cuts are taken from `boundaries` (ascending, starting at 0 and ending at n). Returns
 * the k + 1 cuts. D[m][i] = min over j < i of D[m-1][j] + SSE(b_j, b_i); the best j is monotone
 * in i (Ckmeans.1d.dp), so each layer is solved by divide and conquer in O(B log B).
 */
export function optimalSplits(prefix: PrefixSums, boundaries: Int32Array, k: number): Int32Array {
  const b = boundaries.length - 1; // number of elementary ranges
  let previous = new Float64Array(b + 1);
  let current = new Float64Array(b + 1);
  const first = boundaries[0] as number;
  for (let i = 0; i <= b; i++) previous[i] = prefix.cost(first, boundaries[i] as number);
  const splits = new Int32Array(k * (b + 1)); // splits[m*(b+1)+i]: start (grid index) of the last range
  for (let m = 1; m < k; m++) {
    current.fill(Number.POSITIVE_INFINITY);
    const row = m * (b + 1);
    const prev = previous;
    const cur = current;
    const solve = (lo: number, hi: number, optLo: number, optHi: number): void => {
      if (lo > hi) return;
      const i = (lo + hi) >>> 1;
      const end = boundaries[i] as number;
      let best = Number.POSITIVE_INFINITY;
      let bestJ = optLo;
      const last = Math.min(optHi, i - 1);
      for (let j = optLo; j <= last; j++) {
        const c = (prev[j] as number) + prefix.cost(boundaries[j] as number, end);
        if (c < best) {
          best = c;
          bestJ = j;
        }
      }
      cur[i] = best;
      splits[row + i] = bestJ;
      solve(lo, i - 1, optLo, bestJ);
      solve(i + 1, hi, bestJ, optHi);
    };
    solve(m + 1, b, m, b - 1);
    [previous, current] = [current, previous];
  }
  const cuts = new Int32Array(k + 1);
  let end = b;
  cuts[k] = boundaries[b] as number;
  for (let m = k - 1; m >= 0; m--) {
    const start = m === 0 ? 0 : (splits[m * (b + 1) + end] as number);
    cuts[m] = boundaries[start] as number;
    end = start;
  }
  return cuts;
}
