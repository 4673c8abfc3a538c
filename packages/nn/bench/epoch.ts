/**
 * One training epoch (batch 64, Adam 1e-3, fixed 8,000-digit split) of LeNet-300-100 and
 * LeNet-5: @mc/nn against the same model in TensorFlow.js (CPU backend, and the WASM backend
 * when it loads in Node). Usage: pnpm bench [--count 8000]. With --count below 8000 the run
 * times that many samples and also reports the time scaled to a full 8,000-sample epoch.
 * Writes results/bench-epoch.json.
 * Not a test: wall-clock numbers on whatever machine runs it.
 */
import "@tensorflow/tfjs-backend-cpu";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getKernelInfo, initKernels } from "@mc/kernels";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import {
  Adam,
  createLenet5,
  createLenet300100,
  type Dataset,
  loadMnist,
  type Module,
  sliceDataset,
  train,
} from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const countArgument = process.argv.indexOf("--count");
const count = countArgument >= 0 ? Number(process.argv[countArgument + 1]) : 8000;
const batchSize = 64;
function listArgument(flag: string): string[] | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? (process.argv[index + 1] ?? "").split(",") : undefined;
}
/** --backends cpu,wasm and --models LeNet-5 restrict the run (e.g. to skip the slow CPU backend). */
const backendFilter = listArgument("--backends");
const modelFilter = listArgument("--models");
const outputName = process.argv.includes("--output")
  ? process.argv[process.argv.indexOf("--output") + 1]
  : "bench-epoch.json";

function mcEpoch(create: () => Module, data: Dataset): number {
  const model = create();
  const optimizer = new Adam(model, { learningRate: 1e-3 });
  const started = performance.now();
  train(model, data, { optimizer, epochs: 1, batchSize, seed: 0 });
  return (performance.now() - started) / 1000;
}

type TfModel = { variables: tf.Variable[]; forward: (x: tf.Tensor) => tf.Tensor };

function glorot(shape: number[], fanIn: number): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -bound, bound, "float32", 1));
}

function tfLenet300100(): TfModel {
  const w1 = glorot([784, 300], 784);
  const b1 = tf.variable(tf.zeros([300]));
  const w2 = glorot([300, 100], 300);
  const b2 = tf.variable(tf.zeros([100]));
  const w3 = glorot([100, 10], 100);
  const b3 = tf.variable(tf.zeros([10]));
  return {
    variables: [w1, b1, w2, b2, w3, b3],
    forward: (x) => {
      const flat = tf.reshape(x, [-1, 784]);
      const h1 = tf.relu(tf.add(tf.matMul(flat, w1), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
      return tf.add(tf.matMul(h2, w3), b3);
    },
  };
}

function tfLenet5(): TfModel {
  const c1 = glorot([5, 5, 1, 20], 25);
  const cb1 = tf.variable(tf.zeros([20]));
  const c2 = glorot([5, 5, 20, 50], 500);
  const cb2 = tf.variable(tf.zeros([50]));
  const w1 = glorot([800, 500], 800);
  const b1 = tf.variable(tf.zeros([500]));
  const w2 = glorot([500, 10], 500);
  const b2 = tf.variable(tf.zeros([10]));
  return {
    variables: [c1, cb1, c2, cb2, w1, b1, w2, b2],
    forward: (x) => {
      const nhwc = tf.reshape(x, [-1, 28, 28, 1]) as tf.Tensor4D; // TF.js's native layout
      const p1 = tf.maxPool(
        tf.relu(tf.add(tf.conv2d(nhwc, c1 as tf.Tensor4D, 1, "valid"), cb1)) as tf.Tensor4D,
        2,
        2,
        "valid",
      );
      const p2 = tf.maxPool(
        tf.relu(tf.add(tf.conv2d(p1, c2 as tf.Tensor4D, 1, "valid"), cb2)) as tf.Tensor4D,
        2,
        2,
        "valid",
      );
      const h = tf.relu(tf.add(tf.matMul(tf.reshape(p2, [-1, 800]), w1), b1));
      return tf.add(tf.matMul(h, w2), b2);
    },
  };
}

function tfEpoch(create: () => TfModel, data: Dataset): number {
  const model = create();
  const optimizer = tf.train.adam(1e-3);
  const order = Array.from({ length: data.count }, (_, i) => i);
  const started = performance.now();
  for (let start = 0; start < data.count; start += batchSize) {
    const end = Math.min(start + batchSize, data.count);
    const x = tf.tensor(data.images.subarray(start * 784, end * 784), [end - start, 784]);
    const y = tf.oneHot(tf.tensor1d(Array.from(data.labels.subarray(start, end)), "int32"), 10);
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.forward(x)) as tf.Scalar, false, model.variables);
    tf.dispose([x, y]);
  }
  void order;
  const seconds = (performance.now() - started) / 1000;
  tf.dispose(model.variables);
  optimizer.dispose();
  return seconds;
}

async function main(): Promise<void> {
  await initKernels();
  const data = sliceDataset(loadMnist().train, 0, count);
  const rows: Record<string, unknown>[] = [];
  const backends: string[] = backendFilter?.includes("cpu") === false ? [] : ["cpu"];
  try {
    const require = createRequire(import.meta.url);
    const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
    setWasmPaths(`${wasmDir}/`);
    if (backendFilter?.includes("wasm") !== false) backends.push("wasm");
  } catch (error) {
    process.stdout.write(`wasm backend unavailable: ${String(error)}\n`);
  }
  const models: [string, () => Module, () => TfModel][] = [
    ["LeNet-300-100", () => createLenet300100({ seed: 0 }), tfLenet300100],
    ["LeNet-5", () => createLenet5({ seed: 0 }), tfLenet5],
  ];
  for (const [name, createMc, createTf] of models.filter(([name]) => !modelFilter || modelFilter.includes(name))) {
    const mcSeconds = mcEpoch(createMc, data);
    process.stdout.write(`${name}: mc ${mcSeconds.toFixed(2)} s\n`);
    const row: Record<string, unknown> = { model: name, samples: count, batchSize, mcSeconds };
    for (const backend of backends) {
      try {
        const ok = await tf.setBackend(backend);
        if (!ok) throw new Error(`setBackend("${backend}") returned false`);
        await tf.ready();
        row[`tfjs_${backend}_seconds`] = tfEpoch(createTf, data);
        process.stdout.write(`${name}: tfjs-${backend} ${(row[`tfjs_${backend}_seconds`] as number).toFixed(2)} s\n`);
      } catch (error) {
        row[`tfjs_${backend}_error`] = String(error);
      }
    }
    const scale = 8000 / count;
    row.epochSecondsExtrapolated = Object.fromEntries(
      ["mc", ...backends.map((b) => `tfjs_${b}`)].map((key) => {
        const value = row[key === "mc" ? "mcSeconds" : `${key}_seconds`];
        return [key, typeof value === "number" ? value * scale : null];
      }),
    );
    const tfTimes = backends.map((b) => row[`tfjs_${b}_seconds`]).filter((v): v is number => typeof v === "number");
    row.fastestTfjsSeconds = tfTimes.length > 0 ? Math.min(...tfTimes) : null;
    row.speedupVsFastestTfjs = tfTimes.length > 0 ? (row.fastestTfjsSeconds as number) / mcSeconds : null;
    rows.push(row);
    process.stdout.write(
      `${name.padEnd(14)} mc ${mcSeconds.toFixed(1)} s | ${backends.map((b) => `tfjs-${b} ${typeof row[`tfjs_${b}_seconds`] === "number" ? (row[`tfjs_${b}_seconds`] as number).toFixed(1) : "n/a"} s`).join(" | ")} | mc speedup vs fastest tfjs ${row.speedupVsFastestTfjs === null ? "n/a" : `${(row.speedupVsFastestTfjs as number).toFixed(2)}×`}\n`,
    );
  }
  const out = {
    date: new Date().toISOString(),
    machine: `shared 2-core machine, load average ${loadavg()
      .map((v) => v.toFixed(1))
      .join(" ")} at the end; Node ${process.version}`,
    kernels: getKernelInfo(),
    tfjs: tf.version_core,
    rows,
  };
  const path = join(here, "..", "results", outputName as string);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(out, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

await main();
