import { evaluate, Flatten, Linear, loadMnist, ReLU, Sequential, SGD } from "@mc/nn";
import { beforeAll, describe, expect, it } from "vitest";
import { iterativePrune, modelMagnitudeMasks, prunableParameterNames } from "./iterative-prune";
import { measureSparsity } from "./magnitude-mask";

let data: ReturnType<typeof loadMnist>;
beforeAll(() => {
  data = loadMnist({ trainCount: 1000, testCount: 300, seed: 0 });
});

function smallMlp(seed: number) {
  return new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(784, 32, { seed }),
    relu: new ReLU(),
    fc2: new Linear(32, 10, { seed: seed + 1 }),
  });
}

describe("modelMagnitudeMasks", () => {
  it("defaults to every Linear weight and reaches the sparsity per layer or globally", () => {
    const model = smallMlp(1);
    expect(prunableParameterNames(model)).toEqual(["fc1.weight", "fc2.weight"]);
    const layer = modelMagnitudeMasks(model, { sparsity: 0.9 });
    expect(measureSparsity(layer["fc1.weight"])).toBeCloseTo(0.9, 3);
    expect(measureSparsity(layer["fc2.weight"])).toBeCloseTo(0.9, 3);
    const global = modelMagnitudeMasks(model, { sparsity: 0.9, scope: "global" });
    const zeros = [...Object.values(global)].reduce((s, m) => s + m.filter((v) => v === 0).length, 0);
    expect(zeros).toBe(Math.round(0.9 * (784 * 32 + 320)));
  });
});

describe("iterativePrune", () => {
  it("reaches the target sparsity with pruned weights exactly zero, retraining between rounds", () => {
    const model = smallMlp(2);
    const progress: string[] = [];
    const result = iterativePrune(model, {
      train: data.train,
      validation: data.test,
      targetSparsity: 0.8,
      rounds: 3,
      retrainEpochs: 1,
      createOptimizer: (m) => new SGD(m, { learningRate: 0.05, momentum: 0.9 }),
      onProgress: (p) => progress.push(`${p.phase}:${p.round}`),
    });
    expect(result.stoppedBy).toBe("target");
    expect(result.history.map((h) => h.round)).toEqual([1, 2, 3]);
    const sparsities = result.history.map((h) => h.sparsity);
    expect(sparsities[0]).toBeLessThan(sparsities[1]);
    expect(sparsities[2]).toBeCloseTo(0.8, 3);
    expect(progress).toEqual(["pruned:1", "retrained:1", "pruned:2", "retrained:2", "pruned:3", "retrained:3"]);
    for (const name of ["fc1.weight", "fc2.weight"]) {
      const weight = model.getParameter(name).value.data;
      const mask = result.masks[name];
      for (let i = 0; i < weight.length; i++)
        if (mask[i] === 0 && weight[i] !== 0) throw new Error(`${name}[${i}] = ${weight[i]}`);
      expect(measureSparsity(weight)).toBeGreaterThanOrEqual(measureSparsity(mask));
    }
    // Retraining at 80% sparsity keeps this tiny MLP far above chance (10%).
    expect(result.accuracy).toBeGreaterThan(0.6);
    expect(evaluate(model, data.test).accuracy).toBe(result.accuracy);
    result.attached.detach();
  });

  it("rolls back the round and stops when accuracy falls below the floor", () => {
    const model = smallMlp(3);
    const before = model.getParameter("fc1.weight").value.data.slice();
    const result = iterativePrune(model, {
      train: data.train,
      validation: data.test,
      targetSparsity: 0.99,
      rounds: 2,
      retrainEpochs: 0,
      accuracyFloor: 0.99,
    });
    expect(result.stoppedBy).toBe("accuracyFloor");
    expect(result.history).toEqual([]);
    expect(result.sparsity).toBe(0);
    expect(model.getParameter("fc1.weight").value.data).toEqual(before);
  });

  it("rejects a target outside [0, 1]", () => {
    expect(() =>
      iterativePrune(smallMlp(4), { train: data.train, validation: data.test, targetSparsity: 1.5 }),
    ).toThrowError(/iterativePrune: options.targetSparsity must be a finite number >= 0 and <= 1/);
  });
});
