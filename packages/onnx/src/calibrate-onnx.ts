import { assertOneOf, FormatError, InvalidArgumentError } from "@mc/core";
import { cloneModel } from "./graph-walk";
import type { OnnxModel } from "./onnx-schema";
import { OnnxDataType } from "./onnx-schema";
import { writeOnnx } from "./read-onnx";
import { type ActivationRanges, STATIC_OPS, staticActivations } from "./quantize-static";

/** Anything that sees float batches and turns them into a range (the shape of @mc/quant's `Observer`). */
export interface ActivationObserver {
  observe(x: { data: Float32Array; shape: readonly number[] }): void;
  range(): { min: number; max: number };
}

/** Runs a serialized model on one batch and returns the named outputs (e.g. an onnxruntime session). */
export type OnnxRunner = (
  modelBytes: Uint8Array,
  feeds: Record<string, unknown>,
  outputNames: string[],
) => Promise<Record<string, { data: ArrayLike<number>; dims?: readonly number[] }>>;

export interface CalibrateOnnxOptions {
  /** Input feeds, one record per batch, passed to `run` as they are. */
  batches: Record<string, unknown>[];
  run: OnnxRunner;
  /** Built-in observer (default "minmax"); ignored when `createObserver` is given. */
  method?: "minmax" | "percentile" | "entropy";
  /** Percentile kept by the "percentile" method (default 99.99). */
  percentile?: number;
  /** Observer per activation, e.g. `() => new MinMaxObserver()` from @mc/quant. */
  createObserver?: () => ActivationObserver;
}

/**
 * Collects activation ranges for static quantization: adds the inputs and outputs of Conv,
 * MatMul and Gemm nodes as extra graph outputs, runs the calibration batches through `run`
 * (onnxruntime), and feeds what comes out to one observer per activation.
 */
export async function calibrateOnnx(
  model: OnnxModel,
  options: CalibrateOnnxOptions,
): Promise<{ ranges: ActivationRanges; tensorNames: string[] }> {
  const { batches, run, method = "minmax", percentile = 99.99, createObserver } = options;
  assertOneOf(method, ["minmax", "percentile", "entropy"] as const, "calibrateOnnx", "options.method");
  if (!Array.isArray(batches) || batches.length === 0) {
    throw new InvalidArgumentError({ message: "calibrateOnnx: options.batches must hold at least one batch", argument: "options.batches" });
  }
  const augmented = cloneModel(model);
  const graph = augmented.graph;
  if (graph === undefined) throw new InvalidArgumentError({ message: "calibrateOnnx: model has no graph", argument: "model" });
  const existing = new Set((graph.output ?? []).map((v) => v.name));
  const names: string[] = [];
  for (const node of graph.node ?? []) {
    if (!STATIC_OPS.has(node.opType ?? "") || (node.domain ?? "") !== "") continue;
    for (const name of staticActivations(node)) if (!names.includes(name)) names.push(name);
  }
  for (const name of names) {
    if (!existing.has(name)) graph.output = [...(graph.output ?? []), { name, type: { tensorType: { elemType: OnnxDataType.FLOAT } } }];
  }
  const bytes = writeOnnx(augmented).bytes;
  const make = createObserver ?? (() => builtInObserver(method, percentile));
  const observers = new Map(names.map((name) => [name, make()]));
  for (const feeds of batches) {
    const outputs = await run(bytes, feeds, names);
    for (const name of names) {
      const value = outputs[name];
      if (value === undefined) throw new FormatError({ message: `calibrateOnnx: the runner returned no output '${name}'` });
      const data = value.data instanceof Float32Array ? value.data : Float32Array.from(value.data);
      observers.get(name)?.observe({ data, shape: [...(value.dims ?? [data.length])] });
    }
  }
  const ranges: ActivationRanges = {};
  for (const [name, observer] of observers) ranges[name] = observer.range();
  return { ranges, tensorNames: names };
}

function builtInObserver(method: "minmax" | "percentile" | "entropy", percentile: number): ActivationObserver {
  if (method === "minmax") return new MinMaxRange();
  return new HistogramRange(method, percentile);
}

class MinMaxRange implements ActivationObserver {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  observe({ data }: { data: Float32Array }): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
  }
  range() {
    return { min: this.min, max: this.max };
  }
}

/**
 * Keeps all values seen (calibration sets are small) and picks a clipping range: a percentile
 * of |x|, or the threshold minimizing the KL divergence between the 2048-bin histogram of |x|
 * and its 128-level quantization (the entropy calibration of TensorRT, Migacz 2017).
 */
class HistogramRange implements ActivationObserver {
  private readonly chunks: Float32Array[] = [];
  private readonly method: "percentile" | "entropy";
  private readonly percentile: number;
  constructor(method: "percentile" | "entropy", percentile: number) {
    this.method = method;
    this.percentile = percentile;
  }
  observe({ data }: { data: Float32Array }): void {
    this.chunks.push(data.slice());
  }
  range() {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let count = 0;
    for (const chunk of this.chunks) {
      count += chunk.length;
      for (const v of chunk) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    const magnitudes = new Float32Array(count);
    let at = 0;
    for (const chunk of this.chunks) for (const v of chunk) magnitudes[at++] = Math.abs(v);
    const threshold = this.method === "percentile" ? percentileOf(magnitudes, this.percentile) : entropyThreshold(magnitudes);
    return { min: Math.max(min, -threshold), max: Math.min(max, threshold) };
  }
}

function percentileOf(values: Float32Array, percentile: number): number {
  const sorted = values.slice().sort();
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function entropyThreshold(magnitudes: Float32Array, bins = 2048, levels = 128): number {
  let top = 0;
  for (const v of magnitudes) if (v > top) top = v;
  if (top === 0) return 0;
  const histogram = new Float64Array(bins);
  for (const v of magnitudes) histogram[Math.min(bins - 1, Math.floor((v / top) * bins))] += 1;
  let bestKl = Number.POSITIVE_INFINITY;
  let bestEnd = bins;
  for (let end = levels; end <= bins; end++) {
    // Reference distribution: the first `end` bins with the clipped tail folded into the last.
    const reference = histogram.slice(0, end);
    let tail = 0;
    for (let i = end; i < bins; i++) tail += histogram[i] as number;
    reference[end - 1] = (reference[end - 1] as number) + tail;
    // Candidate: `end` bins merged into `levels` groups, each spread back over its non-empty bins.
    const candidate = new Float64Array(end);
    const groupSize = end / levels;
    for (let g = 0; g < levels; g++) {
      const start = Math.floor(g * groupSize);
      const stop = g === levels - 1 ? end : Math.floor((g + 1) * groupSize);
      let total = 0;
      let nonEmpty = 0;
      for (let i = start; i < stop; i++) {
        total += histogram[i] as number;
        if ((histogram[i] as number) > 0) nonEmpty++;
      }
      for (let i = start; i < stop; i++) if ((histogram[i] as number) > 0) candidate[i] = total / nonEmpty;
    }
    const kl = klDivergence(reference, candidate);
    if (kl < bestKl) {
      bestKl = kl;
      bestEnd = end;
    }
  }
  return (bestEnd / bins) * top;
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let pSum = 0;
  let qSum = 0;
  for (let i = 0; i < p.length; i++) {
    pSum += p[i] as number;
    qSum += q[i] as number;
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / pSum;
    if (pi === 0) continue;
    const qi = (q[i] as number) / qSum;
    kl += qi === 0 ? pi * 20 : pi * Math.log(pi / qi);
  }
  return kl;
}
