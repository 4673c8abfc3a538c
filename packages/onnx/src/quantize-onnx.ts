import { assertInteger, assertOneOf, InvalidArgumentError, UnsupportedError } from "@mc/core";
import { foldBatchNormInPlace } from "./fold-batch-norm";
import { ModelEditor } from "./graph-edit";
import { cloneModel, collectNames, defaultOpsetVersion, forEachTensorProto } from "./graph-walk";
import type { NodeProto, OnnxModel } from "./onnx-schema";
import { tensorProtoStoredBytes } from "./onnx-tensor";
import { quantizeDynamicMatMuls } from "./quantize-dynamic";
import { ensureMicrosoftOpset, quantizeNBitsMatMuls } from "./quantize-nbits";
import { type ActivationRanges, insertActivationQdq } from "./quantize-static";
import { quantizeSourceWeightOnly, type TensorQuantizationReport } from "./quantize-weight-only";
import { writeOnnx } from "./read-onnx";
import type { WeightDtype, WeightOnlyDtype } from "./weight-quant";
import { findWeightSources, WEIGHT_INPUTS } from "./weight-sources";

export type QuantizeMode = "weight-only" | "dynamic" | "static" | "nbits";

export interface QuantizeOnnxOptions {
  /** Default "weight-only". */
  mode?: QuantizeMode;
  /**
   * Integer type of 8-bit weights: int8 symmetric or uint8 asymmetric. Default int8 for
   * weight-only; uint8 for dynamic and static, because onnxruntime's x86 u8×s8 integer kernels
   * (AVX2/AVX-512 without VNNI) saturate int16 pair sums and lose whole outputs, while u8×u8 does not.
   */
  weightType?: WeightOnlyDtype;
  /** One scale per output channel (default) instead of one per tensor. */
  perChannel?: boolean;
  /** Weights with fewer elements stay float: their scales and nodes would cost more than they save. */
  minElements?: number;
  /** Op types whose weights are quantized (default: MatMul, Gemm, Conv, ConvTranspose, LSTM, GRU, RNN, Gather). */
  opTypes?: string[];
  /** Op types left alone. */
  excludeOpTypes?: string[];
  /** Only nodes with these names (when given). */
  includeNodes?: string[];
  /** Nodes (by name) left alone. */
  excludeNodes?: string[];
  /** Weight tensors (by name) left alone. */
  excludeTensors?: string[];
  /** nbits mode: block size along K (16, 32, 64 or 128; default 32). */
  blockSize?: number;
  /** nbits mode: symmetric blocks (default, zero point 8 implicit) or with stored zero points. */
  symmetric?: boolean;
  /** static mode: activation ranges from `calibrateOnnx`. */
  activationRanges?: ActivationRanges;
  /** Fold BatchNormalization into the Conv before it where exact (default true). */
  foldBatchNorm?: boolean;
  onWarning?: (message: string) => void;
}

const defaults = {
  mode: "weight-only" as QuantizeMode,
  perChannel: true,
  minElements: 128,
  opTypes: Object.keys(WEIGHT_INPUTS),
  excludeOpTypes: [] as string[],
  includeNodes: undefined as string[] | undefined,
  excludeNodes: [] as string[],
  excludeTensors: [] as string[],
  blockSize: 32,
  symmetric: true,
  activationRanges: undefined as ActivationRanges | undefined,
  foldBatchNorm: true,
  onWarning: undefined as ((message: string) => void) | undefined,
};

export interface QuantizeOnnxReport {
  mode: QuantizeMode;
  opset: number;
  /** One entry per weight considered, quantized or skipped (with `reason`). */
  tensors: TensorQuantizationReport[];
  /** Bytes of all tensors in the model (initializers and Constant nodes), before and after. */
  weightBytesBefore: number;
  weightBytesAfter: number;
  /** Serialized model size before and after. */
  fileBytesBefore: number;
  fileBytesAfter: number;
  /** BatchNormalization nodes folded into Conv. */
  foldedBatchNorms: number;
  /** Activations given QuantizeLinear/DequantizeLinear pairs (static mode). */
  quantizedActivations: number;
}

export interface QuantizeOnnxResult {
  model: OnnxModel;
  report: QuantizeOnnxReport;
}

function totalTensorBytes(model: OnnxModel): number {
  let total = 0;
  forEachTensorProto(model, (tensor) => {
    total += tensorProtoStoredBytes(tensor);
  });
  return total;
}

/**
 * Quantizes an ONNX model's weights (and, in static mode, activations). The input model is not
 * modified; the result runs in onnxruntime-node and onnxruntime-web.
 */
export function quantizeOnnx(model: OnnxModel, options: QuantizeOnnxOptions = {}): QuantizeOnnxResult {
  const weightType: WeightOnlyDtype = options.mode === "dynamic" || options.mode === "static" ? "uint8" : "int8";
  const settings = { ...defaults, weightType, ...options };
  const caller = "quantizeOnnx";
  assertOneOf(settings.mode, ["weight-only", "dynamic", "static", "nbits"] as const, caller, "options.mode");
  assertOneOf(settings.weightType, ["int8", "uint8", "int4"] as const, caller, "options.weightType");
  if (settings.weightType === "int4" && settings.mode !== "weight-only") {
    throw new InvalidArgumentError({
      message: `${caller}: options.weightType "int4" is for weight-only mode; use mode "nbits" for 4-bit MatMul`,
      argument: "options.weightType",
      value: settings.weightType,
    });
  }
  assertInteger(settings.minElements, caller, "options.minElements", { min: 0 });
  if (![16, 32, 64, 128, 256].includes(settings.blockSize)) {
    throw new InvalidArgumentError({
      message: `${caller}: options.blockSize must be 16, 32, 64, 128 or 256, got ${settings.blockSize}`,
      argument: "options.blockSize",
      value: settings.blockSize,
    });
  }
  if (typeof model !== "object" || model === null || model.graph === undefined) {
    throw new InvalidArgumentError({
      message: `${caller}: model must be an ONNX model with a graph`,
      argument: "model",
    });
  }
  const opset = defaultOpsetVersion(model) ?? 0;
  if (opset < 9) {
    throw new UnsupportedError({
      message: `${caller}: default-domain opset ${opset} is not supported; quantization needs opset 9 or newer`,
      feature: `opset ${opset}`,
    });
  }
  if (settings.mode === "static" && settings.activationRanges === undefined) {
    throw new InvalidArgumentError({
      message: `${caller}: static mode needs options.activationRanges (from calibrateOnnx)`,
      argument: "options.activationRanges",
    });
  }
  const fileBytesBefore = writeOnnx(model).bytes.length;
  const weightBytesBefore = totalTensorBytes(model);
  const work = cloneModel(model);
  const foldedBatchNorms = settings.foldBatchNorm ? foldBatchNormInPlace(work) : 0;

  const opTypes = new Set(settings.opTypes.filter((op) => !settings.excludeOpTypes.includes(op)));
  const includeNodes = settings.includeNodes === undefined ? undefined : new Set(settings.includeNodes);
  const excludeNodes = new Set(settings.excludeNodes);
  const accept = (node: NodeProto) =>
    opTypes.has(node.opType ?? "") &&
    (includeNodes === undefined || includeNodes.has(node.name ?? "")) &&
    !excludeNodes.has(node.name ?? "");
  const excludeTensors = new Set(settings.excludeTensors);

  const names = collectNames(work);
  const tensors: TensorQuantizationReport[] = [];
  let quantizedActivations = 0;

  if (settings.mode === "static") {
    const editor = new ModelEditor(work.graph, names);
    quantizedActivations = insertActivationQdq(work, editor, accept, settings.activationRanges as ActivationRanges, {
      opset,
      onWarning: settings.onWarning,
    });
    editor.commit();
  }
  if (settings.mode === "dynamic" || settings.mode === "nbits") {
    const editor = new ModelEditor(work.graph, names);
    const { sources } = findWeightSources(work, accept);
    const candidates = sources.filter((source) => !excludeTensors.has(source.name));
    const converted =
      settings.mode === "dynamic"
        ? quantizeDynamicMatMuls(candidates, editor, {
            ...settings,
            weightType: settings.weightType as WeightDtype,
            opset,
          })
        : quantizeNBitsMatMuls(candidates, editor, settings);
    tensors.push(...converted);
    if (settings.mode === "nbits" && converted.length > 0) ensureMicrosoftOpset(work);
    editor.commit();
    removeUnusedConstants(work, new Set(converted.filter((r) => r.format !== "skipped").map((r) => r.name)));
  }
  {
    // Weight-only for everything still float: all weights in weight-only and static mode; the
    // Conv/LSTM/Gather (and unconvertible MatMul) weights in dynamic and nbits mode, as int8.
    const editor = new ModelEditor(work.graph, names);
    const done = new Set(tensors.map((t) => t.name));
    const { sources } = findWeightSources(work, accept);
    for (const source of sources) {
      if (excludeTensors.has(source.name) || done.has(source.name)) continue;
      tensors.push(
        quantizeSourceWeightOnly(source, editor, {
          weightType: settings.mode === "nbits" ? "int8" : settings.weightType,
          blockSize: settings.blockSize,
          perChannel: settings.perChannel,
          minElements: settings.minElements,
          opset,
        }),
      );
    }
    editor.commit();
  }
  return {
    model: work,
    report: {
      mode: settings.mode,
      opset,
      tensors,
      weightBytesBefore,
      weightBytesAfter: totalTensorBytes(work),
      fileBytesBefore,
      fileBytesAfter: writeOnnx(work).bytes.length,
      foldedBatchNorms,
      quantizedActivations,
    },
  };
}

/** Drops initializers and Constant nodes among `candidates` that nothing reads any more. */
function removeUnusedConstants(model: OnnxModel, candidates: Set<string>): void {
  if (candidates.size === 0) return;
  const used = new Set<string>();
  const graphs: import("./onnx-schema").GraphProto[] = [];
  const collect = (graph: import("./onnx-schema").GraphProto) => {
    graphs.push(graph);
    for (const value of graph.output ?? []) if (value.name) used.add(value.name);
    for (const node of graph.node ?? []) {
      for (const input of node.input ?? []) if (input) used.add(input);
      for (const attribute of node.attribute ?? []) {
        if (attribute.g !== undefined) collect(attribute.g);
        for (const sub of attribute.graphs ?? []) collect(sub);
      }
    }
  };
  if (model.graph !== undefined) collect(model.graph);
  for (const graph of graphs) {
    graph.initializer = (graph.initializer ?? []).filter(
      (t) => !candidates.has(t.name ?? "") || used.has(t.name ?? ""),
    );
    graph.input = (graph.input ?? []).filter((v) => !candidates.has(v.name ?? "") || used.has(v.name ?? ""));
    graph.node = (graph.node ?? []).filter(
      (node) =>
        !(node.opType === "Constant" && candidates.has(node.output?.[0] ?? "") && !used.has(node.output?.[0] ?? "")),
    );
  }
}
