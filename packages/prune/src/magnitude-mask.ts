import { InvalidArgumentError, type Tensor } from "@mc/core";
import { assertMask, assertSparsity, assertWeight, prunedCountFor } from "./validate";

export interface MagnitudeMaskOptions {
  /** Fraction of entries to zero, in [0, 1]. */
  sparsity?: number;
}

export interface MagnitudeMaskResult {
  /** 1 = kept, 0 = pruned; same element order as the weight. */
  mask: Uint8Array;
  /** Smallest kept |w| (Infinity when nothing is kept, 0 when everything is). */
  threshold: number;
  keptCount: number;
  prunedCount: number;
  /** Achieved sparsity, prunedCount / elements. */
  sparsity: number;
}

/**
 * Keeps the largest |w| and zeros the rest (Han et al. 2015; `torch.nn.utils.prune.l1_unstructured`).
 *
 * Exactly `roundHalfEven(sparsity × n)` entries are pruned. Ties at the threshold are broken by
 * position: among equal magnitudes the lower flat index is kept, so the mask is a pure function
 * of the weight's values.
 */
export function magnitudeMask(weight: Tensor, options: MagnitudeMaskOptions = {}): MagnitudeMaskResult {
  const { sparsity = 0.5 } = options;
  const caller = "magnitudeMask";
  const tensor = assertWeight(weight, caller);
  assertSparsity(sparsity, caller);
  const { masks, threshold, keptCount, prunedCount } = rankAndMask([tensor.data], sparsity);
  const count = tensor.data.length;
  return { mask: masks[0], threshold, keptCount, prunedCount, sparsity: count === 0 ? 0 : prunedCount / count };
}

export interface GlobalMagnitudeMaskResult {
  /** One mask per input name. */
  masks: Record<string, Uint8Array>;
  /** Achieved sparsity of each layer. */
  layerSparsity: Record<string, number>;
  /** The single magnitude threshold shared by all layers (smallest kept |w|). */
  threshold: number;
  keptCount: number;
  prunedCount: number;
  sparsity: number;
}

/**
 * One magnitude ranking across several tensors (`torch.nn.utils.prune.global_unstructured`):
 * layers with many small weights lose more. Ties are broken by the order of the record's keys,
 * then by flat index, the earlier one kept.
 */
export function globalMagnitudeMask(
  weights: Record<string, Tensor>,
  options: MagnitudeMaskOptions = {},
): GlobalMagnitudeMaskResult {
  const { sparsity = 0.5 } = options;
  const caller = "globalMagnitudeMask";
  if (typeof weights !== "object" || weights === null) {
    throw new InvalidArgumentError({
      message: `${caller}: weights must be a record of name → tensor`,
      argument: "weights",
      value: weights,
    });
  }
  const names = Object.keys(weights);
  if (names.length === 0) {
    throw new InvalidArgumentError({ message: `${caller}: weights is empty`, argument: "weights", value: weights });
  }
  const datas = names.map((name) => assertWeight(weights[name], caller, `weights.${name}`).data);
  assertSparsity(sparsity, caller);
  const ranked = rankAndMask(datas, sparsity);
  const masks: Record<string, Uint8Array> = {};
  const layerSparsity: Record<string, number> = {};
  let total = 0;
  names.forEach((name, layer) => {
    const mask = ranked.masks[layer];
    masks[name] = mask;
    let kept = 0;
    for (let i = 0; i < mask.length; i++) kept += mask[i];
    layerSparsity[name] = mask.length === 0 ? 0 : 1 - kept / mask.length;
    total += mask.length;
  });
  return {
    masks,
    layerSparsity,
    threshold: ranked.threshold,
    keptCount: ranked.keptCount,
    prunedCount: ranked.prunedCount,
    sparsity: total === 0 ? 0 : ranked.prunedCount / total,
  };
}

/** A new tensor with the pruned entries (mask 0) set to +0. The input is not changed. */
export function applyMask(weight: Tensor, mask: Uint8Array): Tensor {
  const caller = "applyMask";
  const tensor = assertWeight(weight, caller);
  assertMask(mask, tensor.shape, tensor.data.length, caller);
  const data = new Float32Array(tensor.data.length);
  for (let i = 0; i < data.length; i++) data[i] = mask[i] === 1 ? tensor.data[i] : 0;
  return { data, shape: [...tensor.shape] };
}

/** Fraction of zeros in a mask (or of exact zeros in a weight). */
export function measureSparsity(values: Uint8Array | Float32Array): number {
  if (values.length === 0) return 0;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros / values.length;
}

/**
 * Shared core: finds the magnitude of the k-th largest |w| with a native numeric sort of a
 * copy (O(n log n), no comparator callback), then keeps everything above it and the earliest
 * entries equal to it.
 */
function rankAndMask(
  datas: Float32Array[],
  sparsity: number,
): { masks: Uint8Array[]; threshold: number; keptCount: number; prunedCount: number } {
  let total = 0;
  for (const data of datas) total += data.length;
  const prunedCount = prunedCountFor(sparsity, total);
  const keptCount = total - prunedCount;
  const masks = datas.map((data) => new Uint8Array(data.length));
  if (keptCount === 0) return { masks, threshold: Number.POSITIVE_INFINITY, keptCount, prunedCount };
  if (prunedCount === 0) {
    for (const mask of masks) mask.fill(1);
    return { masks, threshold: 0, keptCount, prunedCount };
  }
  const magnitudes = new Float32Array(total);
  let offset = 0;
  for (const data of datas) {
    for (let i = 0; i < data.length; i++) magnitudes[offset + i] = Math.abs(data[i]);
    offset += data.length;
  }
  magnitudes.sort();
  const threshold = magnitudes[total - keptCount];
  let aboveCount = 0;
  for (let i = total - keptCount; i < total; i++) if (magnitudes[i] > threshold) aboveCount++;
  let tiesToKeep = keptCount - aboveCount;
  datas.forEach((data, layer) => {
    const mask = masks[layer];
    for (let i = 0; i < data.length; i++) {
      const magnitude = Math.abs(data[i]);
      if (magnitude > threshold) mask[i] = 1;
      else if (magnitude === threshold && tiesToKeep > 0) {
        mask[i] = 1;
        tiesToKeep--;
      }
    }
  });
  return { masks, threshold, keptCount, prunedCount };
}
