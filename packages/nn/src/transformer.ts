import { assertInteger, createRng, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { GELU } from "./activations";
import { LayerNorm } from "./layer-norm";
import { Linear } from "./linear";
import { assertGradShape, assertInput, Module, type Parameter, requireCache } from "./module";
import { type AttentionExtraGradients, MultiHeadAttention } from "./multi-head-attention";
import { addTensors, Sequential } from "./sequential";

export interface TransformerEncoderBlockOptions {
  /** Hidden width of the feed-forward part; 4·width by default. */
  feedForwardWidth?: number;
  seed?: number;
}

/**
 * Pre-LayerNorm encoder block (as in GPT-2/ViT; trains without warm-up tricks):
 * h = x + attn(norm1(x)); y = h + ffn(norm2(h)), ffn = fc1 → GELU → fc2.
 * Children: `norm1`, `attn` (q, k, v, o), `norm2`, `ffn` (fc1, gelu, fc2).
 */
export class TransformerEncoderBlock extends Module {
  /** Model width (input and output of the block and of its attention). */
  readonly width: number;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly ffn: Sequential;
  private attention: MultiHeadAttention;
  private shape: readonly number[] | undefined;

  constructor(width: number, heads: number, options: TransformerEncoderBlockOptions = {}) {
    super();
    const { feedForwardWidth = 4 * width, seed = 0 } = options;
    assertInteger(feedForwardWidth, "TransformerEncoderBlock", "options.feedForwardWidth", { min: 1 });
    this.width = assertInteger(width, "TransformerEncoderBlock", "width", { min: 1 });
    this.norm1 = this.addModule("norm1", new LayerNorm(width));
    this.attention = this.addModule("attn", new MultiHeadAttention(width, heads, { seed }));
    this.norm2 = this.addModule("norm2", new LayerNorm(width));
    this.ffn = this.addModule(
      "ffn",
      new Sequential({
        fc1: new Linear(width, feedForwardWidth, { seed: seed + 10 }),
        gelu: new GELU(),
        fc2: new Linear(feedForwardWidth, width, { seed: seed + 11 }),
      }),
    );
  }

  /** The block's attention; swap it with `replaceAttention`. */
  get attn(): MultiHeadAttention {
    return this.attention;
  }

  /**
   * Puts `attention` in place of this block's attention (e.g. one with fewer heads after head
   * pruning) and returns the old one. The new attention must have the block's model width and
   * be freshly built (not part of another module); its parameters take the names the old one's
   * had, e.g. `layers.<i>.attn.{q,k,v,o}.{weight,bias}` inside a RowTransformer. Optimizers built
   * before the swap still hold the old parameters: build them afterwards.
   */
  replaceAttention(attention: MultiHeadAttention): MultiHeadAttention {
    const caller = "TransformerEncoderBlock.replaceAttention";
    if (!(attention instanceof MultiHeadAttention)) {
      throw new InvalidArgumentError({
        message: `${caller}: attention must be an @mc/nn MultiHeadAttention`,
        argument: "attention",
        value: attention,
      });
    }
    if (attention.width !== this.width) {
      throw new ShapeMismatchError({
        message: `${caller}: attention has model width ${attention.width} but this block has width ${this.width}`,
        expected: [this.width],
        actual: [attention.width],
      });
    }
    const projections = ["q", "k", "v", "o"] as const;
    for (const projection of projections) {
      for (const parameter of attention[projection].parameters()) {
        const local = parameter === attention[projection].weight ? "weight" : "bias";
        if (parameter.name !== `${projection}.${local}`) {
          throw new InvalidArgumentError({
            message: `${caller}: attention already belongs to a module (its parameter "${projection}.${local}" is named "${parameter.name}"); pass a newly built MultiHeadAttention`,
            argument: "attention",
            value: parameter.name,
          });
        }
      }
    }
    const previous = this.attention;
    // The old attention's parameters carry the full dotted path of this block (e.g.
    // "layers.2.attn.q.weight"); the new ones get the same path.
    const previousName = previous.q.weight.name;
    const prefix = previousName.slice(0, previousName.length - "q.weight".length);
    for (const parameter of attention.parameters()) parameter.name = `${prefix}${parameter.name}`;
    this.replaceModule("attn", attention);
    this.attention = attention;
    this.shape = undefined;
    return previous;
  }

  forward(input: Tensor): Tensor {
    const h = addTensors(input, this.attn.forward(this.norm1.forward(input)), "TransformerEncoderBlock.forward");
    const y = addTensors(h, this.ffn.forward(this.norm2.forward(h)), "TransformerEncoderBlock.forward");
    this.shape = input.shape;
    return y;
  }

  /** `attention` adds gradients at this block's attention scores/probabilities. */
  backward(gradOutput: Tensor, attention: AttentionExtraGradients = {}): Tensor {
    const shape = requireCache(this.shape, "TransformerEncoderBlock.backward");
    assertGradShape(gradOutput, shape, "TransformerEncoderBlock.backward");
    const gradH = addTensors(
      gradOutput,
      this.norm2.backward(this.ffn.backward(gradOutput)),
      "TransformerEncoderBlock.backward",
    );
    return addTensors(
      gradH,
      this.norm1.backward(this.attn.backward(gradH, attention)),
      "TransformerEncoderBlock.backward",
    );
  }
}

export interface RowTransformerOptions {
  seed?: number;
  layers?: number;
  heads?: number;
  width?: number;
  feedForwardWidth?: number;
  tokens?: number;
  tokenSize?: number;
  classes?: number;
}

/** Everything a forward pass of the row transformer exposes. */
export interface TransformerIntermediates {
  logits: Tensor;
  /** hiddenStates[0] = embeddings, hiddenStates[i + 1] = output of block i; each [batch, tokens, width]. */
  hiddenStates: Tensor[];
  /** Per block, pre-softmax scores [batch, heads, tokens, tokens]. */
  attentionScores: Tensor[];
  /** Per block, attention probabilities [batch, heads, tokens, tokens]. */
  attentionProbabilities: Tensor[];
}

/** Extra gradients injected by `backwardWithIntermediates`, indexed like `TransformerIntermediates`. */
export interface TransformerExtraGradients {
  hiddenStates?: (Tensor | undefined)[];
  attentionScores?: (Tensor | undefined)[];
  attentionProbabilities?: (Tensor | undefined)[];
}

/**
 * A small ViT-style classifier that reads an image as a sequence of rows: each of the 28 rows
 * of 28 pixels is one token. embed (Linear 28→width) + learned positions → `layers` pre-LN
 * encoder blocks → final LayerNorm → mean over tokens → head (Linear width→classes).
 * Parameter names: `embed.*`, `positions`, `layers.<i>.attn.q.weight`, ..., `norm.*`, `head.*`.
 */
export class RowTransformer extends Module {
  readonly tokens: number;
  readonly tokenSize: number;
  readonly width: number;
  readonly embed: Linear;
  readonly positions: Parameter;
  readonly layers: Sequential;
  readonly blocks: TransformerEncoderBlock[];
  readonly norm: LayerNorm;
  readonly head: Linear;
  private batch = 0;
  private inputShape: readonly number[] | undefined;

  constructor(options: RowTransformerOptions = {}) {
    super();
    const {
      seed = 0,
      layers = 4,
      heads = 4,
      width = 64,
      feedForwardWidth = 2 * width,
      tokens = 28,
      tokenSize = 28,
      classes = 10,
    } = options;
    assertInteger(layers, "RowTransformer", "options.layers", { min: 1 });
    this.tokens = assertInteger(tokens, "RowTransformer", "options.tokens", { min: 1 });
    this.tokenSize = assertInteger(tokenSize, "RowTransformer", "options.tokenSize", { min: 1 });
    this.width = width;
    this.embed = this.addModule("embed", new Linear(tokenSize, width, { seed }));
    const positions = createRng(seed + 1).fillNormal(new Float32Array(tokens * width), 0, 0.02);
    this.positions = this.addParameter("positions", { data: positions, shape: [tokens, width] }, "embedding.weight");
    this.blocks = Array.from(
      { length: layers },
      (_, i) => new TransformerEncoderBlock(width, heads, { feedForwardWidth, seed: seed + 100 * (i + 1) }),
    );
    this.layers = this.addModule("layers", new Sequential(this.blocks));
    this.norm = this.addModule("norm", new LayerNorm(width));
    this.head = this.addModule("head", new Linear(width, classes, { seed: seed + 2 }));
  }

  forward(input: Tensor): Tensor {
    return this.forwardWithIntermediates(input).logits;
  }

  /** Forward pass that also returns hidden states and attention maps (for distillation). */
  forwardWithIntermediates(input: Tensor): TransformerIntermediates {
    assertInput(input, "RowTransformer.forward", 2);
    const batch = input.shape[0] as number;
    if (input.data.length !== batch * this.tokens * this.tokenSize) {
      throw new ShapeMismatchError({
        message: `RowTransformer.forward: input has shape ${formatShape(input.shape)}; expected [batch, ${this.tokens}, ${this.tokenSize}] (or [batch, 1, ${this.tokens}, ${this.tokenSize}])`,
        actual: input.shape,
      });
    }
    this.batch = batch;
    this.inputShape = input.shape;
    const tokens = { data: input.data, shape: [batch, this.tokens, this.tokenSize] };
    const embedded = this.embed.forward(tokens);
    const positions = this.positions.effectiveValue();
    const x = new Float32Array(embedded.data.length);
    const plane = this.tokens * this.width;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < plane; i++)
        x[b * plane + i] = (embedded.data[b * plane + i] as number) + (positions[i] as number);
    }
    const hiddenStates: Tensor[] = [{ data: x, shape: [batch, this.tokens, this.width] }];
    const attentionScores: Tensor[] = [];
    const attentionProbabilities: Tensor[] = [];
    let h = hiddenStates[0] as Tensor;
    for (const block of this.blocks) {
      h = block.forward(h);
      hiddenStates.push(h);
      attentionScores.push(block.attn.scores as Tensor);
      attentionProbabilities.push(block.attn.probabilities as Tensor);
    }
    const normalized = this.norm.forward(h);
    const pooled = new Float32Array(batch * this.width);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < this.tokens; t++) {
        const base = (b * this.tokens + t) * this.width;
        for (let j = 0; j < this.width; j++) {
          pooled[b * this.width + j] = (pooled[b * this.width + j] as number) + (normalized.data[base + j] as number);
        }
      }
    }
    for (let i = 0; i < pooled.length; i++) pooled[i] = (pooled[i] as number) / this.tokens;
    const logits = this.head.forward({ data: pooled, shape: [batch, this.width] });
    return { logits, hiddenStates, attentionScores, attentionProbabilities };
  }

  backward(gradOutput: Tensor): Tensor {
    return this.backwardWithIntermediates(gradOutput);
  }

  /** Backward from the logits, adding `extra` gradients at hidden states and attention maps. */
  backwardWithIntermediates(gradLogits: Tensor, extra: TransformerExtraGradients = {}): Tensor {
    const inputShape = requireCache(this.inputShape, "RowTransformer.backward");
    const batch = this.batch;
    const { tokens, width } = this;
    const gradPooled = this.head.backward(gradLogits).data;
    const gradNormalized = new Float32Array(batch * tokens * width);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < tokens; t++) {
        const base = (b * tokens + t) * width;
        for (let j = 0; j < width; j++) gradNormalized[base + j] = (gradPooled[b * width + j] as number) / tokens;
      }
    }
    const hiddenShape = [batch, tokens, width];
    let g = this.norm.backward({ data: gradNormalized, shape: hiddenShape });
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const extraHidden = extra.hiddenStates?.[i + 1];
      if (extraHidden) g = addTensors(g, extraHidden, `RowTransformer.backward: hiddenStates[${i + 1}]`);
      g = (this.blocks[i] as TransformerEncoderBlock).backward(g, {
        scores: extra.attentionScores?.[i],
        probabilities: extra.attentionProbabilities?.[i],
      });
    }
    const extraEmbedded = extra.hiddenStates?.[0];
    if (extraEmbedded) g = addTensors(g, extraEmbedded, "RowTransformer.backward: hiddenStates[0]");
    const plane = tokens * width;
    const gradPositions = new Float32Array(plane);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < plane; i++)
        gradPositions[i] = (gradPositions[i] as number) + (g.data[b * plane + i] as number);
    }
    this.positions.accumulateGrad(gradPositions);
    const gradTokens = this.embed.backward(g);
    return { data: gradTokens.data, shape: inputShape };
  }

  /** The attention modules, block by block (for head masks and head-importance scores). */
  attentionModules(): MultiHeadAttention[] {
    return this.blocks.map((block) => block.attn);
  }
}

/** The row transformer with the defaults: 4 layers, 4 heads, width 64, feed-forward 128. */
export function createRowTransformer(options: RowTransformerOptions = {}): RowTransformer {
  return new RowTransformer(options);
}
