/**
 * Silero VAD (legacy, v5, v6 from @ricky0123/vad-web) quantized in every 8-bit mode: weight bytes
 * and speech probabilities on a seeded speech-like signal vs the fp32 model, in onnxruntime-node.
 * Run: pnpm exec tsx experiments/silero-vad.ts   (writes results/silero-vad.json)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { quantizeOnnx, readOnnx, writeOnnx } from "../src/index";
import { speechLikeSignal } from "../test/vad-signal";

const seconds = 12;
const signal = speechLikeSignal(seconds, 1);
const dir = new URL("../node_modules/@ricky0123/vad-web/dist/", import.meta.url);

async function probabilities(bytes: Uint8Array, version: string): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const legacy = version === "legacy";
  const frame = legacy ? 1536 : 512;
  const context = legacy ? 0 : 64;
  let state: Record<string, ort.Tensor> = legacy
    ? {
        h: new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]),
        c: new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]),
      }
    : { state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]) };
  const out: number[] = [];
  for (let at = context; at + frame <= signal.length; at += frame) {
    const input = new ort.Tensor("float32", signal.slice(at - context, at + frame), [1, context + frame]);
    const result = await session.run({ input, sr: new ort.Tensor("int64", BigInt64Array.of(16000n), []), ...state });
    out.push((result.output as ort.Tensor).data[0] as number);
    state = legacy
      ? { h: result.hn as ort.Tensor, c: result.cn as ort.Tensor }
      : { state: result.stateN as ort.Tensor };
  }
  await session.release();
  return out;
}

const rows: Record<string, unknown>[] = [];
for (const version of ["legacy", "v5", "v6"]) {
  const bytes = new Uint8Array(readFileSync(new URL(`silero_vad_${version}.onnx`, dir)));
  const reference = await probabilities(bytes, version);
  for (const [mode, weightType] of [
    ["weight-only", "int8"],
    ["weight-only", "uint8"],
    ["dynamic", "uint8"],
  ] as const) {
    const { model, report } = quantizeOnnx(readOnnx(bytes), { mode, weightType });
    const actual = await probabilities(writeOnnx(model).bytes, version);
    let maxDifference = 0;
    let total = 0;
    let agree = 0;
    for (let i = 0; i < reference.length; i++) {
      const d = Math.abs((actual[i] as number) - (reference[i] as number));
      maxDifference = Math.max(maxDifference, d);
      total += d;
      if ((actual[i] as number) > 0.5 === (reference[i] as number) > 0.5) agree++;
    }
    const row = {
      version,
      mode,
      weightType,
      frames: reference.length,
      speechFrames: reference.filter((p) => p > 0.5).length,
      weightBytesBefore: report.weightBytesBefore,
      weightBytesAfter: report.weightBytesAfter,
      weightRatio: Number((report.weightBytesBefore / report.weightBytesAfter).toFixed(2)),
      fileBytesBefore: report.fileBytesBefore,
      fileBytesAfter: report.fileBytesAfter,
      quantizedTensors: report.tensors.filter((t) => t.format !== "skipped").length,
      skippedTensors: report.tensors.filter((t) => t.format === "skipped").length,
      maxAbsProbabilityDifference: Number(maxDifference.toFixed(4)),
      meanAbsProbabilityDifference: Number((total / reference.length).toFixed(4)),
      decisionAgreement: Number((agree / reference.length).toFixed(4)),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("../results/silero-vad.json", import.meta.url),
  `${JSON.stringify({ signal: { seconds, seed: 1, sampleRate: 16000 }, runtime: "onnxruntime-node 1.30", rows }, null, 2)}\n`,
);
