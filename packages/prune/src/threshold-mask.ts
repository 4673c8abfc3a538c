import { assertFiniteNumber, type Tensor } from "@mc/core";
import { assertWeight } from "./validate";

export interface ThresholdMaskOptions {
  /** Han's quality parameter: the threshold is this many standard deviations. */
  qualityFactor?: number;
}

export interface ThresholdMaskResult {
  mask: Uint8Array;
  /** qualityFactor × standardDeviation; entries with |w| strictly above it are kept. */
  threshold: number;
  /** Population standard deviation of all entries of the weight (zeros included). */
  standardDeviation: number;
  keptCount: number;
  prunedCount: number;
  sparsity: number;
}

/**
 * Han et al. 2015's layer threshold: prune |w| ≤ qualityFactor × std(W).
 *
 * The standard deviation is the population one (divide by n) over every entry of the tensor as
 * given, so already-pruned zeros count, as in Distiller's `SensitivityPruner` (which uses
 * PyTorch's n − 1 divisor; the difference is below 1e-5 relative for layers of 10⁵ weights).
 * Keeping strictly above the threshold means qualityFactor 0 still removes exact zeros.
 */
export function thresholdMask(weight: Tensor, options: ThresholdMaskOptions = {}): ThresholdMaskResult {
  const { qualityFactor = 1 } = options;
  const caller = "thresholdMask";
  const tensor = assertWeight(weight, caller);
  assertFiniteNumber(qualityFactor, caller, "options.qualityFactor", { min: 0 });
  const data = tensor.data;
  const count = data.length;
  let mean = 0;
  for (let i = 0; i < count; i++) mean += data[i];
  mean = count === 0 ? 0 : mean / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (data[i] - mean) * (data[i] - mean);
  const standardDeviation = count === 0 ? 0 : Math.sqrt(squares / count);
  const threshold = qualityFactor * standardDeviation;
  const mask = new Uint8Array(count);
  let keptCount = 0;
  for (let i = 0; i < count; i++) {
    if (Math.abs(data[i]) > threshold) {
      mask[i] = 1;
      keptCount++;
    }
  }
  const prunedCount = count - keptCount;
  return {
    mask,
    threshold,
    standardDeviation,
    keptCount,
    prunedCount,
    sparsity: count === 0 ? 0 : prunedCount / count,
  };
}
