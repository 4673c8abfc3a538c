import { assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertWeight } from "./validate";

export interface NmMaskOptions {
  /** Entries kept in each group. */
  n?: number;
  /** Group length: consecutive entries along `axis`. */
  m?: number;
  /** Axis the groups run along; negative counts from the end. -1 = the input dimension of a Linear weight. */
  axis?: number;
}

export interface NmMaskResult {
  mask: Uint8Array;
  n: number;
  m: number;
  /** The axis, normalized to be non-negative. */
  axis: number;
  keptCount: number;
  prunedCount: number;
  /** Always 1 − n/m. */
  sparsity: number;
}

interface GroupLayout {
  n: number;
  m: number;
  axis: number;
  outer: number;
  length: number;
  inner: number;
}

function resolveLayout(tensor: Tensor, options: NmMaskOptions, caller: string): GroupLayout {
  const { n = 2, m = 4, axis = -1 } = options;
  assertInteger(m, caller, "options.m", { min: 1 });
  assertInteger(n, caller, "options.n", { min: 0 });
  if (n > m) {
    throw new InvalidArgumentError({
      message: `${caller}: options.n (${n}) must not exceed options.m (${m}); N:M keeps N of every M entries`,
      argument: "options.n",
      value: n,
    });
  }
  const rank = tensor.shape.length;
  assertInteger(axis, caller, "options.axis");
  if (rank === 0 || axis < -rank || axis >= rank) {
    throw new InvalidArgumentError({
      message: `${caller}: axis ${axis} is out of range for shape ${formatShape(tensor.shape)}`,
      argument: "options.axis",
      value: axis,
    });
  }
  const resolvedAxis = axis < 0 ? axis + rank : axis;
  const length = tensor.shape[resolvedAxis];
  if (length % m !== 0) {
    throw new ShapeMismatchError({
      message: `${caller}: dimension ${resolvedAxis} of shape ${formatShape(tensor.shape)} is ${length}, not a multiple of m = ${m}`,
      actual: tensor.shape,
    });
  }
  let outer = 1;
  for (let d = 0; d < resolvedAxis; d++) outer *= tensor.shape[d];
  let inner = 1;
  for (let d = resolvedAxis + 1; d < rank; d++) inner *= tensor.shape[d];
  return { n, m, axis: resolvedAxis, outer, length, inner };
}

/**
 * N:M structured sparsity (NVIDIA Ampere 2:4; Mishra et al. 2021, "Accelerating Sparse Deep
 * Neural Networks"): in every group of `m` consecutive entries along `axis`, the `n` largest |w|
 * are kept. Ties inside a group keep the lower index.
 */
export function nmMask(weight: Tensor, options: NmMaskOptions = {}): NmMaskResult {
  const caller = "nmMask";
  const tensor = assertWeight(weight, caller);
  const layout = resolveLayout(tensor, options, caller);
  const { n, m, outer, length, inner } = layout;
  const data = tensor.data;
  const mask = new Uint8Array(data.length);
  const members = new Int32Array(m);
  const order: number[] = new Array(m);
  for (let o = 0; o < outer; o++) {
    for (let start = 0; start < length; start += m) {
      for (let j = 0; j < inner; j++) {
        for (let t = 0; t < m; t++) {
          members[t] = (o * length + start + t) * inner + j;
          order[t] = t;
        }
        // Stable for equal magnitudes because t ascends with the flat index.
        order.sort((a, b) => Math.abs(data[members[b]]) - Math.abs(data[members[a]]) || a - b);
        for (let t = 0; t < n; t++) mask[members[order[t]]] = 1;
      }
    }
  }
  const keptCount = (data.length / m) * n;
  return {
    mask,
    n,
    m,
    axis: layout.axis,
    keptCount,
    prunedCount: data.length - keptCount,
    sparsity: data.length === 0 ? 0 : 1 - n / m,
  };
}

/** True when every group of `m` along `axis` holds at most `n` nonzero entries. */
export function satisfiesNm(weight: Tensor, options: NmMaskOptions = {}): boolean {
  const caller = "satisfiesNm";
  const tensor = assertWeight(weight, caller);
  const { n, m, outer, length, inner } = resolveLayout(tensor, options, caller);
  const data = tensor.data;
  for (let o = 0; o < outer; o++) {
    for (let start = 0; start < length; start += m) {
      for (let j = 0; j < inner; j++) {
        let nonzeros = 0;
        for (let t = 0; t < m; t++) if (data[(o * length + start + t) * inner + j] !== 0) nonzeros++;
        if (nonzeros > n) return false;
      }
    }
  }
  return true;
}
