import { assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { softmaxBackward, softmaxLastAxis } from "./activations";
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
 */
export class MultiHeadAttention extends Module {
  readonly width: number;
  readonly heads: number;
  readonly headWidth: number;
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
    | { q: Float32Array; k: Float32Array; v: Float32Array; context: Float32Array; batch: number; tokens: number; shape: readonly number[] }
    | undefined;

  constructor(width: number, heads: number, options: { seed?: number; bias?: boolean } = {}) {
    super();
    const { seed = 0, bias = true } = options;
    this.width = assertInteger(width, "MultiHeadAttention", "width", { min: 1 });
    this.heads = assertInteger(heads, "MultiHeadAttention", "heads", { min: 1 });
    if (width % heads !== 0) {
      throw new InvalidArgumentError({
        message: `MultiHeadAttention: width ${width} is not divisible by heads ${heads}`,
        argument: "heads",
        value: heads,
      });
    }
    this.headWidth = width / heads;
    const kind = "attention.weight" as const;
    this.q = this.addModule("q", new Linear(width, width, { seed, bias, kind }));
    this.k = this.addModule("k", new Linear(width, width, { seed: seed + 1, bias, kind }));
    this.v = this.addModule("v", new Linear(width, width, { seed: seed + 2, bias, kind }));
    this.o = this.addModule("o", new Linear(width, width, { seed: seed + 3, bias, kind }));
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
    const { heads, headWidth: dh, width: d } = this;
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
            for (let t = 0; t < dh; t++) acc += (q[qBase + t] as number) * (k[kBase + t] as number);
            scores[mapBase + i * tokens + j] = acc * scale;
          }
        }
      }
    }
    const probabilities = softmaxLastAxis(scores, tokens);
    // context = P·V per head, before the head mask; the mask gradient needs it unmasked.
    const context = new Float32Array(batch * tokens * d);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const cBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const p = probabilities[mapBase + i * tokens + j] as number;
            const vBase = (b * tokens + j) * d + h * dh;
            for (let t = 0; t < dh; t++) context[cBase + t] = (context[cBase + t] as number) + p * (v[vBase + t] as number);
          }
        }
      }
    }
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
    this.cache = { q, k, v, context, batch, tokens, shape: input.shape };
    return this.o.forward({ data: masked, shape: input.shape });
  }

  backward(gradOutput: Tensor, extra: AttentionExtraGradients = {}): Tensor {
    const { q, k, v, context, batch, tokens, shape } = requireCache(this.cache, "MultiHeadAttention.backward");
    assertGradShape(gradOutput, shape, "MultiHeadAttention.backward");
    const { heads, headWidth: dh, width: d } = this;
    const mapShape = [batch, heads, tokens, tokens];
    if (extra.scores) assertGradShape(extra.scores, mapShape, "MultiHeadAttention.backward (extra.scores)");
    if (extra.probabilities) assertGradShape(extra.probabilities, mapShape, "MultiHeadAttention.backward (extra.probabilities)");
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
    const gradProbabilities = extra.probabilities ? extra.probabilities.data.slice() : new Float32Array(probabilities.length);
    const gradV = new Float32Array(v.length);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const gBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const vBase = (b * tokens + j) * d + h * dh;
            const p = probabilities[mapBase + i * tokens + j] as number;
            let acc = 0;
            for (let t = 0; t < dh; t++) {
              const g = gradContext[gBase + t] as number;
              acc += g * (v[vBase + t] as number);
              gradV[vBase + t] = (gradV[vBase + t] as number) + p * g;
            }
            gradProbabilities[mapBase + i * tokens + j] = (gradProbabilities[mapBase + i * tokens + j] as number) + acc;
          }
        }
      }
    }
    const gradScores = softmaxBackward(probabilities, gradProbabilities, tokens);
    if (extra.scores) {
      const s = extra.scores.data;
      for (let i = 0; i < gradScores.length; i++) gradScores[i] = (gradScores[i] as number) + (s[i] as number);
    }
    const scale = 1 / Math.sqrt(dh);
    const gradQ = new Float32Array(q.length);
    const gradK = new Float32Array(k.length);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const mapBase = (b * heads + h) * tokens * tokens;
        for (let i = 0; i < tokens; i++) {
          const qBase = (b * tokens + i) * d + h * dh;
          for (let j = 0; j < tokens; j++) {
            const gs = (gradScores[mapBase + i * tokens + j] as number) * scale;
            if (gs === 0) continue;
            const kBase = (b * tokens + j) * d + h * dh;
            for (let t = 0; t < dh; t++) {
              gradQ[qBase + t] = (gradQ[qBase + t] as number) + gs * (k[kBase + t] as number);
              gradK[kBase + t] = (gradK[kBase + t] as number) + gs * (q[qBase + t] as number);
            }
          }
        }
      }
    }
    const gx = this.q.backward({ data: gradQ, shape }).data;
    const gk = this.k.backward({ data: gradK, shape }).data;
    const gv = this.v.backward({ data: gradV, shape }).data;
    const out = new Float32Array(gx.length);
    for (let i = 0; i < out.length; i++) out[i] = (gx[i] as number) + (gk[i] as number) + (gv[i] as number);
    return { data: out, shape };
  }
}
