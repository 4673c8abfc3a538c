/**
 * MNIST through the ONNX path: train @mc/nn's LeNet-300-100 and LeNet-5 (seeded), export them
 * with toOnnx, quantize with every mode, and measure test accuracy in onnxruntime-node.
 * Run: pnpm exec tsx experiments/mnist-onnx.ts   (writes results/mnist-onnx.json)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Adam, createLenet5, createLenet300100, type Dataset, loadMnist, type Sequential, train } from "@mc/nn";
import * as ort from "onnxruntime-node";
import { calibrateOnnx, type QuantizeOnnxOptions, quantizeOnnx, toOnnx, writeOnnx } from "../src/index";

const seed = 0;
const { train: trainSet, test: testSet } = loadMnist({ trainCount: 8000, testCount: 2000, seed });

async function accuracy(bytes: Uint8Array, data: Dataset): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ input: new ort.Tensor("float32", data.images, [data.count, 1, 28, 28]) });
  const logits = result.output?.data as Float32Array;
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if ((logits[i * 10 + c] as number) > (logits[i * 10 + best] as number)) best = c;
    if (best === data.labels[i]) correct++;
  }
  await session.release();
  return correct / data.count;
}

const calibrationBatches = Array.from({ length: 8 }, (_, b) => ({
  input: new ort.Tensor("float32", trainSet.images.slice(b * 64 * 784, (b + 1) * 64 * 784), [64, 1, 28, 28]),
}));
const run = async (bytes: Uint8Array, feeds: Record<string, unknown>, names: string[]) => {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(feeds as Record<string, ort.Tensor>, names);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: v.data as Float32Array, dims: v.dims }]));
};

const models: { name: string; create: () => Sequential; epochs: number }[] = [
  { name: "lenet-300-100", create: () => createLenet300100({ seed }), epochs: 4 },
  { name: "lenet-5", create: () => createLenet5({ seed }), epochs: 2 },
];

const results: Record<string, unknown>[] = [];
for (const { name, create, epochs } of models) {
  const model = create();
  const started = Date.now();
  train(model, trainSet, { optimizer: new Adam(model, { learningRate: 1e-3 }), epochs, batchSize: 64, seed });
  model.eval();
  const onnx = toOnnx(model, { inputShape: [1, 28, 28] });
  const fp32Bytes = writeOnnx(onnx).bytes;
  const fp32 = await accuracy(fp32Bytes, testSet);
  console.log(
    `${name}: trained ${epochs} epochs in ${((Date.now() - started) / 1000).toFixed(0)} s, fp32 ${(fp32 * 100).toFixed(2)}%`,
  );
  const variants: { label: string; options: QuantizeOnnxOptions }[] = [
    { label: "weight-only int8 per-channel", options: { mode: "weight-only" } },
    { label: "weight-only uint8 per-channel", options: { mode: "weight-only", weightType: "uint8" } },
    { label: "weight-only int8 per-tensor", options: { mode: "weight-only", perChannel: false } },
    { label: "dynamic (uint8 weights)", options: { mode: "dynamic" } },
    {
      label: "weight-only int4 block 16 (opset 21)",
      options: { mode: "weight-only", weightType: "int4", blockSize: 16 },
    },
    { label: "nbits 4-bit block 32 symmetric", options: { mode: "nbits", blockSize: 32 } },
    { label: "nbits 4-bit block 32 zero points", options: { mode: "nbits", blockSize: 32, symmetric: false } },
    { label: "nbits 4-bit block 128 symmetric", options: { mode: "nbits", blockSize: 128 } },
  ];
  for (const method of ["minmax", "percentile", "entropy"] as const) {
    const { ranges } = await calibrateOnnx(onnx, { batches: calibrationBatches, run, method });
    variants.push({
      label: `static QDQ (${method} calibration)`,
      options: { mode: "static", activationRanges: ranges },
    });
  }
  const onnx21 = toOnnx(model, { inputShape: [1, 28, 28], opset: 21 });
  for (const { label, options } of variants) {
    const { model: quantized, report } = quantizeOnnx(label.includes("opset 21") ? onnx21 : onnx, options);
    const bytes = writeOnnx(quantized).bytes;
    const quantizedAccuracy = await accuracy(bytes, testSet);
    const row = {
      model: name,
      variant: label,
      fp32Accuracy: fp32,
      accuracy: quantizedAccuracy,
      dropPp: Number(((fp32 - quantizedAccuracy) * 100).toFixed(2)),
      fileBytesFp32: fp32Bytes.length,
      fileBytes: bytes.length,
      compression: Number((fp32Bytes.length / bytes.length).toFixed(2)),
      formats: report.tensors.map((t) => `${t.name}: ${t.format}`),
    };
    results.push(row);
    console.log(
      `  ${label.padEnd(36)} ${(quantizedAccuracy * 100).toFixed(2)}%  drop ${row.dropPp} pp  ${bytes.length} B (${row.compression}x)`,
    );
  }
}
mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("../results/mnist-onnx.json", import.meta.url),
  `${JSON.stringify({ seed, trainCount: 8000, testCount: 2000, runtime: "onnxruntime-node 1.30", results }, null, 2)}\n`,
);
