import { formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor, UnsupportedError } from "@mc/core";
import { Linear, Module, type MultiHeadAttention, type RowTransformer, softmaxBackward, softmaxLastAxis } from "@mc/nn";
import { sliceAttentionHeads } from "./slice-heads";

/**
 * Multi-head self-attention after physical head removal: Q, K, V map the model width to
 * keptHeads·headWidth and the output projection maps that back, so the removed heads cost
 * nothing. Same math as `@mc/nn`'s MultiHeadAttention (which needs inner width = model width,
 * hence this module); the head mask ξ and its gradient stay available for further pruning.
 */
export class HeadPrunedAttention extends Module {
  readonly width: number;
  readonly heads: number;
  readonly headWidth: number;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly headMask: Float32Array;
  readonly headMaskGrad: Float32Array;
  /** Original indices of the kept heads. */
  readonly keptHeads: Int32Array;
  scores: Tensor | undefined;
  probabilities: Tensor | undefined;
  private cache:
    | {
        q: Float32Array;
        k: Float32Array;
        v: Float32Array;
        context: Float32Array;
        batch: number;
        tokens: number;
        shape: readonly number[];
      }
    | undefined;

  /** Builds the smaller attention from a full one, keeping heads `keep` (ascending). */
  constructor(source: MultiHeadAttention | HeadPrunedAttention, keep: ArrayLike<number>) {
    super();
    const sliced = sliceAttentionHeads(
      {
        query: { weight: source.q.weight.value, bias: source.q.bias?.value },
        key: { weight: source.k.weight.value, bias: source.k.bias?.value },
        value: { weight: source.v.weight.value, bias: source.v.bias?.value },
        output: { weight: source.o.weight.value, bias: source.o.bias?.value },
      },
      { heads: source.heads, keep },
    );
    const sourceKept = source instanceof HeadPrunedAttention ? source.keptHeads : undefined;
    this.keptHeads = Int32Array.from(keep, (h) => (sourceKept ? sourceKept[h] : h));
    this.width = source.width;
    this.heads = this.keptHeads.length;
    this.headWidth = source.headWidth;
    const inner = this.heads * this.headWidth;
    const make = (p: { weight: Tensor; bias?: Tensor }, inFeatures: number, outFeatures: number) => {
      const linear = new Linear(inFeatures, outFeatures, { bias: p.bias !== undefined, kind: "attention.weight" });
      linear.weight.value = { data: p.weight.data, shape: [outFeatures, inFeatures] };
      linear.weight.grad = new Float32Array(p.weight.data.length);
      if (p.bias && linear.bias) {
        linear.bias.value = { data: p.bias.data, shape: [outFeatures] };
        linear.bias.grad = new Float32Array(outFeatures);
      }
      return linear;
    };
    this.q = this.addModule("q", make(sliced.query, this.width, inner));
    this.k = this.addModule("k", make(sliced.key, this.width, inner));
    this.v = this.addModule("v", make(sliced.value, this.width, inner));
    this.o = this.addModule("o", make(sliced.output, inner, this.width));
    this.headMask = Float32Array.from(keep, (h) => source.headMask[h]);
    this.headMaskGrad = new Float32Array(this.heads);
  }

  override zeroGrad(): void {
    super.zeroGrad();
    this.headMaskGrad.fill(0);
  }

  forward(input: Tensor): Tensor {
    if (input.shape.length !== 3 || input.shape[2] !== this.width) {
      throw new ShapeMismatchError({
        message: `HeadPrunedAttention.forward: input has shape ${formatShape(input.shape)} but expects [batch, tokens, ${this.width}]`,
        actual: input.shape,
      });
    }
    const [batch, tokens] = input.shape;
    const q = this.q.forward(input).data;
    const k = this.k.forward(input).data;
    const v = this.v.forward(input).data;
    const { heads, headWidth: dh } = this;
    const d = heads * dh;
    const scale = 1 / Math.sqrt(dh);
    const scores = new Float32Array(batch * heads * tokens * tokens);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const qBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const kBase = (b * tokens + j) * d + h * dh;
            let acc = 0;
            for (let t = 0; t < dh; t++) acc += q[qBase + t] * k[kBase + t];
            scores[mapBase + i * tokens + j] = acc * scale;
          }
        }
      }
    }
    const probabilities = softmaxLastAxis(scores, tokens);
    const context = new Float32Array(batch * tokens * d);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const cBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const p = probabilities[mapBase + i * tokens + j];
            const vBase = (b * tokens + j) * d + h * dh;
            for (let t = 0; t < dh; t++) context[cBase + t] += p * v[vBase + t];
          }
        }
      }
    }
    const masked = new Float32Array(context.length);
    for (let r = 0; r < batch * tokens; r++) {
      for (let h = 0; h < heads; h++) {
        const m = this.headMask[h];
        const base = r * d + h * dh;
        for (let t = 0; t < dh; t++) masked[base + t] = context[base + t] * m;
      }
    }
    const mapShape = [batch, heads, tokens, tokens];
    this.scores = { data: scores, shape: mapShape };
    this.probabilities = { data: probabilities, shape: mapShape };
    this.cache = { q, k, v, context, batch, tokens, shape: input.shape };
    return this.o.forward({ data: masked, shape: [batch, tokens, d] });
  }

  backward(gradOutput: Tensor): Tensor {
    if (!this.cache || !this.probabilities) {
      throw new InvalidArgumentError({
        message: "HeadPrunedAttention.backward: backward called before forward",
        argument: "gradOutput",
      });
    }
    const { q, k, v, context, batch, tokens, shape } = this.cache;
    const { heads, headWidth: dh } = this;
    const d = heads * dh;
    const probabilities = this.probabilities.data;
    const gradMasked = this.o.backward(gradOutput).data;
    const gradContext = new Float32Array(gradMasked.length);
    for (let r = 0; r < batch * tokens; r++) {
      for (let h = 0; h < heads; h++) {
        const m = this.headMask[h];
        const base = r * d + h * dh;
        let dot = 0;
        for (let t = 0; t < dh; t++) {
          dot += gradMasked[base + t] * context[base + t];
          gradContext[base + t] = gradMasked[base + t] * m;
        }
        this.headMaskGrad[h] += dot;
      }
    }
    const gradProbabilities = new Float32Array(probabilities.length);
    const gradV = new Float32Array(v.length);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const gBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const vBase = (b * tokens + j) * d + h * dh;
            const p = probabilities[mapBase + i * tokens + j];
            let acc = 0;
            for (let t = 0; t < dh; t++) {
              acc += gradContext[gBase + t] * v[vBase + t];
              gradV[vBase + t] += p * gradContext[gBase + t];
            }
            gradProbabilities[mapBase + i * tokens + j] = acc;
          }
        }
      }
    }
    const gradScores = softmaxBackward(probabilities, gradProbabilities, tokens);
    const scale = 1 / Math.sqrt(dh);
    const gradQ = new Float32Array(q.length);
    const gradK = new Float32Array(k.length);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const qBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const gs = gradScores[mapBase + i * tokens + j] * scale;
            if (gs === 0) continue;
            const kBase = (b * tokens + j) * d + h * dh;
            for (let t = 0; t < dh; t++) {
              gradQ[qBase + t] += gs * k[kBase + t];
              gradK[kBase + t] += gs * q[qBase + t];
            }
          }
        }
      }
    }
    const innerShape = [batch, tokens, d];
    const gx = this.q.backward({ data: gradQ, shape: innerShape }).data;
    const gk = this.k.backward({ data: gradK, shape: innerShape }).data;
    const gv = this.v.backward({ data: gradV, shape: innerShape }).data;
    const out = new Float32Array(gx.length);
    for (let i = 0; i < out.length; i++) out[i] = gx[i] + gk[i] + gv[i];
    return { data: out, shape };
  }
}

/**
 * Replaces each block's attention of a `RowTransformer` by a `HeadPrunedAttention` holding only
 * the heads whose ξ is nonzero in `headMasks[layer]`. The model is modified in place (it is
 * stateful); parameter names stay `layers.<i>.attn.{q,k,v,o}.{weight,bias}`.
 *
 * `@mc/nn`'s encoder block has no public way to swap its attention child, so this reaches into
 * its child list; it checks the layout first and throws UnsupportedError if it has changed.
 */
export function removeMaskedHeadsInPlace(
  model: RowTransformer,
  headMasks: Float32Array[],
): { keptHeads: Int32Array[] } {
  const caller = "removeMaskedHeadsInPlace";
  const blocks = model.blocks;
  if (!Array.isArray(blocks) || headMasks.length !== blocks.length) {
    throw new ShapeMismatchError({
      message: `${caller}: got ${headMasks.length} head masks for ${blocks?.length ?? 0} blocks`,
      expected: [blocks?.length ?? 0],
      actual: [headMasks.length],
    });
  }
  const keptHeads: Int32Array[] = [];
  blocks.forEach((block, layer) => {
    const attention = block.attn as unknown as MultiHeadAttention | HeadPrunedAttention;
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
    const children = (block as unknown as { childModules?: [string, Module][] }).childModules;
    const entry = Array.isArray(children) ? children.find(([name]) => name === "attn") : undefined;
    if (!entry || entry[1] !== attention) {
      throw new UnsupportedError({
        message: `${caller}: block ${layer} does not have the expected "attn" child layout`,
        feature: "TransformerEncoderBlock.attn",
      });
    }
    const replacement = new HeadPrunedAttention(attention, keep);
    const prefix = `layers.${layer}.attn.`;
    for (const parameter of replacement.parameters()) parameter.name = `${prefix}${parameter.name}`;
    entry[1] = replacement;
    (block as unknown as { attn: Module }).attn = replacement;
    keptHeads.push(replacement.keptHeads);
  });
  return { keptHeads };
}
