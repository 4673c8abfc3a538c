import { InvalidArgumentError } from "@mc/core";
import { initKernels } from "@mc/kernels";
import { beforeAll, describe, expect, it } from "vitest";
import { sliceDataset } from "./dataset";
import { loadMnist } from "./mnist";
import { createLenet300100 } from "./models";
import { Adam, SGD } from "./optimizers";
import { evaluate, predict, train } from "./train";

describe("train / evaluate / predict", () => {
  beforeAll(async () => {
    await initKernels();
  });
  const { train: full, test: fullTest } = loadMnist();
  const small = sliceDataset(full, 0, 320);
  const test = sliceDataset(fullTest, 0, 300);

  it("a short seeded training on 320 real digits reaches far above chance, reproducibly", () => {
    const run = (epochs: number) => {
      const model = createLenet300100({ seed: 3 });
      const progress: number[] = [];
      const result = train(model, small, {
        optimizer: new Adam(model, { learningRate: 2e-3 }),
        epochs,
        batchSize: 32,
        seed: 5,
        onProgress: (p) => {
          if (p.phase === "epoch") progress.push(p.loss);
        },
      });
      return { model, result, progress };
    };
    const a = run(2);
    expect(a.progress).toHaveLength(2);
    expect(a.progress[1]).toBeLessThan(a.progress[0] as number);
    const accuracy = evaluate(a.model, test).accuracy;
    expect(accuracy).toBeGreaterThan(0.6); // chance is 0.1
    // same seeds, same bytes: a rerun's first epoch repeats exactly
    const b = run(1);
    expect(b.result.epochs[0]?.loss).toBe(a.result.epochs[0]?.loss);
    const { classes, logits } = predict(
      a.model,
      { data: test.images, shape: [test.count, 1, 28, 28] },
      { batchSize: 64 },
    );
    expect(logits.shape).toEqual([300, 10]);
    const correct = classes.reduce((n, c, i) => n + (c === test.labels[i] ? 1 : 0), 0);
    expect(correct / 300).toBeCloseTo(accuracy, 10);
  });

  it("a diverging learning rate is reported as a NaN loss McError", () => {
    const model = createLenet300100({ seed: 1 });
    expect(() =>
      train(model, sliceDataset(full, 0, 256), {
        optimizer: new SGD(model, { learningRate: 1e6 }),
        epochs: 2,
        batchSize: 32,
      }),
    ).toThrowError(/train: .*(non-finite|loss is)/);
  });

  it("rejects a missing optimizer, an empty dataset, and bad batch sizes", () => {
    const model = createLenet300100();
    const optimizer = new SGD(model);
    expect(() => train(model, small, {} as never)).toThrowError(/options.optimizer is required/);
    expect(() => train(model, sliceDataset(full, 0, 0), { optimizer })).toThrowError(/data is empty/);
    expect(() => train(model, small, { optimizer, batchSize: 0 })).toThrowError(InvalidArgumentError);
    expect(() => predict(model, { data: new Float32Array(0), shape: [0, 784] })).toThrowError(/empty batch/);
  });
});
