import { Adam, createLenet300100, evaluate, loadMnist, train } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { fineTuneCentroids, type SharedWeights, shareWeights } from "../src/index";

describe("fineTuneCentroids on real MNIST digits", () => {
  it("keeps every layer on its codebook and pruned zeros at 0 while training moves the centroids", () => {
    const { train: trainSet, test } = loadMnist({ trainCount: 600, testCount: 300, seed: 1 });
    const model = createLenet300100({ seed: 1 });
    train(model, trainSet, { optimizer: new Adam(model, { learningRate: 1e-3 }), epochs: 1, batchSize: 32, seed: 1 });
    // Prune the smallest 80% of fc1 so the reserved zero entry is exercised on a real layer.
    const fc1 = model.getParameter("fc1.weight").value.data;
    const threshold = Float64Array.from(fc1, Math.abs).sort()[Math.floor(fc1.length * 0.8)] as number;
    for (let i = 0; i < fc1.length; i++) if (Math.abs(fc1[i] as number) < threshold) fc1[i] = 0;
    const names = ["fc1.weight", "fc2.weight", "fc3.weight"];
    const shared: Record<string, SharedWeights> = {};
    for (const name of names) shared[name] = shareWeights(model.getParameter(name).value, { clusters: 8 });
    const zerosBefore = Array.from(shared["fc1.weight"]!.indices, (index) => index === 0);
    const before = evaluate(model, test).accuracy;
    const { codebooks } = fineTuneCentroids(model, shared, trainSet, { epochs: 1, learningRate: 1e-4, batchSize: 32 });
    const after = evaluate(model, test).accuracy;
    for (const name of names) {
      const values = model.getParameter(name).value.data;
      const codebook = codebooks[name]!;
      const { indices } = shared[name]!;
      for (let i = 0; i < values.length; i++) {
        if (values[i] !== codebook[indices[i] as number]) {
          throw new Error(`${name}[${i}] = ${values[i]} is not its codebook value ${codebook[indices[i] as number]}`);
        }
      }
      let moved = 0;
      for (let k = 1; k < codebook.length; k++) if (codebook[k] !== shared[name]!.codebook[k]) moved++;
      expect(moved, `${name}: centroids that moved`).toBeGreaterThan(0);
      expect(codebook[0]).toBe(0);
      expect(model.getParameter(name).hooks).toHaveLength(0);
    }
    for (let i = 0; i < zerosBefore.length; i++)
      if (zerosBefore[i] && fc1[i] !== 0) throw new Error(`fc1[${i}] left zero`);
    // Fine-tuning a 3-bit model must not destroy it (a small set: allow 5 points of noise).
    expect(after).toBeGreaterThan(before - 0.05);
  });
});
