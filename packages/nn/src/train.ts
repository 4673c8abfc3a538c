import { assertInteger, createRng, InvalidArgumentError, McError, type Tensor } from "@mc/core";
import type { Augmentation } from "./augment";
import { assertDataset, type Dataset, gatherBatch } from "./dataset";
import { type LossResult, softmaxCrossEntropy } from "./losses";
import type { Module } from "./module";
import type { LearningRateSchedule, Optimizer } from "./optimizers";

export type LossFunction = (output: Tensor, labels: Uint8Array) => LossResult;

export interface TrainProgress {
  /** "batch" after every optimizer step, "epoch" once per epoch (with the epoch's figures). */
  phase: "batch" | "epoch";
  epoch: number;
  batch: number;
  batches: number;
  /** Batch loss (phase "batch") or mean loss over the epoch (phase "epoch"). */
  loss: number;
  learningRate: number;
  /** Fraction of training samples classified correctly during the epoch (phase "epoch"). */
  trainAccuracy?: number;
  /** Accuracy on `options.validation` after the epoch, when given. */
  validationAccuracy?: number;
  seconds?: number;
}

export interface EpochSummary {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  validationAccuracy?: number;
  seconds: number;
}

export interface TrainOptions {
  optimizer: Optimizer;
  epochs?: number;
  batchSize?: number;
  /** Seeds the per-epoch shuffle: epoch e uses the e-th permutation of `createRng(seed)`. */
  seed?: number;
  lossFn?: LossFunction;
  schedule?: LearningRateSchedule;
  validation?: Dataset;
  /** Applied to every training batch (e.g. `randomShift()`); its stream is `createRng(seed + 1)`. */
  augment?: Augmentation;
  onProgress?: (progress: TrainProgress) => void;
}

function countCorrect(logits: Tensor, labels: Uint8Array): number {
  const classes = logits.shape[logits.shape.length - 1] as number;
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    if (argmaxRow(logits.data, r * classes, classes) === labels[r]) correct++;
  }
  return correct;
}

function argmaxRow(values: Float32Array, base: number, width: number): number {
  let best = 0;
  let bestValue = values[base] as number;
  for (let j = 1; j < width; j++) {
    const v = values[base + j] as number;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

/** Mini-batch training: seeded shuffle each epoch, forward, loss, backward, optimizer step. */
export function train(model: Module, data: Dataset, options: TrainOptions): { epochs: EpochSummary[] } {
  const caller = "train";
  const {
    optimizer,
    epochs = 1,
    batchSize = 64,
    seed = 0,
    lossFn = softmaxCrossEntropy,
    schedule,
    validation,
    augment,
    onProgress,
  } = options ?? ({} as TrainOptions);
  if (!optimizer || typeof optimizer.step !== "function") {
    throw new InvalidArgumentError({
      message: `${caller}: options.optimizer is required`,
      argument: "options.optimizer",
    });
  }
  assertDataset(data, caller);
  assertInteger(epochs, caller, "options.epochs", { min: 1 });
  assertInteger(batchSize, caller, "options.batchSize", { min: 1 });
  const rng = createRng(seed);
  const augmentRng = createRng(seed + 1);
  const batches = Math.ceil(data.count / batchSize);
  const summaries: EpochSummary[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = now();
    model.train();
    const order = rng.permutation(data.count);
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      if (schedule) optimizer.learningRate = schedule(epoch + b / batches);
      const start = b * batchSize;
      const end = Math.min(start + batchSize, data.count);
      const batch = gatherBatch(data, order, start, end);
      const labels = batch.labels;
      const input = augment ? augment(batch.input, augmentRng) : batch.input;
      optimizer.zeroGrad();
      const output = model.forward(input);
      let result: LossResult;
      try {
        result = lossFn(output, labels);
      } catch (cause) {
        if (McError.isInstance(cause) && cause.message.includes("non-finite")) {
          throw new InvalidArgumentError({
            message: `${caller}: the model produced non-finite outputs at epoch ${epoch}, batch ${b} (loss would be NaN); lower the learning rate`,
            argument: "options.optimizer",
            cause,
          });
        }
        throw cause;
      }
      if (!Number.isFinite(result.loss)) {
        throw new InvalidArgumentError({
          message: `${caller}: loss is ${result.loss} at epoch ${epoch}, batch ${b}; lower the learning rate`,
          argument: "options.optimizer",
          value: result.loss,
        });
      }
      model.backward(result.gradient);
      optimizer.step();
      lossSum += result.loss * (end - start);
      if (output.shape.length === 2 && output.shape[1] !== 1) correct += countCorrect(output, labels);
      onProgress?.({
        phase: "batch",
        epoch,
        batch: b,
        batches,
        loss: result.loss,
        learningRate: optimizer.learningRate,
      });
    }
    const seconds = (now() - started) / 1000;
    const summary: EpochSummary = { epoch, loss: lossSum / data.count, trainAccuracy: correct / data.count, seconds };
    if (validation) summary.validationAccuracy = evaluate(model, validation).accuracy;
    summaries.push(summary);
    onProgress?.({
      phase: "epoch",
      epoch,
      batch: batches - 1,
      batches,
      loss: summary.loss,
      learningRate: optimizer.learningRate,
      trainAccuracy: summary.trainAccuracy,
      validationAccuracy: summary.validationAccuracy,
      seconds,
    });
  }
  return { epochs: summaries };
}

/** Accuracy and mean cross-entropy in eval mode (the model's previous mode is restored). */
export function evaluate(
  model: Module,
  data: Dataset,
  options: { batchSize?: number } = {},
): { accuracy: number; loss: number; correct: number; count: number } {
  const { batchSize = 256 } = options;
  assertDataset(data, "evaluate");
  assertInteger(batchSize, "evaluate", "options.batchSize", { min: 1 });
  const wasTraining = model.training;
  model.eval();
  const order = Array.from({ length: data.count }, (_, i) => i);
  let correct = 0;
  let lossSum = 0;
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const end = Math.min(start + batchSize, data.count);
      const { input, labels } = gatherBatch(data, order, start, end);
      const logits = model.forward(input);
      correct += countCorrect(logits, labels);
      lossSum += softmaxCrossEntropy(logits, labels).loss * (end - start);
    }
  } finally {
    if (wasTraining) model.train();
  }
  return { accuracy: correct / data.count, loss: lossSum / data.count, correct, count: data.count };
}

/** Logits and argmax classes for a batch of inputs [n, ...], run in eval mode in chunks. */
export function predict(
  model: Module,
  images: Tensor,
  options: { batchSize?: number } = {},
): { logits: Tensor; classes: Int32Array } {
  const { batchSize = 256 } = options;
  assertInteger(batchSize, "predict", "options.batchSize", { min: 1 });
  if (typeof images !== "object" || images === null || !(images.data instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: "predict: images must be a tensor with Float32Array data",
      argument: "images",
    });
  }
  const count = images.shape[0] ?? 0;
  if (count === 0) {
    throw new InvalidArgumentError({
      message: "predict: images is an empty batch",
      argument: "images",
      value: images.shape,
    });
  }
  const sampleSize = images.data.length / count;
  const wasTraining = model.training;
  model.eval();
  const chunks: Float32Array[] = [];
  let classesPerRow = 0;
  try {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(start + batchSize, count);
      const input = {
        data: images.data.subarray(start * sampleSize, end * sampleSize),
        shape: [end - start, ...images.shape.slice(1)],
      };
      const logits = model.forward(input);
      classesPerRow = logits.data.length / (end - start);
      chunks.push(logits.data);
    }
  } finally {
    if (wasTraining) model.train();
  }
  const all = new Float32Array(count * classesPerRow);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  const classes = new Int32Array(count);
  for (let r = 0; r < count; r++) classes[r] = argmaxRow(all, r * classesPerRow, classesPerRow);
  return { logits: { data: all, shape: [count, classesPerRow] }, classes };
}
