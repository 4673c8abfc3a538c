import { createRng, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { checkModuleGradients, randomTensor } from "../test/gradient-check";
import { erf, GELU, Softmax } from "./activations";
import { Embedding } from "./embedding";
import { LayerNorm } from "./layer-norm";
import { MultiHeadAttention } from "./multi-head-attention";
import { loadParameters, saveParameters } from "./parameters-io";
import { createRowTransformer, TransformerEncoderBlock } from "./transformer";

function weightedSum(values: Float32Array, weights: Float32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += (values[i] as number) * (weights[i] as number);
  return total;
}

describe("GELU, Softmax, LayerNorm, Embedding", () => {
  it("erf matches tabulated values", () => {
    const table: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-2, -0.9953222650189527],
      [3, 0.9999779095030014],
    ];
    for (const [x, expected] of table) expect(Math.abs(erf(x) - expected), `erf(${x})`).toBeLessThan(2e-7);
  });

  it("GELU gradients match finite differences", () => {
    checkModuleGradients(new GELU(), randomTensor([3, 7], 1, 3));
  });

  it("Softmax rows sum to one and gradients match finite differences", () => {
    const y = new Softmax().forward(randomTensor([2, 5], 2, 4));
    for (let r = 0; r < 2; r++) expect(y.data.slice(r * 5, r * 5 + 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    checkModuleGradients(new Softmax(), randomTensor([3, 4], 3, 2));
  });

  it("LayerNorm output has zero mean / unit variance per row; gradients match finite differences", () => {
    const norm = new LayerNorm(6);
    const y = norm.forward(randomTensor([4, 6], 5, 3));
    for (let r = 0; r < 4; r++) {
      const row = y.data.slice(r * 6, r * 6 + 6);
      const mean = row.reduce((a, b) => a + b, 0) / 6;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
      expect(Math.abs(mean), `row ${r}`).toBeLessThan(1e-6);
      expect(variance, `row ${r}`).toBeCloseTo(1, 3);
    }
    const trained = new LayerNorm(5);
    createRng(1).fillUniform(trained.weight.value.data, 0.5, 1.5);
    createRng(2).fillUniform(trained.bias.value.data, -1, 1);
    checkModuleGradients(trained, randomTensor([2, 3, 5], 6, 2));
  });

  it("Embedding looks rows up, scatters gradients, and rejects bad indices", () => {
    const embedding = new Embedding(5, 3, { seed: 1 });
    const indices = { data: new Float32Array([4, 0, 4]), shape: [3] };
    const y = embedding.forward(indices);
    expect(y.shape).toEqual([3, 3]);
    expect(Array.from(y.data.slice(0, 3))).toEqual(Array.from(embedding.weight.value.data.slice(12, 15)));
    embedding.zeroGrad();
    embedding.backward({ data: new Float32Array([1, 1, 1, 2, 2, 2, 3, 3, 3]), shape: [3, 3] });
    expect(Array.from(embedding.weight.grad.slice(12, 15))).toEqual([4, 4, 4]);
    expect(Array.from(embedding.weight.grad.slice(0, 3))).toEqual([2, 2, 2]);
    expect(() => embedding.forward({ data: new Float32Array([5]), shape: [1] })).toThrowError(/input\[0\] is 5/);
    expect(() => embedding.forward({ data: new Float32Array([1.5]), shape: [1] })).toThrowError(/integers in \[0, 4\]/);
  });
});

describe("MultiHeadAttention", () => {
  it("gradients (input and all projections) match finite differences", () => {
    checkModuleGradients(new MultiHeadAttention(8, 2, { seed: 1 }), randomTensor([2, 3, 8], 2), { samples: 25 });
  });

  it("exposes probabilities that are softmax(scores) rows, and a head mask of 0 removes a head", () => {
    const attention = new MultiHeadAttention(8, 2, { seed: 3 });
    const x = randomTensor([1, 4, 8], 4);
    const full = attention.forward(x);
    const p = attention.probabilities?.data as Float32Array;
    expect(attention.scores?.shape).toEqual([1, 2, 4, 4]);
    for (let r = 0; r < 8; r++) expect(p.slice(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    attention.headMask[1] = 0;
    const pruned = attention.forward(x);
    expect(pruned.data).not.toEqual(full.data);
    attention.headMask.fill(0);
    const none = attention.forward(x);
    // with every head masked the output is the output projection's bias alone
    const bias = attention.o.bias?.value.data as Float32Array;
    for (let i = 0; i < none.data.length; i++) expect(none.data[i]).toBeCloseTo(bias[i % 8] as number, 6);
  });

  it("∂L/∂ξ (headMaskGrad) matches finite differences of the head mask", () => {
    const attention = new MultiHeadAttention(8, 4, { seed: 5 });
    const x = randomTensor([2, 3, 8], 6);
    const out = attention.forward(x);
    const weights = createRng(7).fillUniform(new Float32Array(out.data.length), -1, 1);
    attention.zeroGrad();
    attention.backward({ data: weights, shape: out.shape });
    const analytic = attention.headMaskGrad.slice();
    const h = 1e-2;
    for (let head = 0; head < 4; head++) {
      attention.headMask[head] = 1 + h;
      const plus = weightedSum(attention.forward(x).data, weights);
      attention.headMask[head] = 1 - h;
      const minus = weightedSum(attention.forward(x).data, weights);
      attention.headMask[head] = 1;
      const numeric = (plus - minus) / (2 * h);
      expect(
        Math.abs((analytic[head] as number) - numeric),
        `head ${head}: ${analytic[head]} vs ${numeric}`,
      ).toBeLessThan(2e-3);
    }
  });

  it("extra gradients at scores and probabilities propagate like a loss on them", () => {
    const attention = new MultiHeadAttention(4, 2, { seed: 8 });
    const x = randomTensor([1, 3, 4], 9);
    attention.forward(x);
    const scoreWeights = createRng(10).fillUniform(new Float32Array(18), -1, 1);
    const probabilityWeights = createRng(11).fillUniform(new Float32Array(18), -1, 1);
    const loss = (): number => {
      attention.forward(x);
      return (
        weightedSum(attention.scores?.data as Float32Array, scoreWeights) +
        weightedSum(attention.probabilities?.data as Float32Array, probabilityWeights)
      );
    };
    attention.forward(x);
    const grad = attention.backward(
      { data: new Float32Array(12), shape: [1, 3, 4] },
      {
        scores: { data: scoreWeights, shape: [1, 2, 3, 3] },
        probabilities: { data: probabilityWeights, shape: [1, 2, 3, 3] },
      },
    );
    const h = 1e-2;
    for (let i = 0; i < 12; i++) {
      const saved = x.data[i] as number;
      x.data[i] = saved + h;
      const plus = loss();
      x.data[i] = saved - h;
      const minus = loss();
      x.data[i] = saved;
      const numeric = (plus - minus) / (2 * h);
      expect(Math.abs((grad.data[i] as number) - numeric), `input ${i}`).toBeLessThan(
        2e-3 * Math.max(1, Math.abs(numeric)),
      );
    }
  });
});

describe("Transformer", () => {
  it("encoder block gradients match finite differences", () => {
    checkModuleGradients(
      new TransformerEncoderBlock(8, 2, { feedForwardWidth: 12, seed: 2 }),
      randomTensor([2, 3, 8], 3),
      {
        samples: 12,
      },
    );
  });

  it("row transformer: names, shapes, intermediates and gradients", () => {
    const model = createRowTransformer({
      seed: 1,
      layers: 2,
      heads: 2,
      width: 8,
      feedForwardWidth: 8,
      tokens: 4,
      tokenSize: 5,
      classes: 3,
    });
    const names = model.parameters().map((p) => p.name);
    expect(names).toContain("layers.0.attn.q.weight");
    expect(names).toContain("layers.1.ffn.fc2.bias");
    expect(model.getParameter("layers.0.attn.o.weight").kind).toBe("attention.weight");
    expect(model.getParameter("positions").kind).toBe("embedding.weight");
    const x = randomTensor([2, 1, 4, 5], 2);
    const result = model.forwardWithIntermediates(x);
    expect(result.logits.shape).toEqual([2, 3]);
    expect(result.hiddenStates.map((h) => h.shape)).toEqual([
      [2, 4, 8],
      [2, 4, 8],
      [2, 4, 8],
    ]);
    expect(result.attentionProbabilities[1]?.shape).toEqual([2, 2, 4, 4]);
    checkModuleGradients(model, x, { samples: 10 });
  });

  it("extra gradients at hidden states act like a loss on them (distillation hook)", () => {
    const model = createRowTransformer({
      seed: 2,
      layers: 2,
      heads: 2,
      width: 4,
      feedForwardWidth: 4,
      tokens: 3,
      tokenSize: 3,
      classes: 2,
    });
    const x = randomTensor([1, 3, 3], 4);
    const hiddenWeights = createRng(5).fillUniform(new Float32Array(12), -1, 1);
    const probabilityWeights = createRng(6).fillUniform(new Float32Array(18), -1, 1);
    const loss = (): number => {
      const r = model.forwardWithIntermediates(x);
      return (
        weightedSum(r.hiddenStates[1]?.data as Float32Array, hiddenWeights) +
        weightedSum(r.attentionProbabilities[1]?.data as Float32Array, probabilityWeights)
      );
    };
    model.forwardWithIntermediates(x);
    model.zeroGrad();
    model.backwardWithIntermediates(
      { data: new Float32Array(2), shape: [1, 2] },
      {
        hiddenStates: [undefined, { data: hiddenWeights, shape: [1, 3, 4] }],
        attentionProbabilities: [undefined, { data: probabilityWeights, shape: [1, 2, 3, 3] }],
      },
    );
    const embed = model.getParameter("embed.weight");
    const analytic = embed.grad.slice();
    const h = 1e-2;
    for (let i = 0; i < analytic.length; i++) {
      const saved = embed.value.data[i] as number;
      embed.value.data[i] = saved + h;
      const plus = loss();
      embed.value.data[i] = saved - h;
      const minus = loss();
      embed.value.data[i] = saved;
      const numeric = (plus - minus) / (2 * h);
      expect(
        Math.abs((analytic[i] as number) - numeric),
        `embed.weight[${i}]: ${analytic[i]} vs ${numeric}`,
      ).toBeLessThan(3e-3 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("default row transformer has 4 layers, 4 heads, width 64", () => {
    const model = createRowTransformer();
    expect(model.blocks).toHaveLength(4);
    expect(model.blocks[0]?.attn.heads).toBe(4);
    expect(model.getParameter("head.weight").value.shape).toEqual([10, 64]);
    expect(() => model.forward(randomTensor([2, 27, 28], 1))).toThrowError(/expected \[batch, 28, 28\]/);
  });
});

describe("TransformerEncoderBlock.replaceAttention", () => {
  const small = () =>
    createRowTransformer({ seed: 4, layers: 2, heads: 4, width: 8, feedForwardWidth: 8, tokens: 3, tokenSize: 5 });

  it("swaps in an attention with fewer heads under the same parameter names and child order", () => {
    const model = small();
    const block = model.blocks[1] as TransformerEncoderBlock;
    const namesBefore = model.parameters().map((p) => p.name);
    const replacement = new MultiHeadAttention(8, 3, { seed: 7, headWidth: 2 });
    const previous = block.replaceAttention(replacement);
    expect(previous.heads).toBe(4);
    expect(block.attn).toBe(replacement);
    expect(model.attentionModules()[1]).toBe(replacement);
    expect(block.children().map(([name]) => name)).toEqual(["norm1", "attn", "norm2", "ffn"]);
    expect(model.parameters().map((p) => p.name)).toEqual(namesBefore);
    expect(model.getParameter("layers.1.attn.q.weight")).toBe(replacement.q.weight);
    expect(model.getParameter("layers.1.attn.q.weight").value.shape).toEqual([6, 8]);
    expect(model.getParameter("layers.1.attn.o.weight").value.shape).toEqual([8, 6]);
    expect(model.getParameter("layers.0.attn.q.weight").value.shape).toEqual([8, 8]);
    const result = model.forwardWithIntermediates(randomTensor([2, 3, 5], 8));
    expect(result.attentionScores.map((t) => t.shape)).toEqual([
      [2, 4, 3, 3],
      [2, 3, 3, 3],
    ]);
    // Saved tensors round-trip through the new names and shapes.
    const saved = saveParameters(model);
    expect(saved["layers.1.attn.v.bias"]?.shape).toEqual([6]);
    const copy = small();
    (copy.blocks[1] as TransformerEncoderBlock).replaceAttention(new MultiHeadAttention(8, 3, { headWidth: 2 }));
    expect(loadParameters(copy, saved).missing).toEqual([]);
    expect(Array.from(copy.getParameter("layers.1.attn.o.weight").value.data)).toEqual(
      Array.from(replacement.o.weight.value.data),
    );
  });

  it("model gradients match finite differences after the swap (the new attention is trained)", () => {
    const block = new TransformerEncoderBlock(8, 2, { feedForwardWidth: 12, seed: 2 });
    block.replaceAttention(new MultiHeadAttention(8, 3, { seed: 3, headWidth: 3 }));
    expect(block.parameters().map((p) => p.name)).toContain("attn.o.weight");
    checkModuleGradients(block, randomTensor([2, 3, 8], 4), { samples: 12 });
  });

  it("rejects another model width, an attention that already belongs to a module, and non-attentions", () => {
    const model = small();
    const block = model.blocks[0] as TransformerEncoderBlock;
    let caught: unknown;
    try {
      block.replaceAttention(new MultiHeadAttention(6, 2));
    } catch (error) {
      caught = error;
    }
    expect(ShapeMismatchError.isInstance(caught)).toBe(true);
    expect(String(caught)).toMatch(/replaceAttention: attention has model width 6 but this block has width 8/);
    const other = model.blocks[1] as TransformerEncoderBlock;
    expect(() => block.replaceAttention(other.attn)).toThrowError(
      /already belongs to a module .*"layers\.1\.attn\.q\.weight"/,
    );
    expect(() => block.replaceAttention(block.attn)).toThrowError(/already belongs to a module/);
    expect(() => block.replaceAttention({ width: 8 } as unknown as MultiHeadAttention)).toThrowError(
      /must be an @mc\/nn MultiHeadAttention/,
    );
    expect(model.getParameter("layers.0.attn.q.weight")).toBe(block.attn.q.weight);
  });
});
