import type { Tensor } from "@mc/core";
import { distill } from "@mc/distill";
import { factorizeModelLayer } from "@mc/lowrank";
import { Adam, type Dataset, evaluate, Flatten, Linear, ReLU, Sequential, SGD, train } from "@mc/nn";
import { convertQat, prepareQat, quantizeDynamic, quantizeStatic, storageBytes } from "@mc/quant";
import type { ProgressReporter } from "../progress";
import { baselineCopy, type DemoRecipe } from "./deep-compression";

export interface SideRow {
  name: string;
  bytes: number;
  accuracy: number;
  bytesFrom: string;
  note?: string;
}

export interface SideRowOptions {
  recipe: DemoRecipe;
  data: { train: Dataset; test: Dataset };
  seed: number;
  epochScale: number;
  progress: ProgressReporter;
  baselineParameters: Record<string, Tensor>;
}

const scaled = (epochs: number, scale: number) => Math.max(1, Math.round(epochs * scale));

/** Calibration batches for static quantization: the first `batches` × 64 training digits. */
function calibrationBatches(data: Dataset, batches = 16, batchSize = 64): Tensor[] {
  const features = data.images.length / data.count;
  const out: Tensor[] = [];
  for (let b = 0; b < batches && (b + 1) * batchSize <= data.count; b++) {
    out.push({
      data: data.images.slice(b * batchSize * features, (b + 1) * batchSize * features),
      shape: [batchSize, ...data.shape],
    });
  }
  return out;
}

function fp32Bytes(model: { parameters(): { value: { data: Float32Array } }[] }): number {
  return model.parameters().reduce((sum, p) => sum + 4 * p.value.data.length, 0);
}

/** Rows beside Deep Compression, each starting from the same trained fp32 baseline. */
export async function runSideRows(options: SideRowOptions): Promise<SideRow[]> {
  const { recipe, data, seed, epochScale, progress, baselineParameters } = options;
  const rows: SideRow[] = [];
  const fresh = () => baselineCopy(recipe, baselineParameters, seed) as Sequential;

  progress.stage("6a int8 dynamic PTQ (per-channel weights, activations quantized per batch)");
  const dynamic = quantizeDynamic(fresh(), { perChannel: true });
  rows.push({
    name: "int8 dynamic PTQ (per-channel)",
    bytes: storageBytes(dynamic),
    accuracy: evaluate(dynamic, data.test).accuracy,
    bytesFrom: "int8 weights + fp32 scales + fp32 biases",
  });

  progress.stage("6b int8 static PTQ (histogram observer, 1,024 calibration digits)");
  const calibration = calibrationBatches(data.train);
  const staticModel = quantizeStatic(fresh(), calibration, { observer: "histogram", perChannel: true });
  rows.push({
    name: "int8 static PTQ (histogram)",
    bytes: storageBytes(staticModel),
    accuracy: evaluate(staticModel, data.test).accuracy,
    bytesFrom: "int8 weights + fp32 scales/zero points + fp32 biases",
  });

  progress.stage("6c QAT int8 (fake-quant with straight-through gradients, 1 epoch fine-tune)");
  const qat = prepareQat(fresh(), { perChannel: true });
  const qatEpochs = scaled(1, epochScale);
  train(qat, data.train, { optimizer: new SGD(qat, { learningRate: 0.002, momentum: 0.9 }), epochs: qatEpochs, seed });
  const qatModel = convertQat(qat);
  rows.push({
    name: "QAT int8",
    bytes: storageBytes(qatModel),
    accuracy: evaluate(qatModel, data.test).accuracy,
    bytesFrom: "int8 weights + fp32 scales/zero points + fp32 biases",
  });

  progress.stage("6d low-rank fc1 (truncated SVD, rank 64, 2 epochs fine-tune)");
  const factorized = factorizeModelLayer(fresh(), "fc1", { rank: 64 });
  const lowRankEpochs = scaled(2, epochScale);
  train(factorized.model, data.train, {
    optimizer: new Adam(factorized.model, { learningRate: 3e-4 }),
    epochs: lowRankEpochs,
    seed,
  });
  rows.push({
    name: "low-rank fc1 (rank 64) + fine-tune",
    bytes: fp32Bytes(factorized.model),
    accuracy: evaluate(factorized.model, data.test).accuracy,
    bytesFrom: "fp32 factors and other weights",
  });

  progress.stage("6e knowledge distillation into a 784-32-10 student (T = 4)");
  const student = new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(data.train.images.length / data.train.count, 32, { seed: seed + 100 }),
    relu1: new ReLU(),
    fc2: new Linear(32, 10, { seed: seed + 101 }),
  });
  const studentEpochs = scaled(20, epochScale);
  distill(student, fresh(), data.train, {
    optimizer: new Adam(student, { learningRate: 1e-3 }),
    epochs: studentEpochs,
    seed,
    temperature: 4,
    weights: { soft: 0.7, hard: 0.3 },
    onProgress: (p) => {
      if (p.phase === "batch")
        progress.update(
          p.epoch * p.batches + p.batch + 1,
          studentEpochs * p.batches,
          `epoch ${p.epoch + 1}/${studentEpochs}`,
        );
    },
  });
  rows.push({
    name: "KD student 784-32-10 (from the baseline)",
    bytes: fp32Bytes(student),
    accuracy: evaluate(student, data.test).accuracy,
    bytesFrom: "fp32 parameters of the student",
  });
  return rows;
}
