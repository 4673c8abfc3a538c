import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { readOnnx, writeOnnx } from "../src/read-onnx";
import { quantizeOnnx } from "../src/quantize-onnx";
import { speechLikeSignal } from "../test/vad-signal";
const signal = speechLikeSignal(6);
async function probs(bytes: Uint8Array, v: string) {
  const s = await ort.InferenceSession.create(bytes);
  const frame = v === "legacy" ? 1536 : 512;
  const out: number[] = [];
  let state: Record<string, ort.Tensor> = v === "legacy"
    ? { h: new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]), c: new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]) }
    : { state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]) };
  const ctx = v === "legacy" ? 0 : 64;
  for (let at = 0; at + frame <= signal.length; at += frame) {
    const chunk = new Float32Array(ctx + frame);
    if (at >= ctx) chunk.set(signal.subarray(at - ctx, at + frame)); else chunk.set(signal.subarray(at, at + frame), ctx);
    const feeds = { input: new ort.Tensor("float32", chunk, [1, ctx + frame]), sr: new ort.Tensor("int64", BigInt64Array.of(16000n), []), ...state };
    const r = await s.run(feeds);
    out.push((r.output!.data as Float32Array)[0]!);
    state = v === "legacy" ? { h: r.hn!, c: r.cn! } : { state: r.stateN! };
  }
  return out;
}
for (const v of ["legacy", "v5", "v6"]) {
  const bytes = new Uint8Array(readFileSync(`node_modules/@ricky0123/vad-web/dist/silero_vad_${v}.onnx`));
  const ref = await probs(bytes, v);
  for (const mode of ["weight-only", "dynamic"] as const) for (const weightType of ["int8", "uint8"] as const) {
    const { model } = quantizeOnnx(readOnnx(bytes), { mode, weightType });
    const q = await probs(writeOnnx(model).bytes, v);
    let maxd = 0; let agree = 0;
    for (let i = 0; i < ref.length; i++) { maxd = Math.max(maxd, Math.abs(ref[i]! - q[i]!)); if ((ref[i]! > 0.5) === (q[i]! > 0.5)) agree++; }
    console.log(v, mode, weightType, "frames", ref.length, "maxdiff", maxd.toFixed(4), "mean", (ref.reduce((a, r, i) => a + Math.abs(r - q[i]!), 0) / ref.length).toFixed(4), "agree", agree, "speech frames", ref.filter((p) => p > 0.5).length);
  }
  console.log(ref.map((p) => p.toFixed(2)).join(" ").slice(0, 400));
}
