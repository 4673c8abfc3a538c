import { roundHalfEven } from "@mc/core";
import type { ModelEditor } from "./graph-edit";
import { makeNode } from "./graph-edit";
import type { NodeProto, OnnxModel } from "./onnx-schema";

/** Calibrated float range of each activation, by value name. */
export type ActivationRanges = Record<string, { min: number; max: number }>;

/** Ops whose activations static mode quantizes (the ones onnxruntime turns into QLinear kernels). */
export const STATIC_OPS = new Set(["Conv", "MatMul", "Gemm"]);

/** Activations of a node that static mode quantizes: its data input and its output. */
export function staticActivations(node: NodeProto): string[] {
  return [node.input?.[0], node.output?.[0]].filter((name): name is string => typeof name === "string" && name !== "");
}

/**
 * uint8 affine parameters for a range, widened to contain 0 (ONNX QuantizeLinear semantics, the
 * choice onnxruntime's static quantizer makes for activations).
 */
export function activationQParams(range: { min: number; max: number }): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, range.min);
  const hi = Math.max(0, range.max);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Static QDQ: every input and output of a Conv/MatMul/Gemm in the main graph with a calibrated
 * range gets QuantizeLinear → DequantizeLinear (uint8, per tensor); the weights get their
 * DequantizeLinear from the weight-only pass. onnxruntime fuses these into QLinearConv /
 * QLinearMatMul. Returns the number of activations quantized.
 */
export function insertActivationQdq(
  model: OnnxModel,
  editor: ModelEditor,
  accept: (node: NodeProto) => boolean,
  ranges: ActivationRanges,
  settings: { opset: number; onWarning: ((message: string) => void) | undefined },
): number {
  const graph = model.graph;
  if (graph === undefined || settings.opset < 10) {
    settings.onWarning?.(`quantizeOnnx: static mode needs opset 10 for QuantizeLinear; activations left in float`);
    return 0;
  }
  const graphEditor = editor.for(graph);
  const targets = new Set<string>();
  for (const node of graph.node ?? []) {
    if (!STATIC_OPS.has(node.opType ?? "") || (node.domain ?? "") !== "" || !accept(node)) continue;
    for (const name of staticActivations(node)) if (ranges[name] !== undefined) targets.add(name);
  }
  const dequantizedName = new Map<string, string>();
  for (const name of targets) {
    const range = ranges[name] as { min: number; max: number };
    if (!Number.isFinite(range.min) || !Number.isFinite(range.max)) {
      settings.onWarning?.(`quantizeOnnx: range of '${name}' is not finite; left in float`);
      continue;
    }
    const { scale, zeroPoint } = activationQParams(range);
    const scaleName = graphEditor.addConstant(`${name}_scale`, Float32Array.of(scale), [], undefined);
    const zeroName = graphEditor.addConstant(`${name}_zero_point`, Uint8Array.of(zeroPoint), [], undefined);
    const quantized = graphEditor.fresh(`${name}_quantized`);
    const dequantized = graphEditor.fresh(`${name}_dequantized`);
    dequantizedName.set(name, dequantized);
    const pair = [
      makeNode("QuantizeLinear", [name, scaleName, zeroName], [quantized], graphEditor.fresh(`${name}_QuantizeLinear`)),
      makeNode(
        "DequantizeLinear",
        [quantized, scaleName, zeroName],
        [dequantized],
        graphEditor.fresh(`${name}_DequantizeLinear`),
      ),
    ];
    const producer = (graph.node ?? []).find((node) => node.output?.includes(name));
    if (producer === undefined) {
      for (const node of pair) graphEditor.addPrologue(node);
    } else {
      // After the producer: insert before the node that follows it.
      const nodes = graph.node ?? [];
      const next = nodes[nodes.indexOf(producer) + 1];
      if (next === undefined) {
        nodes.push(...pair);
      } else {
        for (const node of pair) graphEditor.insertBefore(next, node);
      }
    }
  }
  // Every consumer reads the fake-quantized value; graph outputs keep the float value under its name.
  for (const node of graph.node ?? []) {
    if (node.opType === "QuantizeLinear" && dequantizedName.has(node.input?.[0] ?? "")) continue;
    node.input = (node.input ?? []).map((input) => dequantizedName.get(input) ?? input);
  }
  return dequantizedName.size;
}
