import { createRng, InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { checkModuleGradients, randomTensor } from "../test/gradient-check";
import { MultiHeadAttention } from "./multi-head-attention";

function weightedSum(values: Float32Array, weights: Float32Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += (values[i] as number) * (weights[i] as number);
  return total;
}

function expectSameValues(actual: Float32Array, expected: Float32Array, what: string, shape: readonly number[]): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (shape [${shape}])`);
    }
  }
}

describe("MultiHeadAttention with an inner width other than the model width (options.headWidth)", () => {
  it("Q/K/V map width → heads·headWidth and O maps it back", () => {
    const attention = new MultiHeadAttention(8, 3, { seed: 1, headWidth: 5 });
    expect(attention.innerWidth).toBe(15);
    expect(attention.headWidth).toBe(5);
    expect(attention.parameters().map((p) => [p.name, p.value.shape])).toEqual([
      ["q.weight", [15, 8]],
      ["q.bias", [15]],
      ["k.weight", [15, 8]],
      ["k.bias", [15]],
      ["v.weight", [15, 8]],
      ["v.bias", [15]],
      ["o.weight", [8, 15]],
      ["o.bias", [8]],
    ]);
    const y = attention.forward(randomTensor([2, 4, 8], 2));
    expect(y.shape).toEqual([2, 4, 8]);
    expect(attention.scores?.shape).toEqual([2, 3, 4, 4]);
  });

  it("headWidth = width / heads is the default: same parameters and bit-identical outputs", () => {
    const implicit = new MultiHeadAttention(12, 3, { seed: 4 });
    const explicit = new MultiHeadAttention(12, 3, { seed: 4, headWidth: 4 });
    expect(implicit.innerWidth).toBe(12);
    const x = randomTensor([2, 3, 12], 5);
    expectSameValues(explicit.forward(x).data, implicit.forward(x).data, "output", [2, 3, 12]);
    implicit.parameters().forEach((p, i) => {
      expectSameValues(explicit.parameters()[i]?.value.data as Float32Array, p.value.data, p.name, p.value.shape);
    });
  });

  it("gradients (input and all projections) match finite differences, narrower and wider inner widths", () => {
    checkModuleGradients(new MultiHeadAttention(8, 3, { seed: 6, headWidth: 2 }), randomTensor([2, 3, 8], 7), {
      samples: 25,
    });
    checkModuleGradients(new MultiHeadAttention(6, 2, { seed: 8, headWidth: 5 }), randomTensor([2, 3, 6], 9), {
      samples: 25,
    });
  });

  it("∂L/∂ξ (headMaskGrad) matches finite differences of the head mask", () => {
    const attention = new MultiHeadAttention(6, 3, { seed: 10, headWidth: 3 });
    const x = randomTensor([2, 4, 6], 11);
    const out = attention.forward(x);
    const weights = createRng(12).fillUniform(new Float32Array(out.data.length), -1, 1);
    attention.zeroGrad();
    attention.backward({ data: weights, shape: out.shape });
    const analytic = attention.headMaskGrad.slice();
    const h = 1e-2;
    for (let head = 0; head < 3; head++) {
      attention.headMask[head] = 1 + h;
      const plus = weightedSum(attention.forward(x).data, weights);
      attention.headMask[head] = 1 - h;
      const minus = weightedSum(attention.forward(x).data, weights);
      attention.headMask[head] = 1;
      const numeric = (plus - minus) / (2 * h);
      expect(
        Math.abs((analytic[head] as number) - numeric),
        `head ${head}: ${analytic[head]} vs ${numeric}`,
      ).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("a head masked to ξ = 0 computes what an attention without that head computes", () => {
    // The property physical head removal relies on: drop head 1's rows of Q/K/V and columns of O.
    const full = new MultiHeadAttention(8, 3, { seed: 13, headWidth: 2 });
    const small = new MultiHeadAttention(8, 2, { seed: 99, headWidth: 2 });
    const keptRows = [0, 1, 4, 5];
    for (const name of ["q", "k", "v"] as const) {
      const source = full[name];
      const target = small[name];
      const targetBias = target.bias?.value.data as Float32Array;
      const sourceBias = source.bias?.value.data as Float32Array;
      keptRows.forEach((r, i) => {
        target.weight.value.data.set(source.weight.value.data.subarray(r * 8, (r + 1) * 8), i * 8);
        targetBias[i] = sourceBias[r] as number;
      });
    }
    for (let row = 0; row < 8; row++) {
      keptRows.forEach((c, i) => {
        small.o.weight.value.data[row * 4 + i] = full.o.weight.value.data[row * 6 + c] as number;
      });
    }
    small.o.bias?.value.data.set(full.o.bias?.value.data as Float32Array);
    full.headMask[1] = 0;
    const x = randomTensor([2, 5, 8], 14);
    const masked = full.forward(x).data;
    const removed = small.forward(x).data;
    for (let i = 0; i < masked.length; i++) {
      const difference = Math.abs((removed[i] as number) - (masked[i] as number));
      if (difference > 1e-6 * (1 + Math.abs(masked[i] as number))) {
        expect.fail(`output[${i}]: removed ${removed[i]} vs masked ${masked[i]} (shape [2, 5, 8])`);
      }
    }
  });

  it("rejects a bad headWidth, and width not divisible by heads when headWidth is omitted", () => {
    for (const headWidth of [0, 1.5, -2, Number.NaN]) {
      expect(() => new MultiHeadAttention(8, 2, { headWidth }), `headWidth ${headWidth}`).toThrowError(
        /MultiHeadAttention: options\.headWidth/,
      );
    }
    expect(() => new MultiHeadAttention(8, 3)).toThrowError(/width 8 is not divisible by heads 3.*options\.headWidth/);
    const error = (() => {
      try {
        new MultiHeadAttention(8, 2, { headWidth: 0 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(new MultiHeadAttention(8, 3, { headWidth: 3 }).innerWidth).toBe(9);
  });
});
