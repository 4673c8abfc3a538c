import { createRng } from "@mc/core";
import { createRowTransformer, type Dataset, gatherBatch, MultiHeadAttention, SGD, softmaxCrossEntropy } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { HeadPrunedAttention, removeMaskedHeadsInPlace } from "./head-pruned-attention";
import { getHeadMask, setHeadMask, transformerHeadImportance } from "./transformer-heads";

function randomDataset(count: number, seed: number): Dataset {
  const rng = createRng(seed);
  return {
    images: rng.fillUniform(new Float32Array(count * 784)),
    labels: new Uint8Array(count).map(() => rng.integer(0, 9)),
    count,
    shape: [1, 28, 28],
  };
}

const tiny = () => createRowTransformer({ seed: 3, layers: 2, heads: 4, width: 16 });

describe("transformerHeadImportance", () => {
  it("equals |∂L/∂ξ| from central finite differences of the real loss (one batch)", () => {
    const model = tiny();
    const data = randomDataset(6, 1);
    const { raw } = transformerHeadImportance(model, data, { batchSize: 6, normalizePerLayer: false });
    const { input, labels } = gatherBatch(data, [0, 1, 2, 3, 4, 5]);
    const loss = (mask: Float32Array) => {
      setHeadMask(model, mask);
      return softmaxCrossEntropy(model.forward(input), labels).loss;
    };
    const ones = new Float32Array(8).fill(1);
    for (let i = 0; i < 8; i++) {
      const up = ones.slice();
      const down = ones.slice();
      up[i] += 1e-2;
      down[i] -= 1e-2;
      const numeric = Math.abs((loss(up) - loss(down)) / 2e-2);
      expect(Math.abs(raw[i] - numeric), `head ${i}: analytic ${raw[i]} vs numeric ${numeric}`).toBeLessThan(
        2e-3 * (1 + numeric),
      );
    }
    setHeadMask(model, ones);
    expect(Array.from(getHeadMask(model))).toEqual(Array.from(ones));
  });

  it("gives pruned heads zero importance and normalizes layers to unit norm", () => {
    const model = tiny();
    setHeadMask(model, Float32Array.from([1, 0, 1, 1, 1, 1, 1, 1]));
    const { importance } = transformerHeadImportance(model, randomDataset(8, 2), { batchSize: 4 });
    expect(importance[1]).toBe(0);
    for (let l = 0; l < 2; l++) {
      const norm = Math.hypot(...importance.slice(l * 4, l * 4 + 4));
      expect(norm).toBeCloseTo(1, 5);
    }
  });
});

describe("removeMaskedHeadsInPlace", () => {
  it("computes what the masked model computes, with smaller projections and the same names", () => {
    const model = tiny();
    const data = randomDataset(5, 4);
    const { input, labels } = gatherBatch(data, [0, 1, 2, 3, 4]);
    const mask = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 1]);
    setHeadMask(model, mask);
    model.eval();
    const masked = model.forward(input).data.slice();
    const { keptHeads } = removeMaskedHeadsInPlace(model, [mask.slice(0, 4), mask.slice(4, 8)]);
    expect(keptHeads.map((k) => Array.from(k))).toEqual([
      [0, 2],
      [1, 2, 3],
    ]);
    expect(model.getParameter("layers.0.attn.q.weight").value.shape).toEqual([8, 16]);
    expect(model.getParameter("layers.0.attn.o.weight").value.shape).toEqual([16, 8]);
    expect(model.getParameter("layers.1.attn.v.bias").value.shape).toEqual([12]);
    expect(model.blocks[0].attn).toBeInstanceOf(HeadPrunedAttention);
    // The smaller attention is @mc/nn's own MultiHeadAttention with a narrower inner width.
    expect(model.blocks[0].attn).toBeInstanceOf(MultiHeadAttention);
    expect(model.blocks[1].attn.innerWidth).toBe(12);
    expect(model.getParameter("layers.1.attn.q.weight")).toBe(model.blocks[1].attn.q.weight);
    const pruned = model.forward(input).data;
    for (let i = 0; i < masked.length; i++) {
      if (Math.abs(pruned[i] - masked[i]) > 1e-5 * (1 + Math.abs(masked[i]))) {
        throw new Error(`logit ${i}: removed ${pruned[i]} vs masked ${masked[i]} (shape [5, 10])`);
      }
    }
    // Still trainable: one SGD step changes the loss.
    model.train();
    const optimizer = new SGD(model, { learningRate: 0.05 });
    const first = softmaxCrossEntropy(model.forward(input), labels);
    optimizer.zeroGrad();
    model.backward(first.gradient);
    optimizer.step();
    expect(softmaxCrossEntropy(model.forward(input), labels).loss).not.toBe(first.loss);
  });

  it("refuses to remove every head of a layer, leaving every layer of the model untouched", () => {
    const model = tiny();
    expect(() => removeMaskedHeadsInPlace(model, [new Float32Array(4), new Float32Array(4).fill(1)])).toThrowError(
      /removes every head of layer 0/,
    );
    const first = model.blocks[0].attn;
    expect(() => removeMaskedHeadsInPlace(model, [new Float32Array(4).fill(1), new Float32Array(4)])).toThrowError(
      /removes every head of layer 1/,
    );
    expect(model.blocks[0].attn).toBe(first);
    expect(model.getParameter("layers.0.attn.q.weight").value.shape).toEqual([16, 16]);
    expect(() => removeMaskedHeadsInPlace(model, [new Float32Array(4).fill(1)])).toThrowError(
      /got 1 head masks for 2 blocks/,
    );
    expect(() => new HeadPrunedAttention(model.blocks[0].attn, [2, 1])).toThrowError(/ascending head indices/);
  });

  it("pruning twice keeps original head indices and equals the model with both masks applied", () => {
    const model = tiny();
    const { input } = gatherBatch(randomDataset(4, 5), [0, 1, 2, 3]);
    model.eval();
    // Layer 0 keeps original head 2, layer 1 keeps original heads 1 and 3.
    setHeadMask(model, Float32Array.from([0, 0, 1, 0, 0, 1, 0, 1]));
    const masked = model.forward(input).data.slice();
    setHeadMask(model, new Float32Array(8).fill(1));
    removeMaskedHeadsInPlace(model, [Float32Array.from([1, 0, 1, 0]), Float32Array.from([0, 1, 1, 1])]);
    const { keptHeads } = removeMaskedHeadsInPlace(model, [Float32Array.from([0, 1]), Float32Array.from([1, 0, 1])]);
    expect(keptHeads.map((k) => Array.from(k))).toEqual([[2], [1, 3]]);
    expect(model.getParameter("layers.0.attn.k.weight").value.shape).toEqual([4, 16]);
    const pruned = model.forward(input).data;
    for (let i = 0; i < masked.length; i++) {
      if (Math.abs(pruned[i] - masked[i]) > 1e-5 * (1 + Math.abs(masked[i]))) {
        throw new Error(`logit ${i}: removed ${pruned[i]} vs masked ${masked[i]} (shape [4, 10])`);
      }
    }
  });

  it("head importance still equals |∂L/∂ξ| (finite differences) on the physically pruned model", () => {
    const model = tiny();
    removeMaskedHeadsInPlace(model, [Float32Array.from([1, 1, 0, 1]), Float32Array.from([0, 1, 1, 1])]);
    const data = randomDataset(4, 6);
    const { raw } = transformerHeadImportance(model, data, { batchSize: 4, normalizePerLayer: false });
    expect(raw).toHaveLength(6);
    const { input, labels } = gatherBatch(data, [0, 1, 2, 3]);
    const loss = (mask: Float32Array) => {
      setHeadMask(model, mask);
      return softmaxCrossEntropy(model.forward(input), labels).loss;
    };
    const ones = new Float32Array(6).fill(1);
    for (let i = 0; i < 6; i++) {
      const up = ones.slice();
      const down = ones.slice();
      up[i] += 1e-2;
      down[i] -= 1e-2;
      const numeric = Math.abs((loss(up) - loss(down)) / 2e-2);
      expect(Math.abs(raw[i] - numeric), `head ${i}: analytic ${raw[i]} vs numeric ${numeric}`).toBeLessThan(
        2e-3 * (1 + numeric),
      );
    }
  });
});
