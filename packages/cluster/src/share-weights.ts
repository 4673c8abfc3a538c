import {
  assertAllFinite,
  assertInteger,
  assertTensor,
  elementCount,
  formatShape,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from "@mc/core";
import { type KmeansInit, kmeans1d } from "./kmeans1d";

export interface ShareWeightsOptions {
  /** Number of shared values for the non-zero weights (Deep Compression: 2^bits). */
  clusters?: number;
  init?: KmeansInit;
  /**
   * Keep exact zeros (pruned weights) out of the clustering: they get codebook entry 0, which
   * is exactly 0, and take none of the `clusters` centroids.
   */
  preserveZeros?: boolean;
  maxIterations?: number;
  seed?: number;
  /** Passed to `kmeans1d`; `false` is plain Lloyd from `init`. */
  refine?: boolean;
}

export interface SharedWeights {
  /**
   * Shared values. With `preserveZeros`, entry 0 is the reserved exact zero and entries
   * 1..clusters are the centroids of the non-zero weights in ascending order; otherwise all
   * entries are centroids in ascending order.
   */
  codebook: Float32Array;
  /** Per weight (row-major, same shape as the input), its codebook entry. */
  indices: Uint8Array | Uint16Array;
  shape: number[];
  /** Centroids actually used for non-zero weights: min(options.clusters, distinct non-zero values). */
  clusters: number;
  /** Codebook entry of pruned zeros: 0 with `preserveZeros`, -1 without. */
  zeroIndex: number;
  /** Fraction of weights that are exactly zero. */
  sparsity: number;
  /** Sum of squared differences between the weights and their shared values. */
  inertia: number;
  iterations: number;
}

const defaults = {
  clusters: 32,
  init: "linear" as KmeansInit,
  preserveZeros: true,
  maxIterations: 1000,
  seed: 0,
  refine: true,
};

/**
 * Weight sharing for one layer (Deep Compression, Han et al. 2016, §3): 1-D k-means over the
 * layer's weights gives a codebook and one index per weight. Layers are never mixed: call it
 * once per tensor.
 */
export function shareWeights(weight: Tensor, options: ShareWeightsOptions = {}): SharedWeights {
  const caller = "shareWeights";
  const {
    clusters = defaults.clusters,
    init = defaults.init,
    preserveZeros = defaults.preserveZeros,
    maxIterations = defaults.maxIterations,
    seed = defaults.seed,
    refine = defaults.refine,
  } = options;
  assertTensor(weight, caller, "weight");
  assertInteger(clusters, caller, "options.clusters", { min: 1, max: preserveZeros ? 65535 : 65536 });
  const data = weight.data;
  const n = data.length;
  if (n === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: weight is empty (shape ${formatShape(weight.shape)})`,
      argument: "weight",
      value: weight.shape,
    });
  }
  assertAllFinite(data, caller, "weight.data");
  let zeros = 0;
  if (preserveZeros) for (let i = 0; i < n; i++) if (data[i] === 0) zeros++;
  const kept = new Float64Array(n - zeros);
  for (let i = 0, j = 0; i < n; i++) if (!preserveZeros || data[i] !== 0) kept[j++] = data[i] as number;

  let centroids: Float64Array = new Float64Array(0);
  let inertia = 0;
  let iterations = 0;
  let assignments: ArrayLike<number> = [];
  if (kept.length > 0) {
    const result = kmeans1d(kept, clusters, { init, maxIterations, seed, refine });
    centroids = result.centroids;
    assignments = result.assignments;
    iterations = result.iterations;
  }
  const offset = preserveZeros ? 1 : 0;
  const codebook = new Float32Array(centroids.length + offset);
  for (let j = 0; j < centroids.length; j++) codebook[j + offset] = centroids[j] as number;
  const indices = codebook.length <= 256 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0, j = 0; i < n; i++) {
    const value = data[i] as number;
    if (preserveZeros && value === 0) continue; // entry 0, already there
    const index = (assignments[j++] as number) + offset;
    indices[i] = index;
    // Inertia against the float32 codebook actually stored, not the float64 centroids.
    const d = value - (codebook[index] as number);
    inertia += d * d;
  }
  let exactZeros = zeros;
  if (!preserveZeros) for (let i = 0; i < n; i++) if (data[i] === 0) exactZeros++;
  return {
    codebook,
    indices,
    shape: [...weight.shape],
    clusters: centroids.length,
    zeroIndex: preserveZeros ? 0 : -1,
    sparsity: exactZeros / n,
    inertia,
    iterations,
  };
}

/** The dense weight tensor a codebook and indices stand for: out[i] = codebook[indices[i]]. */
export function reconstructWeights(shared: {
  codebook: Float32Array;
  indices: ArrayLike<number>;
  shape: readonly number[];
}): Tensor<Float32Array> {
  const caller = "reconstructWeights";
  const { codebook, indices, shape } = shared;
  const count = elementCount(shape, caller);
  if (indices.length !== count) {
    throw new ShapeMismatchError({
      message: `${caller}: indices has ${indices.length} entries but shape ${formatShape(shape)} needs ${count}`,
      expected: [count],
      actual: [indices.length],
    });
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const index = indices[i] as number;
    if (!(index >= 0 && index < codebook.length)) {
      throw new InvalidArgumentError({
        message: `${caller}: indices[${i}] = ${index} is out of range for a codebook of ${codebook.length} entries`,
        argument: "indices",
        value: index,
      });
    }
    out[i] = codebook[index] as number;
  }
  return { data: out, shape: [...shape] };
}
