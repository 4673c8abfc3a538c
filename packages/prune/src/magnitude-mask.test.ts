import { createRng, McError, ShapeMismatchError, type Tensor } from "@mc/core";
import { describe, expect, it } from "vitest";
import { applyMask, globalMagnitudeMask, magnitudeMask, measureSparsity } from "./magnitude-mask";

function randomTensor(shape: number[], seed: number): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { data: createRng(seed).fillNormal(new Float32Array(count)), shape };
}

/** Slow reference: sort all indices by (|w| descending, index ascending) and keep the first ones. */
function referenceMask(datas: Float32Array[], prunedCount: number): Uint8Array[] {
  const all: { magnitude: number; layer: number; index: number; order: number }[] = [];
  let order = 0;
  datas.forEach((data, layer) => {
    data.forEach((v, index) => {
      all.push({ magnitude: Math.abs(v), layer, index, order: order++ });
    });
  });
  all.sort((a, b) => b.magnitude - a.magnitude || a.order - b.order);
  const masks = datas.map((d) => new Uint8Array(d.length));
  for (let k = 0; k < all.length - prunedCount; k++) masks[all[k].layer][all[k].index] = 1;
  return masks;
}

function expectSameMask(actual: Uint8Array, expected: Uint8Array, shape: readonly number[]) {
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(`mask differs at index ${i}: got ${actual[i]}, expected ${expected[i]} (shape [${shape}])`);
    }
  }
}

describe("magnitudeMask", () => {
  it("prunes exactly roundHalfEven(sparsity × n) entries and matches the slow reference", () => {
    const weight = randomTensor([37, 23], 1);
    for (const sparsity of [0, 0.1, 0.5, 0.9, 0.92, 0.999, 1]) {
      const result = magnitudeMask(weight, { sparsity });
      const n = weight.data.length;
      const expectedPruned = Math.round(sparsity * n); // no .5 cases among these for n = 851
      expect(result.prunedCount).toBe(expectedPruned);
      expect(result.keptCount).toBe(n - expectedPruned);
      expect(n - result.mask.reduce((a, b) => a + b, 0)).toBe(expectedPruned);
      expectSameMask(result.mask, referenceMask([weight.data], expectedPruned)[0], weight.shape);
    }
  });

  it("rounds half to even like PyTorch's round(amount × n)", () => {
    const weight: Tensor = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [6] };
    expect(magnitudeMask(weight, { sparsity: 0.25 }).prunedCount).toBe(2); // 1.5 → 2
    expect(magnitudeMask(weight, { sparsity: 5 / 12 }).prunedCount).toBe(2); // 2.5 → 2
    expect(magnitudeMask({ data: new Float32Array(100), shape: [100] }, { sparsity: 0.92 }).prunedCount).toBe(92);
    expect(0.29 * 100).toBe(28.999999999999996); // float error the count must not inherit
    expect(magnitudeMask({ data: new Float32Array(100), shape: [100] }, { sparsity: 0.29 }).prunedCount).toBe(29);
  });

  it("keeps every kept magnitude at least every pruned one", () => {
    const weight = randomTensor([64, 32], 2);
    const { mask, threshold } = magnitudeMask(weight, { sparsity: 0.7 });
    for (let i = 0; i < mask.length; i++) {
      const magnitude = Math.abs(weight.data[i]);
      if (mask[i] === 1) expect(magnitude).toBeGreaterThanOrEqual(threshold);
      else expect(magnitude).toBeLessThanOrEqual(threshold);
    }
  });

  it("breaks ties deterministically: the lower index is kept", () => {
    const weight: Tensor = { data: Float32Array.from([1, -2, 2, 2, -2, 0.5]), shape: [2, 3] };
    const { mask } = magnitudeMask(weight, { sparsity: 0.5 });
    expect(Array.from(mask)).toEqual([0, 1, 1, 1, 0, 0]); // four ties at 2, three kept: indices 1, 2, 3
  });

  it("does not mutate the weight and is repeatable", () => {
    const weight = randomTensor([10, 10], 3);
    const copy = weight.data.slice();
    const a = magnitudeMask(weight, { sparsity: 0.6 });
    const b = magnitudeMask(weight, { sparsity: 0.6 });
    expect(weight.data).toEqual(copy);
    expect(a.mask).toEqual(b.mask);
  });

  it("handles empty tensors and the ends of the range", () => {
    expect(magnitudeMask({ data: new Float32Array(0), shape: [0, 4] }, { sparsity: 0.5 }).mask.length).toBe(0);
    const weight = randomTensor([5], 4);
    expect(measureSparsity(magnitudeMask(weight, { sparsity: 1 }).mask)).toBe(1);
    expect(measureSparsity(magnitudeMask(weight, { sparsity: 0 }).mask)).toBe(0);
  });

  it("rejects sparsity outside [0, 1], NaN sparsity and non-finite weights with McError", () => {
    const weight = randomTensor([4], 5);
    for (const sparsity of [-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => magnitudeMask(weight, { sparsity })).toThrowError(/magnitudeMask: options.sparsity/);
      try {
        magnitudeMask(weight, { sparsity });
      } catch (error) {
        expect(McError.isInstance(error)).toBe(true);
      }
    }
    const bad: Tensor = { data: Float32Array.from([1, Number.NaN]), shape: [2] };
    expect(() => magnitudeMask(bad, { sparsity: 0.5 })).toThrowError(/non-finite value NaN at index 1/);
  });
});

describe("globalMagnitudeMask", () => {
  it("ranks all layers together and matches the slow reference", () => {
    const a = randomTensor([30, 20], 6);
    const b: Tensor = { data: randomTensor([40], 7).data.map((v) => v * 0.1), shape: [40] };
    const result = globalMagnitudeMask({ a, b }, { sparsity: 0.8 });
    const total = a.data.length + b.data.length;
    expect(result.prunedCount).toBe(Math.round(0.8 * total));
    const [refA, refB] = referenceMask([a.data, b.data], result.prunedCount);
    expectSameMask(result.masks.a, refA, a.shape);
    expectSameMask(result.masks.b, refB, b.shape);
    // The layer of small weights loses more than the global average.
    expect(result.layerSparsity.b).toBeGreaterThan(result.sparsity);
  });

  it("breaks ties across layers by key order", () => {
    const a: Tensor = { data: Float32Array.from([1, 1]), shape: [2] };
    const b: Tensor = { data: Float32Array.from([1, 1]), shape: [2] };
    const result = globalMagnitudeMask({ a, b }, { sparsity: 0.25 });
    expect(Array.from(result.masks.a)).toEqual([1, 1]);
    expect(Array.from(result.masks.b)).toEqual([1, 0]);
  });

  it("rejects an empty record", () => {
    expect(() => globalMagnitudeMask({}, { sparsity: 0.5 })).toThrowError(/globalMagnitudeMask: weights is empty/);
  });
});

describe("applyMask", () => {
  it("zeros pruned entries without touching the input", () => {
    const weight: Tensor = { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    const masked = applyMask(weight, Uint8Array.from([1, 0, 0, 1]));
    expect(Array.from(masked.data)).toEqual([1, 0, 0, 4]);
    expect(Array.from(weight.data)).toEqual([1, 2, 3, 4]);
  });

  it("rejects a mask of the wrong shape or with values other than 0/1", () => {
    const weight: Tensor = { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    expect(() => applyMask(weight, new Uint8Array(3))).toThrowError(ShapeMismatchError);
    expect(() => applyMask(weight, new Uint8Array(3))).toThrowError(
      /mask has 3 entries but the weight of shape \[2, 2\]/,
    );
    expect(() => applyMask(weight, Uint8Array.from([1, 2, 0, 0]))).toThrowError(/mask\[1\] is 2/);
  });
});
