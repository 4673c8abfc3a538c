/**
 * Seeded MNIST evidence for @mc/quant: fp32 vs int8 dynamic (per tensor / per channel), int8
 * static with each observer, QAT int8, and int4 round-to-nearest vs int4 GPTQ, on the MNIST
 * reference models of @mc/nn (8,000 / 2,000 split). Writes results/mnist.json.
 * Usage: pnpm exec tsx experiments/mnist-table.ts
 * Trained fp32 weights are cached in the OS temp directory so reruns skip training.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tensor } from "@mc/core";
import { initKernels } from "@mc/kernels";
import {
  Adam,
  cosineDecay,
  createLenet5,
  createLenet300100,
  type Dataset,
  evaluate,
  loadMnist,
  loadParameters,
  type Module,
  randomShift,
  type Sequential,
  saveParameters,
  train,
} from "@mc/nn";
import {
  convertQat,
  dequantize,
  type ObserverChoice,
  prepareQat,
  quantizeDynamic,
  quantizedTensorBytes,
  quantizeModelGptq,
  quantizeStatic,
  storageBytes,
} from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, "..", "results", "mnist.json");
const cacheDir = join(tmpdir(), "mc-quant-mnist-cache");

interface Row {
  model: string;
  method: string;
  accuracy: number;
  bytes: number;
  /** fp32 accuracy minus this accuracy, in percentage points (negative: better than fp32). */
  dropPp: number;
  /** Mean squared difference of the logits from the fp32 model's on the test set. */
  logitMse: number;
  /** Fraction of test images whose predicted class equals the fp32 model's. */
  agreement: number;
  seconds: number;
  note?: string;
}

let referenceLogits: Float32Array | undefined;

function logitsOf(net: Module, test: Dataset): Float32Array {
  net.eval();
  const out = new Float32Array(test.count * 10);
  for (let start = 0; start < test.count; start += 250) {
    const n = Math.min(250, test.count - start);
    const y = net.forward({ data: test.images.slice(start * 784, (start + n) * 784), shape: [n, 1, 28, 28] });
    out.set(y.data as Float32Array, start * 10);
  }
  return out;
}

function argmax(values: Float32Array, row: number) {
  let best = 0;
  for (let j = 1; j < 10; j++) if ((values[row * 10 + j] as number) > (values[row * 10 + best] as number)) best = j;
  return best;
}

const rows: Row[] = [];
const started = Date.now();

function log(message: string) {
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
}

function write(extra: Record<string, unknown> = {}) {
  const out = {
    split: "loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 })",
    machine: `shared 2-core machine with other jobs running (load average ${loadavg()[0]?.toFixed(1)} at write); Node ${process.version}`,
    date: new Date().toISOString(),
    rows,
    ...extra,
  };
  mkdirSync(dirname(resultsPath), { recursive: true });
  const temporary = `${resultsPath}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(out, null, 2)}\n`);
  renameSync(temporary, resultsPath);
}

function floatBytes(model: Module) {
  return storageBytes(model);
}

function trainedModel(name: "lenet300100" | "lenet5", data: Dataset): Sequential {
  const create = () => (name === "lenet5" ? createLenet5({ seed: 0 }) : createLenet300100({ seed: 0 }));
  const model = create();
  const cachePath = join(cacheDir, `${name}.json`);
  if (existsSync(cachePath)) {
    const saved = JSON.parse(readFileSync(cachePath, "utf8")) as Record<string, { data: number[]; shape: number[] }>;
    loadParameters(
      model,
      Object.fromEntries(
        Object.entries(saved).map(([k, v]) => [k, { data: Float32Array.from(v.data), shape: v.shape }]),
      ),
    );
    log(`${name}: loaded cached fp32 weights`);
    return model;
  }
  // @mc/nn's accuracy recipe (Adam 1e-3, cosine decay, ±2-pixel shifts), with fewer epochs.
  const epochs = name === "lenet5" ? 8 : 15;
  train(model, data, {
    optimizer: new Adam(model, { learningRate: 1e-3 }),
    schedule: cosineDecay({ initial: 1e-3, epochs, warmupEpochs: 0 }),
    augment: randomShift({ maxShift: 2 }),
    epochs,
    batchSize: 64,
    seed: 0,
    onProgress: (p) => {
      if (p.phase === "epoch")
        log(`${name} epoch ${p.epoch}: loss ${p.loss.toFixed(4)} train acc ${p.trainAccuracy?.toFixed(4)}`);
    },
  });
  mkdirSync(cacheDir, { recursive: true });
  const saved = saveParameters(model);
  writeFileSync(
    cachePath,
    JSON.stringify(
      Object.fromEntries(Object.entries(saved).map(([k, v]) => [k, { data: Array.from(v.data), shape: v.shape }])),
    ),
  );
  return model;
}

function copyOf(name: "lenet300100" | "lenet5", model: Module): Sequential {
  const copy = name === "lenet5" ? createLenet5({ seed: 0 }) : createLenet300100({ seed: 0 });
  loadParameters(copy, saveParameters(model));
  return copy;
}

function batchesOf(data: Dataset, count: number, batchSize: number): Tensor[] {
  const out: Tensor[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    out.push({ data: data.images.slice(start * 784, (start + n) * 784), shape: [n, 1, 28, 28] });
  }
  return out;
}

function record(
  model: string,
  method: string,
  run: () => { net: Module; bytes: number; note?: string },
  baseline: number,
  test: Dataset,
) {
  const t0 = Date.now();
  const { net, bytes, note } = run();
  const accuracy = evaluate(net, test, { batchSize: 250 }).accuracy;
  const logits = logitsOf(net, test);
  if (method === "fp32") referenceLogits = logits;
  const reference = referenceLogits as Float32Array;
  let mse = 0;
  let agree = 0;
  for (let i = 0; i < logits.length; i++) mse += ((logits[i] as number) - (reference[i] as number)) ** 2;
  for (let r = 0; r < test.count; r++) if (argmax(logits, r) === argmax(reference, r)) agree++;
  const row: Row = {
    model,
    method,
    accuracy,
    bytes,
    dropPp: method === "fp32" ? 0 : Number(((baseline - accuracy) * 100).toFixed(2)),
    logitMse: Number((mse / logits.length).toExponential(3)),
    agreement: agree / test.count,
    seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    ...(note ? { note } : {}),
  };
  rows.push(row);
  log(
    `${model} ${method}: accuracy ${(accuracy * 100).toFixed(2)}% (${row.dropPp >= 0 ? "-" : "+"}${Math.abs(row.dropPp)} pp), ${bytes} bytes`,
  );
  write();
  return row;
}

const observers: ObserverChoice[] = ["minmax", "moving-average", "histogram", "percentile", "entropy"];

async function main() {
  await initKernels();
  const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 });
  const calibration = batchesOf(trainSet, 1000, 250);

  for (const name of ["lenet300100", "lenet5"] as const) {
    const label = name === "lenet5" ? "LeNet-5" : "LeNet-300-100";
    const model = trainedModel(name, trainSet);
    const fp32 = record(label, "fp32", () => ({ net: model, bytes: floatBytes(model) }), 0, test);
    const base = fp32.accuracy;
    record(
      label,
      "int8 dynamic, per-tensor weights",
      () => {
        const q = quantizeDynamic(model, { perChannel: false });
        return { net: q, bytes: q.storageBytes() };
      },
      base,
      test,
    );
    record(
      label,
      "int8 dynamic, per-channel weights",
      () => {
        const q = quantizeDynamic(model, { perChannel: true });
        return { net: q, bytes: q.storageBytes() };
      },
      base,
      test,
    );
    for (const observer of observers) {
      record(
        label,
        `int8 static, ${observer} observer`,
        () => {
          const q = quantizeStatic(model, calibration, { observer });
          return {
            net: q,
            bytes: q.storageBytes(),
            note: "1,000 calibration images; uint8 activations, int8 per-channel weights, integer end to end",
          };
        },
        base,
        test,
      );
    }
    record(
      label,
      "int8 QAT (1 epoch fine-tune, then convert)",
      () => {
        const copy = copyOf(name, model);
        const qat = prepareQat(copy);
        train(qat, trainSet, {
          optimizer: new Adam(qat.parameters(), { learningRate: 1e-4 }),
          epochs: 1,
          batchSize: 64,
          seed: 1,
        });
        const q = convertQat(qat);
        return {
          net: q,
          bytes: q.storageBytes(),
          note: "Adam 1e-4, fake-quant weights (per-channel) and activations (moving-average ranges)",
        };
      },
      base,
      test,
    );
    const int4Variants = [
      { method: "rtn", symmetric: false, actOrder: false, label: "round-to-nearest, asymmetric" },
      { method: "gptq", symmetric: false, actOrder: false, label: "GPTQ, asymmetric" },
      { method: "gptq", symmetric: false, actOrder: true, label: "GPTQ act-order, asymmetric" },
      { method: "rtn", symmetric: true, actOrder: false, label: "round-to-nearest, symmetric" },
      { method: "gptq", symmetric: true, actOrder: false, label: "GPTQ, symmetric" },
    ] as const;
    for (const variant of int4Variants) {
      record(
        label,
        `int4 weight-only per-row, ${variant.label}`,
        () => {
          const copy = copyOf(name, model);
          const result = quantizeModelGptq(copy, calibration, {
            bits: 4,
            method: variant.method,
            symmetric: variant.symmetric,
            actOrder: variant.actOrder,
            dampening: 0.01,
          });
          let bytes = floatBytes(copy);
          for (const [param, r] of Object.entries(result.layers)) {
            const p = copy.getParameter(param);
            bytes += quantizedTensorBytes(r.quantized) - 4 * p.value.data.length;
            p.value.data.set(dequantize(r.quantized).data);
          }
          return {
            net: copy,
            bytes,
            note: "Linear layers int4 (run as dequantized fp32); conv layers (LeNet-5) stay fp32",
          };
        },
        base,
        test,
      );
    }
  }
  write({ done: true, totalSeconds: (Date.now() - started) / 1000 });
  log("done");
}

await main();
