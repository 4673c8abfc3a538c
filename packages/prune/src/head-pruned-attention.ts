import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { MultiHeadAttention, type RowTransformer } from "@mc/nn";
import { sliceAttentionHeads } from "./slice-heads";

/**
 * `@mc/nn`'s MultiHeadAttention built from another one by keeping heads `keep` (ascending): Q, K
 * and V map the model width to keep.length·headWidth and O maps that back, so removed heads cost
 * nothing. All the math (forward, backward, head mask ξ and ∂L/∂ξ) is nn's; this class only
 * slices the weights and remembers which heads of the original attention it holds.
 */
export class HeadPrunedAttention extends MultiHeadAttention {
  /** Original indices of the kept heads (through repeated pruning). */
  readonly keptHeads: Int32Array;

  constructor(source: MultiHeadAttention, keep: ArrayLike<number>) {
    if (!(source instanceof MultiHeadAttention)) {
      throw new InvalidArgumentError({
        message: "HeadPrunedAttention: source must be an @mc/nn MultiHeadAttention",
        argument: "source",
        value: source,
      });
    }
    // Slicing validates `keep` (ascending, in range, non-empty) before anything is allocated.
    const sliced = sliceAttentionHeads(
      {
        query: { weight: source.q.weight.value, bias: source.q.bias?.value },
        key: { weight: source.k.weight.value, bias: source.k.bias?.value },
        value: { weight: source.v.weight.value, bias: source.v.bias?.value },
        output: { weight: source.o.weight.value, bias: source.o.bias?.value },
      },
      { heads: source.heads, keep },
    );
    const kept = Array.from(keep);
    super(source.width, kept.length, { headWidth: source.headWidth, bias: source.q.bias !== undefined });
    const sourceKept = source instanceof HeadPrunedAttention ? source.keptHeads : undefined;
    this.keptHeads = Int32Array.from(kept, (h) => (sourceKept ? (sourceKept[h] as number) : h));
    const targets = [
      [this.q, sliced.query],
      [this.k, sliced.key],
      [this.v, sliced.value],
      [this.o, sliced.output],
    ] as const;
    for (const [linear, projection] of targets) {
      linear.weight.value.data.set(projection.weight.data);
      if (linear.bias && projection.bias) linear.bias.value.data.set(projection.bias.data);
    }
    this.headMask.set(kept.map((h) => source.headMask[h] as number));
  }
}

/**
 * Replaces each block's attention of a `RowTransformer` by a `HeadPrunedAttention` (an `@mc/nn`
 * MultiHeadAttention with a smaller inner width) holding only the heads whose ξ is nonzero in
 * `headMasks[layer]`, through nn's `TransformerEncoderBlock.replaceAttention`. The model is
 * modified in place (it is stateful); parameter names stay `layers.<i>.attn.{q,k,v,o}.{weight,bias}`.
 * Build optimizers after this call: the removed parameters are gone from `model.parameters()`.
 */
export function removeMaskedHeadsInPlace(
  model: RowTransformer,
  headMasks: Float32Array[],
): { keptHeads: Int32Array[] } {
  const caller = "removeMaskedHeadsInPlace";
  const blocks = model?.blocks;
  if (!Array.isArray(blocks) || !Array.isArray(headMasks) || headMasks.length !== blocks.length) {
    throw new ShapeMismatchError({
      message: `${caller}: got ${headMasks?.length ?? 0} head masks for ${blocks?.length ?? 0} blocks`,
      expected: [blocks?.length ?? 0],
      actual: [headMasks?.length ?? 0],
    });
  }
  // Validate every layer first so a bad mask leaves the model untouched.
  const keeps = blocks.map((block, layer) => {
    const attention = block.attn;
    const mask = headMasks[layer];
    if (!(mask instanceof Float32Array) || mask.length !== attention.heads) {
      throw new ShapeMismatchError({
        message: `${caller}: headMasks[${layer}] must be a Float32Array of ${attention.heads} entries`,
        expected: [attention.heads],
        actual: [mask?.length ?? 0],
      });
    }
    const keep: number[] = [];
    mask.forEach((value, h) => {
      if (value !== 0) keep.push(h);
    });
    if (keep.length === 0) {
      throw new InvalidArgumentError({
        message: `${caller}: headMasks[${layer}] removes every head of layer ${layer}`,
        argument: "headMasks",
        value: layer,
      });
    }
    return keep;
  });
  const keptHeads = blocks.map((block, layer) => {
    const replacement = new HeadPrunedAttention(block.attn, keeps[layer] as number[]);
    block.replaceAttention(replacement);
    return replacement.keptHeads;
  });
  return { keptHeads };
}
