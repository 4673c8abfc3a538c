import { assertOneOf, FormatError, InvalidArgumentError } from "@mc/core";
import { EntropyObserver, MinMaxObserver, PercentileObserver } from "@mc/quant";
import { cloneModel } from "./graph-walk";
import type { OnnxModel } from "./onnx-schema";
import { OnnxDataType } from "./onnx-schema";
import { type ActivationRanges, STATIC_OPS, staticActivations } from "./quantize-static";
import { writeOnnx } from "./read-onnx";

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
  /** @mc/quant observer: MinMaxObserver, PercentileObserver or EntropyObserver (default "minmax"); ignored when `createObserver` is given. */
  method?: "minmax" | "percentile" | "entropy";
  /** Percentile kept by the "percentile" method (default 99.99). */
  percentile?: number;
  /** Observer per activation, e.g. `() => new HistogramObserver()` from @mc/quant. */
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
    throw new InvalidArgumentError({
      message: "calibrateOnnx: options.batches must hold at least one batch",
      argument: "options.batches",
    });
  }
  const augmented = cloneModel(model);
  const graph = augmented.graph;
  if (graph === undefined)
    throw new InvalidArgumentError({ message: "calibrateOnnx: model has no graph", argument: "model" });
  const existing = new Set((graph.output ?? []).map((v) => v.name));
  const names: string[] = [];
  for (const node of graph.node ?? []) {
    if (!STATIC_OPS.has(node.opType ?? "") || (node.domain ?? "") !== "") continue;
    for (const name of staticActivations(node)) if (!names.includes(name)) names.push(name);
  }
  for (const name of names) {
    if (!existing.has(name))
      graph.output = [...(graph.output ?? []), { name, type: { tensorType: { elemType: OnnxDataType.FLOAT } } }];
  }
  const bytes = writeOnnx(augmented).bytes;
  const make = createObserver ?? (() => builtInObserver(method, percentile));
  const observers = new Map(names.map((name) => [name, make()]));
  for (const feeds of batches) {
    const outputs = await run(bytes, feeds, names);
    for (const name of names) {
      const value = outputs[name];
      if (value === undefined)
        throw new FormatError({ message: `calibrateOnnx: the runner returned no output '${name}'` });
      const data = value.data instanceof Float32Array ? value.data : Float32Array.from(value.data);
      observers.get(name)?.observe({ data, shape: [...(value.dims ?? [data.length])] });
    }
  }
  const ranges: ActivationRanges = {};
  for (const [name, observer] of observers) ranges[name] = observer.range();
  return { ranges, tensorNames: names };
}

function builtInObserver(method: "minmax" | "percentile" | "entropy", percentile: number): ActivationObserver {
  if (method === "minmax") return new MinMaxObserver();
  if (method === "percentile") return new PercentileObserver({ percentile });
  return new EntropyObserver();
}
