/**
 * The row transformer trained with @mc/nn's documented recipe (packages/nn/experiments/accuracy.ts:
 * AdamW 2e-3, weight decay 0.01, 0.3-epoch warm-up + cosine, 10 epochs, batch 64, randomShift(1)),
 * cached as a JSON parameter file so reruns skip the ~8 minutes of training.
 * Run alone to fill the cache: pnpm exec tsx experiments/trained-row-transformer.ts
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tensor } from "@mc/core";
import { initKernels } from "@mc/kernels";
import {
  Adam,
  cosineDecay,
  createRowTransformer,
  type Dataset,
  loadParameters,
  type RowTransformer,
  randomShift,
  saveParameters,
  train,
} from "@mc/nn";
import { log } from "./common";

export const rowTransformerRecipe = {
  optimizer: "Adam, decoupled weight decay (AdamW)",
  learningRate: 2e-3,
  weightDecay: 0.01,
  warmupEpochs: 0.3,
  schedule: "linear warm-up 0.3 epoch, cosine to 0",
  epochs: 10,
  batchSize: 64,
  augmentation: "randomShift({ maxShift: 1 })",
  modelSeed: 0,
  shuffleSeed: 0,
  source: "packages/nn/experiments/accuracy.ts (rowTransformer)",
};

export const cachePath =
  process.env.ROW_TRANSFORMER_CACHE ?? join(tmpdir(), "mc-prune", "row-transformer-seed0-10ep.json");

/** Returns the trained model and whether it came from the cache. */
export async function trainedRowTransformer(
  trainSet: Dataset,
): Promise<{ model: RowTransformer; cached: boolean; trainSeconds: number }> {
  await initKernels();
  const model = createRowTransformer({ seed: 0 }) as RowTransformer;
  if (existsSync(cachePath)) {
    const stored = JSON.parse(readFileSync(cachePath, "utf8")) as Record<string, { data: number[]; shape: number[] }>;
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(stored)) tensors[name] = { data: Float32Array.from(t.data), shape: t.shape };
    loadParameters(model, tensors);
    log(`loaded trained row transformer from ${cachePath}`);
    return { model, cached: true, trainSeconds: 0 };
  }
  const started = Date.now();
  const r = rowTransformerRecipe;
  train(model, trainSet, {
    optimizer: new Adam(model, { learningRate: r.learningRate, weightDecay: r.weightDecay, decoupled: true }),
    schedule: cosineDecay({ initial: r.learningRate, epochs: r.epochs, warmupEpochs: r.warmupEpochs }),
    epochs: r.epochs,
    batchSize: r.batchSize,
    seed: r.shuffleSeed,
    augment: randomShift({ maxShift: 1 }),
    onProgress: (p) => {
      if (p.phase === "epoch")
        log(`epoch ${p.epoch + 1}/${r.epochs}: loss ${p.loss.toFixed(4)} (${p.seconds?.toFixed(1)} s)`);
    },
  });
  const saved = saveParameters(model);
  const plain: Record<string, { data: number[]; shape: number[] }> = {};
  for (const [name, t] of Object.entries(saved)) plain[name] = { data: Array.from(t.data), shape: [...t.shape] };
  mkdirSync(dirname(cachePath), { recursive: true });
  const temporary = `${cachePath}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(plain));
  renameSync(temporary, cachePath);
  log(`cached trained parameters at ${cachePath}`);
  return { model, cached: false, trainSeconds: (Date.now() - started) / 1000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { evaluate, loadMnist } = await import("@mc/nn");
  const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 });
  const { model } = await trainedRowTransformer(trainSet);
  log(`test accuracy ${evaluate(model, test).accuracy}`);
}
