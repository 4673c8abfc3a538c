import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectOnnx } from "../src/inspect-onnx";
import { quantizeOnnx } from "../src/quantize-onnx";
import { readOnnx, writeOnnx } from "../src/read-onnx";
import { type Feeds, float, runOnnx } from "./ort";
import { speechLikeSignal } from "./vad-signal";

const vadDir = join(import.meta.dirname, "../node_modules/@ricky0123/vad-web/dist");
const signal = speechLikeSignal(2.4);

/**
 * Speech probability per frame, streaming the recurrent state like the VAD libraries do:
 * legacy takes 1536-sample frames with h/c states; v5/v6 take 512 samples plus 64 of context.
 */
async function speechProbabilities(bytes: Uint8Array, version: string, runtime: "node" | "web"): Promise<number[]> {
  const legacy = version === "legacy";
  const frame = legacy ? 1536 : 512;
  const context = legacy ? 0 : 64;
  let state: Feeds = legacy
    ? { h: float(new Float32Array(128), [2, 1, 64]), c: float(new Float32Array(128), [2, 1, 64]) }
    : { state: float(new Float32Array(256), [2, 1, 128]) };
  const probabilities: number[] = [];
  for (let at = context; at + frame <= signal.length; at += frame) {
    const chunk = signal.slice(at - context, at + frame);
    const feeds: Feeds = {
      input: float(chunk, [1, context + frame]),
      sr: { type: "int64", data: BigInt64Array.of(16000n), dims: [] },
      ...state,
    };
    const out = await runOnnx(bytes, feeds, runtime);
    probabilities.push(out.output?.data[0] as number);
    state = legacy
      ? { h: float(out.hn?.data as Float32Array, [2, 1, 64]), c: float(out.cn?.data as Float32Array, [2, 1, 64]) }
      : { state: float(out.stateN?.data as Float32Array, [2, 1, 128]) };
  }
  return probabilities;
}

// Tolerance on the probability of each frame: |Δp| <= 0.08, mean |Δp| <= 0.01, and the speech
// decision at 0.5 identical on every frame whose fp32 probability is farther than 0.08 from 0.5
// (measured worst case |Δp| 0.048, v6 int8).
const cases = [
  { version: "legacy", mode: "weight-only", runtime: "node" },
  { version: "v5", mode: "weight-only", runtime: "node" },
  { version: "v6", mode: "weight-only", runtime: "node" },
  { version: "v5", mode: "dynamic", runtime: "node" },
  { version: "v6", mode: "dynamic", runtime: "node" },
  { version: "legacy", mode: "dynamic", runtime: "web" },
] as const;

describe("Silero VAD (real models from @ricky0123/vad-web)", () => {
  it.each(cases)(
    "$version $mode in onnxruntime-$runtime: weights >= 3.5x smaller, speech probabilities kept",
    async (c) => {
      const bytes = new Uint8Array(readFileSync(join(vadDir, `silero_vad_${c.version}.onnx`)));
      const { model, report } = quantizeOnnx(readOnnx(bytes), { mode: c.mode });
      expect(report.weightBytesBefore / report.weightBytesAfter).toBeGreaterThanOrEqual(3.5);
      const lstmWeights = report.tensors.filter((t) => t.consumers.includes("LSTM") && t.format !== "skipped");
      expect(lstmWeights.length).toBeGreaterThanOrEqual(4);
      const quantizedBytes = writeOnnx(model).bytes;
      expect(inspectOnnx(readOnnx(quantizedBytes)).operators.some((o) => o.opType === "DequantizeLinear")).toBe(true);
      const reference = await speechProbabilities(bytes, c.version, "node");
      const actual = await speechProbabilities(quantizedBytes, c.version, c.runtime);
      expect(reference.filter((p) => p > 0.5).length).toBeGreaterThan(reference.length / 4);
      expect(reference.filter((p) => p < 0.5).length).toBeGreaterThan(reference.length / 4);
      let total = 0;
      for (let i = 0; i < reference.length; i++) {
        const difference = Math.abs((actual[i] as number) - (reference[i] as number));
        total += difference;
        expect(
          difference,
          `frame ${i} of ${reference.length}: fp32 ${reference[i]} vs quantized ${actual[i]}`,
        ).toBeLessThanOrEqual(0.08);
        if (Math.abs((reference[i] as number) - 0.5) > 0.08) {
          expect((actual[i] as number) > 0.5, `speech decision at frame ${i}`).toBe((reference[i] as number) > 0.5);
        }
      }
      expect(total / reference.length).toBeLessThanOrEqual(0.01);
    },
  );
});
