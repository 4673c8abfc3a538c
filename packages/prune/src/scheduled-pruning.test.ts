import { createRng } from "@mc/core";
import { type Dataset, Flatten, Linear, ReLU, Sequential, SGD, train } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { measureSparsity } from "./magnitude-mask";
import { attachScheduledPruning } from "./scheduled-pruning";
import { polynomialDecay } from "./schedules";

function randomDataset(count: number, seed: number): Dataset {
  const rng = createRng(seed);
  return {
    images: rng.fillUniform(new Float32Array(count * 784)),
    labels: new Uint8Array(count).map(() => rng.integer(0, 9)),
    count,
    shape: [1, 28, 28],
  };
}

describe("attachScheduledPruning", () => {
  it("tightens masks only on polynomialDecay's pruning steps and ends at its sparsity", () => {
    const model = new Sequential({
      flatten: new Flatten(),
      fc1: new Linear(784, 16, { seed: 1 }),
      relu: new ReLU(),
      fc2: new Linear(16, 10, { seed: 2 }),
    });
    const schedule = polynomialDecay({
      initialSparsity: 0.2,
      finalSparsity: 0.8,
      beginStep: 2,
      endStep: 22,
      frequency: 5,
    });
    const pruner = attachScheduledPruning(model, { schedule });
    const updates: number[] = [];
    train(model, randomDataset(8 * 30, 3), {
      optimizer: new SGD(model, { learningRate: 0.05, momentum: 0.9 }),
      epochs: 1,
      batchSize: 8,
      onProgress: (p) => {
        if (p.phase === "batch" && pruner.step()) updates.push(pruner.steps - 1);
      },
    });
    expect(pruner.steps).toBe(30);
    expect(updates).toEqual([2, 7, 12, 17, 22]);
    expect(pruner.sparsity).toBeCloseTo(0.8, 12);
    for (const name of ["fc1.weight", "fc2.weight"]) {
      const mask = pruner.attached.masks[name];
      expect(measureSparsity(mask)).toBeCloseTo(0.8, 2);
      const weight = model.getParameter(name).value.data;
      for (let i = 0; i < weight.length; i++)
        if (mask[i] === 0 && weight[i] !== 0) throw new Error(`${name}[${i}] = ${weight[i]}`);
    }
  });

  it("rejects a missing schedule", () => {
    const model = new Sequential({ fc: new Linear(4, 2) });
    expect(() => attachScheduledPruning(model, {} as never)).toThrowError(/options.schedule must be a PruningSchedule/);
  });
});
