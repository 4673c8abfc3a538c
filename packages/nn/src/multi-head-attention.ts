import { assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { softmaxBackward, softmaxLastAxis } from "./activations";
import { gemm } from "./gemm";
import { Linear } from "./linear";
import { assertGradShape, assertInput, Module, requireCache } from "./module";

/** Gradients a caller adds directly at the attention maps (e.g. TinyBERT's attention MSE). */
export interface AttentionExtraGradients {
  /** d loss / d pre-softmax scores, [batch, heads, tokens, tokens]. */
  scores?: Tensor;
  /** d loss / d attention probabilities, [batch, heads, tokens, tokens]. */
  probabilities?: Tensor;
}

/**
 * Multi-head self-attention (Vaswani et al. 2017) over [batch, tokens, width], with a per-head
 * mask ξ (Michel et al. 2019, "Are Sixteen Heads Really Better than One?"):
 * out = o(concat_h ξ_h · softmax(Q_h K_hᵀ/√d_h) V_h). `headMask` starts at ones; set entries
 * to 0 to prune heads. `backward` accumulates ∂L/∂ξ_h into `headMaskGrad` (the head-importance
 * signal), cleared by `zeroGrad`. The last forward's pre-softmax `scores` and `probabilities`
 * ([batch, heads, tokens, tokens]) stay readable for distillation and inspection.
 *
 * The inner width heads·headWidth may differ from the model width (`options.headWidth`): Q, K
 * and V map width → heads·headWidth and O maps it back, which is what an attention looks like
 * after some of its heads were physically removed.
 */
export interface MultiHeadAttentionOptions {
  seed?: number;
  bias?: boolean;
  /** Width of each head; width / heads by default (then width must be divisible by heads). */
  headWidth?: number;
}

export class MultiHeadAttention extends Module {
  /** Model width: the last axis of the input and of the output. */
  readonly width: number;
  readonly heads: number;
  readonly headWidth: number;
  /** heads · headWidth: the output width of Q, K, V and the input width of O. */
  readonly innerWidth: number;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly headMask: Float32Array;
  readonly headMaskGrad: Float32Array;
  /** Pre-softmax scores of the last forward (scaled by 1/√headWidth). */
  scores: Tensor | undefined;
  /** Attention probabilities of the last forward. */
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

  constructor(width: number, heads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    const { seed = 0, bias = true, headWidth } = options;
    this.width = assertInteger(width, "MultiHeadAttention", "width", { min: 1 });
    this.heads = assertInteger(heads, "MultiHeadAttention", "heads", { min: 1 });
    if (headWidth === undefined && width % heads !== 0) {
      throw new InvalidArgumentError({
        message: `MultiHeadAttention: width ${width} is not divisible by heads ${heads} (pass options.headWidth for an inner width other than width)`,
        argument: "heads",
        value: heads,
      });
    }
    this.headWidth =
      headWidth === undefined
        ? width / heads
        : assertInteger(headWidth, "MultiHeadAttention", "options.headWidth", { min: 1 });
    const inner = heads * this.headWidth;
    this.innerWidth = inner;
    const kind = "attention.weight" as const;
    this.q = this.addModule("q", new Linear(width, inner, { seed, bias, kind }));
    this.k = this.addModule("k", new Linear(width, inner, { seed: seed + 1, bias, kind }));
    this.v = this.addModule("v", new Linear(width, inner, { seed: seed + 2, bias, kind }));
    this.o = this.addModule("o", new Linear(inner, width, { seed: seed + 3, bias, kind }));
    this.headMask = new Float32Array(heads).fill(1);
    this.headMaskGrad = new Float32Array(heads);
  }

  override zeroGrad(): void {
    super.zeroGrad();
    this.headMaskGrad.fill(0);
  }

  forward(input: Tensor): Tensor {
    assertInput(input, "MultiHeadAttention.forward", 3);
    if (input.shape.length !== 3 || input.shape[2] !== this.width) {
      throw new ShapeMismatchError({
        message: `MultiHeadAttention.forward: input has shape ${formatShape(input.shape)} but expects [batch, tokens, ${this.width}]`,
        actual: input.shape,
      });
    }
    const [batch, tokens] = input.shape as [number, number];
    const q = this.q.forward(input).data;
    const k = this.k.forward(input).data;
    const v = this.v.forward(input).data;
    const { heads, headWidth: dh, innerWidth: d } = this;
    const scale = 1 / Math.sqrt(dh);
    const qh = toHeadMajor(q, batch, tokens, heads, dh);
    const kh = toHeadMajor(k, batch, tokens, heads, dh);
    const vh = toHeadMajor(v, batch, tokens, heads, dh);
    const map = tokens * tokens;
    const slab = tokens * dh;
    const scores = new Float32Array(batch * heads * map);
    for (let bh = 0; bh < batch * heads; bh++) {
      gemm(qh.subarray(bh * slab, (bh + 1) * slab), kh.subarray(bh * slab, (bh + 1) * slab), {
        m: tokens,
        k: dh,
        n: tokens,
        transposeB: true,
        alpha: scale,
        c: scores.subarray(bh * map, (bh + 1) * map),
      });
    }
    const probabilities = softmaxLastAxis(scores, tokens);
    // context = P·V per head, before the head mask; the mask gradient needs it unmasked.
    const contextHeads = new Float32Array(batch * heads * slab);
    for (let bh = 0; bh < batch * heads; bh++) {
      gemm(probabilities.subarray(bh * map, (bh + 1) * map), vh.subarray(bh * slab, (bh + 1) * slab), {
        m: tokens,
        k: tokens,
        n: dh,
        c: contextHeads.subarray(bh * slab, (bh + 1) * slab),
      });
    }
    const context = fromHeadMajor(contextHeads, batch, tokens, heads, dh);
    const masked = new Float32Array(context.length);
    for (let r = 0; r < batch * tokens; r++) {
      for (let h = 0; h < heads; h++) {
        const m = this.headMask[h] as number;
        const base = r * d + h * dh;
        for (let t = 0; t < dh; t++) masked[base + t] = (context[base + t] as number) * m;
      }
    }
    const mapShape = [batch, heads, tokens, tokens];
    this.scores = { data: scores, shape: mapShape };
    this.probabilities = { data: probabilities, shape: mapShape };
    this.cache = { q: qh, k: kh, v: vh, context, batch, tokens, shape: input.shape };
    return this.o.forward({ data: masked, shape: [batch, tokens, d] });
  }

  backward(gradOutput: Tensor, extra: AttentionExtraGradients = {}): Tensor {
    const { q, k, v, context, batch, tokens, shape } = requireCache(this.cache, "MultiHeadAttention.backward");
    assertGradShape(gradOutput, shape, "MultiHeadAttention.backward");
    const { heads, headWidth: dh, innerWidth: d } = this;
    const mapShape = [batch, heads, tokens, tokens];
    if (extra.scores) assertGradShape(extra.scores, mapShape, "MultiHeadAttention.backward (extra.scores)");
    if (extra.probabilities)
      assertGradShape(extra.probabilities, mapShape, "MultiHeadAttention.backward (extra.probabilities)");
    const probabilities = (this.probabilities as Tensor).data;
    const gradMasked = this.o.backward(gradOutput).data;
    const gradContext = new Float32Array(gradMasked.length);
    for (let r = 0; r < batch * tokens; r++) {
      for (let h = 0; h < heads; h++) {
        const m = this.headMask[h] as number;
        const base = r * d + h * dh;
        let dot = 0;
        for (let t = 0; t < dh; t++) {
          const g = gradMasked[base + t] as number;
          dot += g * (context[base + t] as number);
          gradContext[base + t] = g * m;
        }
        this.headMaskGrad[h] = (this.headMaskGrad[h] as number) + dot;
      }
    }
    const map = tokens * tokens;
    const slab = tokens * dh;
    const gradContextHeads = toHeadMajor(gradContext, batch, tokens, heads, dh);
    const gradProbabilities = new Float32Array(probabilities.length);
    const gradVHeads = new Float32Array(v.length);
    for (let bh = 0; bh < batch * heads; bh++) {
      const gU = gradContextHeads.subarray(bh * slab, (bh + 1) * slab);
      gemm(gU, v.subarray(bh * slab, (bh + 1) * slab), {
        m: tokens,
        k: dh,
        n: tokens,
        transposeB: true,
        c: gradProbabilities.subarray(bh * map, (bh + 1) * map),
      });
      gemm(probabilities.subarray(bh * map, (bh + 1) * map), gU, {
        m: tokens,
        k: tokens,
        n: dh,
        transposeA: true,
        c: gradVHeads.subarray(bh * slab, (bh + 1) * slab),
      });
    }
    if (extra.probabilities) {
      const e = extra.probabilities.data;
      for (let i = 0; i < gradProbabilities.length; i++)
        gradProbabilities[i] = (gradProbabilities[i] as number) + (e[i] as number);
    }
    const gradScores = softmaxBackward(probabilities, gradProbabilities, tokens);
    if (extra.scores) {
      const e = extra.scores.data;
      for (let i = 0; i < gradScores.length; i++) gradScores[i] = (gradScores[i] as number) + (e[i] as number);
    }
    const scale = 1 / Math.sqrt(dh);
    const gradQHeads = new Float32Array(q.length);
    const gradKHeads = new Float32Array(k.length);
    for (let bh = 0; bh < batch * heads; bh++) {
      const gS = gradScores.subarray(bh * map, (bh + 1) * map);
      gemm(gS, k.subarray(bh * slab, (bh + 1) * slab), {
        m: tokens,
        k: tokens,
        n: dh,
        alpha: scale,
        c: gradQHeads.subarray(bh * slab, (bh + 1) * slab),
      });
      gemm(gS, q.subarray(bh * slab, (bh + 1) * slab), {
        m: tokens,
        k: tokens,
        n: dh,
        transposeA: true,
        alpha: scale,
        c: gradKHeads.subarray(bh * slab, (bh + 1) * slab),
      });
    }
    const gradQ = fromHeadMajor(gradQHeads, batch, tokens, heads, dh);
    const gradK = fromHeadMajor(gradKHeads, batch, tokens, heads, dh);
    const gradV = fromHeadMajor(gradVHeads, batch, tokens, heads, dh);
    const innerShape = [batch, tokens, d];
    const gx = this.q.backward({ data: gradQ, shape: innerShape }).data;
    const gk = this.k.backward({ data: gradK, shape: innerShape }).data;
    const gv = this.v.backward({ data: gradV, shape: innerShape }).data;
    const out = new Float32Array(gx.length);
    for (let i = 0; i < out.length; i++) out[i] = (gx[i] as number) + (gk[i] as number) + (gv[i] as number);
    return { data: out, shape };
  }
}

/** [batch, tokens, heads·dh] → [batch, heads, tokens, dh], so each head's block is contiguous. */
function toHeadMajor(x: Float32Array, batch: number, tokens: number, heads: number, dh: number): Float32Array {
  const out = new Float32Array(x.length);
  const d = heads * dh;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tokens; t++) {
      const src = (b * tokens + t) * d;
      for (let h = 0; h < heads; h++) {
        const dst = ((b * heads + h) * tokens + t) * dh;
        for (let j = 0; j < dh; j++) out[dst + j] = x[src + h * dh + j] as number;
      }
    }
  }
  return out;
}

/** Inverse of `toHeadMajor`. */
function fromHeadMajor(x: Float32Array, batch: number, tokens: number, heads: number, dh: number): Float32Array {
  const out = new Float32Array(x.length);
  const d = heads * dh;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tokens; t++) {
      const dst = (b * tokens + t) * d;
      for (let h = 0; h < heads; h++) {
        const src = ((b * heads + h) * tokens + t) * dh;
        for (let j = 0; j < dh; j++) out[dst + h * dh + j] = x[src + j] as number;
      }
    }
  }
  return out;
}
