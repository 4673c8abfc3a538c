import { createRng, type Tensor } from "@mc/core";
import { GELU, Linear, ReLU, Sequential, Tanh } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { pruneNeurons, selectUnitsToKeep, unitNorms } from "./prune-neurons";

function mlp(seed: number) {
  return new Sequential({
    fc1: new Linear(20, 16, { seed }),
    act1: new ReLU(),
    fc2: new Linear(16, 12, { seed: seed + 1 }),
    act2: new Tanh(),
    fc3: new Linear(12, 8, { seed: seed + 2 }),
    act3: new GELU(),
    fc4: new Linear(8, 5, { seed: seed + 3 }),
  });
}

function input(seed: number, batch = 9): Tensor {
  return { data: createRng(seed).fillNormal(new Float32Array(batch * 20)), shape: [batch, 20] };
}

/** The "masked model": the original with the next layer's input columns of removed units zeroed. */
function maskedCopy(model: Sequential, removed: Record<string, number[]>, nextOf: Record<string, string>) {
  const copy = mlp(0);
  for (const p of model.parameters()) copy.getParameter(p.name).value.data.set(p.value.data);
  for (const [layer, units] of Object.entries(removed)) {
    const next = copy.getParameter(`${nextOf[layer]}.weight`).value;
    const cols = next.shape[1];
    for (let r = 0; r < next.shape[0]; r++) for (const u of units) next.data[r * cols + u] = 0;
  }
  return copy;
}

describe("unitNorms / selectUnitsToKeep", () => {
  it("computes L2 and L1 row norms", () => {
    const w: Tensor = { data: Float32Array.from([3, 4, 0, -1, 1, 0]), shape: [2, 3] };
    expect(Array.from(unitNorms(w))).toEqual([5, Math.SQRT2]);
    expect(Array.from(unitNorms(w, { norm: "l1" }))).toEqual([7, 2]);
  });

  it("keeps the highest scores, lower index on ties, and refuses to remove every unit", () => {
    expect(Array.from(selectUnitsToKeep([1, 3, 3, 0.5, 3], 2))).toEqual([1, 2, 4]);
    expect(Array.from(selectUnitsToKeep([2, 2, 2], 1))).toEqual([0, 1]);
    expect(() => selectUnitsToKeep([1, 2], 2)).toThrowError(/would remove every unit/);
  });
});

describe("pruneNeurons", () => {
  it("physically shrinks rows, bias and next columns, and matches the masked model", () => {
    const model = mlp(7);
    const originalFc1 = model.getParameter("fc1.weight").value.data.slice();
    const result = pruneNeurons(model, { sparsity: { fc1: 0.5, fc2: 0.25, fc3: 0.5 } });
    expect(model.getParameter("fc1.weight").value.data).toEqual(originalFc1); // input untouched
    const pruned = result.model;
    expect(pruned.getParameter("fc1.weight").value.shape).toEqual([8, 20]);
    expect(pruned.getParameter("fc1.bias").value.shape).toEqual([8]);
    expect(pruned.getParameter("fc2.weight").value.shape).toEqual([9, 8]);
    expect(pruned.getParameter("fc3.weight").value.shape).toEqual([4, 9]);
    expect(pruned.getParameter("fc4.weight").value.shape).toEqual([5, 4]);
    expect(result.parameterCount.after).toBeLessThan(result.parameterCount.before);

    // Removed units are the ones with the smallest L2 norms.
    for (const layer of ["fc1", "fc2", "fc3"]) {
      const kept = new Set(result.keptUnits[layer]);
      const scores = result.scores[layer];
      const keptMin = Math.min(...[...kept].map((u) => scores[u]));
      scores.forEach((s, u) => {
        if (!kept.has(u)) expect(s).toBeLessThanOrEqual(keptMin);
      });
    }

    const removed: Record<string, number[]> = {};
    for (const layer of ["fc1", "fc2", "fc3"]) {
      const kept = new Set(result.keptUnits[layer]);
      removed[layer] = [...result.scores[layer].keys()].filter((u) => !kept.has(u));
    }
    const reference = maskedCopy(model, removed, { fc1: "fc2", fc2: "fc3", fc3: "fc4" });
    const x = input(11);
    const expected = reference.forward(x).data;
    const actual = pruned.forward(x).data;
    for (let i = 0; i < expected.length; i++) {
      if (Math.abs(actual[i] - expected[i]) > 1e-5 * (1 + Math.abs(expected[i]))) {
        throw new Error(`output ${i}: pruned ${actual[i]} vs masked ${expected[i]} (shape [9, 5])`);
      }
    }
  });

  it("prunes every hidden Linear with a single fraction, never the output layer", () => {
    const result = pruneNeurons(mlp(3), { sparsity: 0.5, norm: "l1" });
    expect(Object.keys(result.keptUnits)).toEqual(["fc1", "fc2", "fc3"]);
    expect(result.model.getParameter("fc4.weight").value.shape).toEqual([5, 4]);
    const trained = result.model;
    expect(() => trained.backward(trained.forward(input(1)))).not.toThrow();
  });

  it("rejects removing every unit, unknown layers and the output layer", () => {
    expect(() => pruneNeurons(mlp(1), { sparsity: { fc2: 1 } })).toThrowError(/would remove every unit/);
    expect(() => pruneNeurons(mlp(1), { sparsity: { fc4: 0.5 } })).toThrowError(/"fc4" is not a hidden Linear/);
    expect(() => pruneNeurons(mlp(1), { sparsity: 1.5 })).toThrowError(/options.sparsity/);
  });
});
