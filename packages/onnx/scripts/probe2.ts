import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { readOnnx, writeOnnx } from "../src/read-onnx";
import { quantizeOnnx } from "../src/quantize-onnx";
for (const v of ["legacy", "v5", "v6"]) {
  const bytes = readFileSync(`node_modules/@ricky0123/vad-web/dist/silero_vad_${v}.onnx`);
  const m = readOnnx(new Uint8Array(bytes));
  for (const mode of ["weight-only", "dynamic"] as const) {
    const { model, report } = quantizeOnnx(m, { mode });
    const q = report.tensors.filter((t) => t.format !== "skipped");
    const wb = q.reduce((s, t) => s + t.bytesBefore, 0), wa = q.reduce((s, t) => s + t.bytesAfter, 0);
    console.log(v, mode, report.weightBytesBefore, report.weightBytesAfter, (report.weightBytesBefore / report.weightBytesAfter).toFixed(2), "file", report.fileBytesBefore, report.fileBytesAfter, "quantized", q.length, "skipped", report.tensors.length - q.length, (wb/wa).toFixed(2));
    const out = writeOnnx(model).bytes;
    try { const s = await ort.InferenceSession.create(out); console.log("  ort ok", s.inputNames, s.outputNames); } catch (e) { console.log("  ORT FAIL", (e as Error).message.slice(0, 300)); }
  }
}
