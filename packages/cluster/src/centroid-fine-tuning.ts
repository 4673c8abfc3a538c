import { assertFiniteNumber, assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import {
  addParameterHook,
  type Dataset,
  type EpochSummary,
  type Module,
  type Parameter,
  type ParameterHook,
  SGD,
  type TrainProgress,
  train,
} from "@mc/nn";
import { reconstructWeights, type SharedWeights } from "./share-weights";

/**
 * ∂L/∂C_k = Σ_i ∂L/∂W_i · 1(I_i = k) (Deep Compression eq. 3): the gradient of each shared
 * value is the sum of the gradients of the weights that use it. Accumulated in float64.
 */
export function centroidGradients(
  gradient: ArrayLike<number>,
  indices: ArrayLike<number>,
  codebookLength: number,
): Float64Array {
  const caller = "centroidGradients";
  if (gradient.length !== indices.length) {
    throw new ShapeMismatchError({
      message: `${caller}: gradient has ${gradient.length} entries but indices has ${indices.length}`,
      expected: [indices.length],
      actual: [gradient.length],
    });
  }
  const sums = new Float64Array(codebookLength);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    if (!(index >= 0 && index < codebookLength)) {
      throw new InvalidArgumentError({
        message: `${caller}: indices[${i}] = ${index} is out of range for a codebook of ${codebookLength} entries`,
        argument: "indices",
        value: index,
      });
    }
    sums[index] = (sums[index] as number) + (gradient[i] as number);
  }
  return sums;
}

export interface WeightSharingHandle {
  /** The layer's current shared values (updated after every optimizer step). */
  codebook: Float32Array;
  readonly indices: Uint8Array | Uint16Array;
  /** Detaches the hook; the parameter keeps its shared values. */
  remove(): void;
}

/**
 * Ties a parameter to a codebook for centroid fine-tuning. It writes codebook[indices] into the
 * parameter (mutating the model), then adds an @mc/nn hook whose backward pass replaces each
 * weight's gradient by its centroid's gradient (the sum over the cluster). Every member of a
 * cluster then receives the same update from any element-wise optimizer (SGD with momentum,
 * Adam), which is exactly the update of the centroid itself; after each step the hook reads
 * the centroids back and re-writes the members so float drift cannot untie them. The zero
 * entry of a sparsity-preserving codebook gets no gradient, so pruned weights stay exactly 0.
 */
export function addWeightSharingHook(model: Module, name: string, shared: SharedWeights): WeightSharingHandle {
  const caller = "addWeightSharingHook";
  const parameter = model.getParameter(name);
  const { indices } = shared;
  if (parameter.value.data.length !== indices.length) {
    throw new ShapeMismatchError({
      message: `${caller}: parameter "${name}" has shape ${formatShape(parameter.value.shape)} but the shared weights have shape ${formatShape(shared.shape)}`,
      expected: parameter.value.shape,
      actual: shared.shape,
    });
  }
  const codebookLength = shared.codebook.length;
  parameter.value.data.set(reconstructWeights(shared).data);
  const frozen = shared.zeroIndex; // -1 when there is no reserved zero
  const handle: WeightSharingHandle = { codebook: shared.codebook.slice(), indices, remove: () => {} };
  const firstMember = new Int32Array(codebookLength).fill(-1);
  for (let i = 0; i < indices.length; i++)
    if (firstMember[indices[i] as number] === -1) firstMember[indices[i] as number] = i;

  const hook: ParameterHook = {
    backward(gradient: Float32Array): Float32Array {
      const sums = centroidGradients(gradient, indices, codebookLength);
      if (frozen >= 0) sums[frozen] = 0;
      const out = new Float32Array(gradient.length);
      for (let i = 0; i < out.length; i++) out[i] = sums[indices[i] as number] as number;
      return out;
    },
    afterStep(p: Parameter): void {
      const values = p.value.data;
      const codebook = handle.codebook;
      for (let k = 0; k < codebookLength; k++) {
        const member = firstMember[k] as number;
        if (member >= 0) codebook[k] = values[member] as number;
      }
      if (frozen >= 0) codebook[frozen] = 0;
      for (let i = 0; i < values.length; i++) values[i] = codebook[indices[i] as number] as number;
    },
  };
  handle.remove = addParameterHook(model, name, hook);
  return handle;
}

export interface FineTuneCentroidsOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  momentum?: number;
  seed?: number;
  validation?: Dataset;
  onProgress?: (progress: TrainProgress) => void;
}

export interface FineTuneCentroidsResult {
  /** Fine-tuned codebooks by parameter name; indices are unchanged. */
  codebooks: Record<string, Float32Array>;
  epochs: EpochSummary[];
}

const fineTuneDefaults = { epochs: 1, batchSize: 64, learningRate: 0.01, momentum: 0.9, seed: 0 };

/**
 * Centroid fine-tuning on a dataset (e.g. MNIST from @mc/nn's `loadMnist`): ties every listed
 * parameter to its shared weights, trains the whole model with SGD (biases and unshared
 * parameters train freely; shared ones move only as whole clusters), and returns the codebooks.
 * The hooks are removed afterwards; the model keeps the fine-tuned shared values.
 */
export function fineTuneCentroids(
  model: Module,
  sharedByName: Record<string, SharedWeights>,
  data: Dataset,
  options: FineTuneCentroidsOptions = {},
): FineTuneCentroidsResult {
  const caller = "fineTuneCentroids";
  const {
    epochs = fineTuneDefaults.epochs,
    batchSize = fineTuneDefaults.batchSize,
    learningRate = fineTuneDefaults.learningRate,
    momentum = fineTuneDefaults.momentum,
    seed = fineTuneDefaults.seed,
    validation,
    onProgress,
  } = options;
  assertInteger(epochs, caller, "options.epochs", { min: 1 });
  assertFiniteNumber(learningRate, caller, "options.learningRate", { min: 0 });
  const handles: [string, WeightSharingHandle][] = Object.entries(sharedByName).map(([name, shared]) => [
    name,
    addWeightSharingHook(model, name, shared),
  ]);
  try {
    const optimizer = new SGD(model, { learningRate, momentum });
    const { epochs: summaries } = train(model, data, { optimizer, epochs, batchSize, seed, validation, onProgress });
    const codebooks: Record<string, Float32Array> = {};
    for (const [name, handle] of handles) codebooks[name] = handle.codebook.slice();
    return { codebooks, epochs: summaries };
  } finally {
    for (const [, handle] of handles) handle.remove();
  }
}
