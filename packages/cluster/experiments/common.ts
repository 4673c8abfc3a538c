/**
 * Shared setup of this package's LeNet-300-100 experiments: the seeded baseline that
 * fig8-init.ts and huffman-lenet.ts both start from, and result/log helpers.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dataset } from "@mc/nn";
import { Adam, cosineDecay, createLenet300100, evaluate, loadMnist, train } from "@mc/nn";

const here = dirname(fileURLToPath(import.meta.url));

export const baselineSettings = {
  trainCount: 8000,
  testCount: 2000,
  dataSeed: 0,
  modelSeed: 0,
  learningRate: 1e-3,
  batchSize: 64,
  trainSeed: 0,
} as const;

export interface Baseline {
  model: ReturnType<typeof createLenet300100>;
  trainSet: Dataset;
  test: Dataset;
  accuracy: number;
  epochs: number;
}

/**
 * LeNet-300-100 trained on the `mnist` package split (8,000 train / 2,000 test, seed 0) with
 * Adam 1e-3 and a cosine schedule. Call `initKernels()` from `@mc/kernels` first.
 */
export function trainBaseline(epochs: number): Baseline {
  const s = baselineSettings;
  const { train: trainSet, test } = loadMnist({ trainCount: s.trainCount, testCount: s.testCount, seed: s.dataSeed });
  const model = createLenet300100({ seed: s.modelSeed });
  const optimizer = new Adam(model, { learningRate: s.learningRate });
  train(model, trainSet, {
    optimizer,
    epochs,
    batchSize: s.batchSize,
    seed: s.trainSeed,
    schedule: cosineDecay({ initial: s.learningRate, epochs }),
  });
  return { model, trainSet, test, accuracy: evaluate(model, test).accuracy, epochs };
}

/** Writes results/<name> atomically (a partial file never replaces a complete one). */
export function writeJson(name: string, value: unknown): void {
  const path = join(here, "..", "results", name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
