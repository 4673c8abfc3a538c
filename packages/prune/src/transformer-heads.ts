import { assertInteger, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { type Dataset, gatherBatch, type MultiHeadAttention, type RowTransformer, softmaxCrossEntropy } from "@mc/nn";
import { type HeadImportanceResult, headImportance } from "./head-importance";

function attentionsOf(model: RowTransformer, caller: string): MultiHeadAttention[] {
  if (typeof model !== "object" || model === null || !Array.isArray(model.blocks)) {
    throw new InvalidArgumentError({ message: `${caller}: model must be an @mc/nn RowTransformer`, argument: "model" });
  }
  return model.blocks.map((block) => block.attn);
}

/** The model's head masks ξ, [layers × heads] row-major (all layers must have the same head count). */
export function getHeadMask(model: RowTransformer): Float32Array {
  const attentions = attentionsOf(model, "getHeadMask");
  const heads = attentions[0].heads;
  const out = new Float32Array(attentions.length * heads);
  attentions.forEach((a, l) => {
    if (a.heads !== heads) {
      throw new ShapeMismatchError({
        message: `getHeadMask: layer ${l} has ${a.heads} heads but layer 0 has ${heads}; read block.attn.headMask per layer instead`,
        actual: [a.heads],
      });
    }
    out.set(a.headMask, l * heads);
  });
  return out;
}

/** Writes ξ, [layers × heads] row-major, into the model's attention layers. */
export function setHeadMask(model: RowTransformer, headMask: Float32Array): void {
  const attentions = attentionsOf(model, "setHeadMask");
  const heads = attentions[0].heads;
  if (!(headMask instanceof Float32Array) || headMask.length !== attentions.length * heads) {
    throw new ShapeMismatchError({
      message: `setHeadMask: headMask must be a Float32Array of ${attentions.length} × ${heads} entries, got ${headMask?.length}`,
      expected: [attentions.length, heads],
      actual: [headMask?.length ?? 0],
    });
  }
  attentions.forEach((a, l) => {
    a.headMask.set(headMask.subarray(l * heads, (l + 1) * heads));
  });
}

export interface TransformerHeadImportanceOptions {
  batchSize?: number;
  /** Use only the first `samples` examples of the dataset (default: all). */
  samples?: number;
  normalizePerLayer?: boolean;
}

/**
 * Michel et al.'s I_h = E|∂L/∂ξ_h| for a `RowTransformer` over a dataset: forward, mean
 * cross-entropy, backward, and read each attention's accumulated ∂L/∂ξ per batch. Parameter
 * gradients are cleared before and after, weights are not changed.
 */
export function transformerHeadImportance(
  model: RowTransformer,
  data: Dataset,
  options: TransformerHeadImportanceOptions = {},
): HeadImportanceResult {
  const caller = "transformerHeadImportance";
  const { batchSize = 64, samples = data.count, normalizePerLayer = true } = options;
  assertInteger(batchSize, caller, "options.batchSize", { min: 1 });
  assertInteger(samples, caller, "options.samples", { min: 1, max: data.count });
  const attentions = attentionsOf(model, caller);
  const heads = attentions[0].heads;
  const order = Array.from({ length: samples }, (_, i) => i);
  const batches = Math.ceil(samples / batchSize);
  const wasTraining = model.training;
  // Eval mode: importance of the deployed network, no dropout noise.
  model.eval();
  try {
    return headImportance({
      layers: attentions.length,
      heads,
      batches,
      headMask: getHeadMask(model),
      normalizePerLayer,
      gradient: (batch) => {
        const start = batch * batchSize;
        const end = Math.min(start + batchSize, samples);
        const { input, labels } = gatherBatch(data, order, start, end);
        model.zeroGrad();
        const { gradient } = softmaxCrossEntropy(model.forward(input), labels);
        model.backward(gradient);
        const g = new Float32Array(attentions.length * heads);
        attentions.forEach((a, l) => {
          g.set(a.headMaskGrad, l * heads);
        });
        return g;
      },
    });
  } finally {
    model.zeroGrad();
    if (wasTraining) model.train();
  }
}
