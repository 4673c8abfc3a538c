import { createRng, type Tensor } from "@mc/core";
import { describe, expect, it } from "vitest";
import { headImportance, pruneHeadsIteratively, selectHeadsToPrune } from "./head-importance";
import { sliceAttentionHeads } from "./slice-heads";

/** A plain multi-head self-attention with head mask ξ, written out loop by loop (the oracle). */
function attention(
  x: Float32Array,
  tokens: number,
  p: {
    q: Tensor;
    k: Tensor;
    v: Tensor;
    o: Tensor;
    qb: Float32Array;
    kb: Float32Array;
    vb: Float32Array;
    ob: Float32Array;
  },
  heads: number,
  xi: Float32Array,
): Float32Array {
  const width = p.q.shape[0];
  const modelWidth = p.q.shape[1];
  const headDim = width / heads;
  const project = (w: Tensor, b: Float32Array) => {
    const out = new Float64Array(tokens * width);
    for (let t = 0; t < tokens; t++)
      for (let r = 0; r < width; r++) {
        let acc = b[r];
        for (let c = 0; c < modelWidth; c++) acc += w.data[r * modelWidth + c] * x[t * modelWidth + c];
        out[t * width + r] = acc;
      }
    return out;
  };
  const q = project(p.q, p.qb);
  const k = project(p.k, p.kb);
  const v = project(p.v, p.vb);
  const context = new Float64Array(tokens * width);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < tokens; t++) {
      const scores = new Float64Array(tokens);
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < tokens; s++) {
        let acc = 0;
        for (let d = 0; d < headDim; d++) acc += q[t * width + h * headDim + d] * k[s * width + h * headDim + d];
        scores[s] = acc / Math.sqrt(headDim);
        max = Math.max(max, scores[s]);
      }
      let sum = 0;
      for (let s = 0; s < tokens; s++) sum += scores[s] = Math.exp(scores[s] - max);
      for (let d = 0; d < headDim; d++) {
        let acc = 0;
        for (let s = 0; s < tokens; s++) acc += (scores[s] / sum) * v[s * width + h * headDim + d];
        context[t * width + h * headDim + d] = xi[h] * acc;
      }
    }
  }
  const outWidth = p.o.shape[0];
  const y = new Float32Array(tokens * outWidth);
  for (let t = 0; t < tokens; t++)
    for (let r = 0; r < outWidth; r++) {
      let acc = p.ob[r];
      for (let c = 0; c < width; c++) acc += p.o.data[r * width + c] * context[t * width + c];
      y[t * outWidth + r] = acc;
    }
  return y;
}

function randomProjections(modelWidth: number, heads: number, headDim: number, seed: number) {
  const rng = createRng(seed);
  const width = heads * headDim;
  const mat = (rows: number, cols: number): Tensor => ({
    data: rng.fillNormal(new Float32Array(rows * cols), 0, 0.3),
    shape: [rows, cols],
  });
  return {
    q: mat(width, modelWidth),
    k: mat(width, modelWidth),
    v: mat(width, modelWidth),
    o: mat(modelWidth, width),
    qb: rng.fillNormal(new Float32Array(width), 0, 0.1),
    kb: rng.fillNormal(new Float32Array(width), 0, 0.1),
    vb: rng.fillNormal(new Float32Array(width), 0, 0.1),
    ob: rng.fillNormal(new Float32Array(modelWidth), 0, 0.1),
  };
}

describe("sliceAttentionHeads", () => {
  it("removing heads physically equals masking them with ξ = 0 (loop-by-loop oracle)", () => {
    const heads = 4;
    const headDim = 3;
    const modelWidth = 8;
    const tokens = 5;
    const p = randomProjections(modelWidth, heads, headDim, 1);
    const x = createRng(2).fillNormal(new Float32Array(tokens * modelWidth));
    const keep = [0, 2];
    const masked = attention(x, tokens, p, heads, Float32Array.from([1, 0, 1, 0]));
    const sliced = sliceAttentionHeads(
      {
        query: { weight: p.q, bias: { data: p.qb, shape: [12] } },
        key: { weight: p.k, bias: { data: p.kb, shape: [12] } },
        value: { weight: p.v, bias: { data: p.vb, shape: [12] } },
        output: { weight: p.o, bias: { data: p.ob, shape: [8] } },
      },
      { heads, keep },
    );
    expect(sliced.query.weight.shape).toEqual([6, 8]);
    expect(sliced.output.weight.shape).toEqual([8, 6]);
    const small = attention(
      x,
      tokens,
      {
        q: sliced.query.weight,
        k: sliced.key.weight,
        v: sliced.value.weight,
        o: sliced.output.weight,
        qb: sliced.query.bias!.data,
        kb: sliced.key.bias!.data,
        vb: sliced.value.bias!.data,
        ob: sliced.output.bias!.data,
      },
      2,
      Float32Array.from([1, 1]),
    );
    for (let i = 0; i < masked.length; i++) {
      if (Math.abs(small[i] - masked[i]) > 1e-5)
        throw new Error(`output ${i}: sliced ${small[i]} vs masked ${masked[i]}`);
    }
  });

  it("rejects removing every head and unsorted keep lists", () => {
    const p = randomProjections(4, 2, 2, 3);
    const projections = {
      query: { weight: p.q },
      key: { weight: p.k },
      value: { weight: p.v },
      output: { weight: p.o },
    };
    expect(() => sliceAttentionHeads(projections, { heads: 2, keep: [] })).toThrowError(/removing every head/);
    expect(() => sliceAttentionHeads(projections, { heads: 2, keep: [1, 0] })).toThrowError(/ascending head indices/);
  });
});

describe("headImportance", () => {
  it("averages |∂L/∂ξ| over batches and normalizes each layer to unit L2 norm", () => {
    const grads = [Float32Array.from([1, -3, 0, 2]), Float32Array.from([-1, 1, 4, -2])];
    const { raw, importance } = headImportance({ layers: 2, heads: 2, batches: 2, gradient: (b) => grads[b] });
    expect(Array.from(raw)).toEqual([1, 2, 2, 2]);
    expect(importance[0]).toBeCloseTo(1 / Math.sqrt(5), 6);
    expect(importance[1]).toBeCloseTo(2 / Math.sqrt(5), 6);
    expect(importance[2]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it("matches finite differences of a real attention loss with respect to ξ", () => {
    const heads = 3;
    const p = randomProjections(6, heads, 2, 5);
    const x = createRng(6).fillNormal(new Float32Array(4 * 6));
    const target = createRng(7).fillNormal(new Float32Array(4 * 6));
    const loss = (xi: Float32Array) => {
      const y = attention(x, 4, p, heads, xi);
      let acc = 0;
      for (let i = 0; i < y.length; i++) acc += (y[i] - target[i]) ** 2;
      return acc / y.length;
    };
    // ∂L/∂ξ by central differences in float64 through the oracle; importance of one batch = |grad|.
    const gradient = (_b: number, xi: Float32Array) => {
      const g = new Float32Array(heads);
      for (let h = 0; h < heads; h++) {
        const up = Float32Array.from(xi);
        const down = Float32Array.from(xi);
        up[h] += 1e-2;
        down[h] -= 1e-2;
        g[h] = (loss(up) - loss(down)) / 2e-2;
      }
      return g;
    };
    const { raw } = headImportance({ layers: 1, heads, batches: 1, gradient, normalizePerLayer: false });
    // L is quadratic in ξ (y is affine in ξ), so central differences are exact up to rounding.
    for (let h = 0; h < heads; h++) {
      const xi = new Float32Array(heads).fill(1);
      const without = Float32Array.from(xi);
      without[h] = 0;
      const twice = Float32Array.from(xi);
      twice[h] = 2;
      // For L(ξ_h) = a ξ² + b ξ + c: L'(1) = (L(2) − L(0)) / 2.
      const expected = Math.abs((loss(twice) - loss(without)) / 2);
      expect(Math.abs(raw[h] - expected)).toBeLessThan(1e-3 * (1 + expected));
    }
  });
});

describe("selectHeadsToPrune / pruneHeadsIteratively", () => {
  it("picks the least important active heads and never empties a layer", () => {
    const importance = Float32Array.from([0.1, 0.2, 0.9, 0.05, 0.8, 0.7]);
    const mask = Float32Array.from([1, 1, 1, 0, 1, 1]);
    expect(Array.from(selectHeadsToPrune(importance, mask, { heads: 3, count: 2 }))).toEqual([0, 1]);
    const layerMask = Float32Array.from([1, 0, 0, 1, 1, 1]);
    expect(Array.from(selectHeadsToPrune(importance, layerMask, { heads: 3, count: 1 }))).toEqual([3]);
    expect(() => selectHeadsToPrune(importance, layerMask, { heads: 3, count: 3 })).toThrowError(
      /cannot prune 3 heads/,
    );
  });

  it("removes ~10% of heads per step until the target, recomputing importance each time", () => {
    const layers = 4;
    const heads = 5;
    const base = createRng(9).fillUniform(new Float32Array(20));
    let calls = 0;
    const result = pruneHeadsIteratively({
      layers,
      heads,
      targetFraction: 0.4,
      importance: () => {
        calls++;
        return base;
      },
      evaluate: (mask) => mask.reduce((a, b) => a + b, 0) / 20,
    });
    expect(result.stoppedBy).toBe("target");
    expect(result.history.map((h) => h.pruned)).toEqual([0, 2, 4, 6, 8]);
    expect(calls).toBe(4);
    expect(result.headMask.reduce((a, b) => a + b, 0)).toBe(12);
    const order = Array.from(base.keys()).sort((a, b) => base[a] - base[b]);
    for (let l = 0; l < layers; l++)
      expect(result.headMask.slice(l * heads, (l + 1) * heads).some((v) => v === 1)).toBe(true);
    expect(result.prunedOrder.slice(0, 2).sort()).toEqual(order.slice(0, 2).sort());
  });

  it("undoes the step that falls below the score floor", () => {
    const result = pruneHeadsIteratively({
      layers: 2,
      heads: 5,
      targetFraction: 0.6,
      importance: () => Float32Array.from({ length: 10 }, (_, i) => i),
      evaluate: (mask) => mask.reduce((a, b) => a + b, 0) / 10,
      scoreFloor: 0.75,
    });
    expect(result.stoppedBy).toBe("scoreFloor");
    expect(result.headMask.reduce((a, b) => a + b, 0)).toBe(8);
  });
});
