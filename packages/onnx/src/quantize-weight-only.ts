import { findNonFinite } from "@mc/core";
import { quantizeBlockwise } from "@mc/quant";
import type { GraphEditor, ModelEditor } from "./graph-edit";
import { makeNode } from "./graph-edit";
import type { NodeProto } from "./onnx-schema";
import { OnnxDataType } from "./onnx-schema";
import { decodeTensor, tensorProtoStoredBytes, tensorToFloat32 } from "./onnx-tensor";
import { quantizeWeight, sqnrDb, type WeightOnlyDtype } from "./weight-quant";
import type { WeightSource } from "./weight-sources";

/** What happened to one weight tensor. */
export interface TensorQuantizationReport {
  name: string;
  /** `main`, or the path of the subgraph that holds the tensor. */
  graph: string;
  shape: number[];
  /** Operators that consume the weight. */
  consumers: string[];
  /** e.g. `int8 per-channel (axis 0)`, `MatMulNBits 4-bit block 32`, or `skipped`. */
  format: string;
  bytesBefore: number;
  bytesAfter: number;
  /** Signal-to-quantization-noise ratio of the stored weight in dB (Infinity when exact). */
  sqnrDb: number;
  /** Why the tensor was left as it was (only for skipped tensors). */
  reason?: string;
}

export interface WeightOnlySettings {
  weightType: WeightOnlyDtype;
  /** Block size of int4 weights. */
  blockSize: number;
  perChannel: boolean;
  minElements: number;
  opset: number;
}

/** Per-channel axis when all uses agree on one; per-tensor otherwise. */
export function chooseAxis(source: WeightSource, perChannel: boolean): number | undefined {
  if (!perChannel) return undefined;
  const axes = new Set(source.uses.map((use) => use.axis));
  return axes.size === 1 ? [...axes][0] : undefined;
}

export function consumersOf(source: WeightSource): string[] {
  return [...new Set(source.uses.map((use) => use.node.opType ?? ""))];
}

/** Reasons not to quantize a weight, or undefined when it should be. */
export function skipReason(values: Float32Array, minElements: number): string | undefined {
  if (values.length < minElements) return `${values.length} elements < minElements ${minElements}`;
  const bad = findNonFinite(values);
  if (bad >= 0) return `non-finite value ${values[bad]} at index ${bad}`;
  return undefined;
}

/**
 * Replaces the weight by int8/uint8 data and a DequantizeLinear that recreates it under its own
 * name, so every consumer (also in subgraphs) reads the dequantized weight unchanged. Opsets
 * without DequantizeLinear (< 10) or without its `axis` (< 13) get Cast → (Sub) → Mul instead.
 */
export function quantizeSourceWeightOnly(
  source: WeightSource,
  editor: ModelEditor,
  settings: WeightOnlySettings,
): TensorQuantizationReport {
  const tensor = decodeTensor(source.tensor, "quantizeOnnx");
  const values = tensorToFloat32(tensor);
  const bytesBefore = tensorProtoStoredBytes(source.tensor);
  const base: TensorQuantizationReport = {
    name: source.name,
    graph: source.graphPath,
    shape: tensor.shape,
    consumers: consumersOf(source),
    format: "skipped",
    bytesBefore,
    bytesAfter: bytesBefore,
    sqnrDb: Number.POSITIVE_INFINITY,
  };
  const reason = skipReason(values, settings.minElements);
  if (reason !== undefined) return { ...base, reason };
  const axis = chooseAxis(source, settings.perChannel);
  if (settings.weightType === "int4") {
    const int4 = quantizeInt4(source, editor, settings, values, tensor.shape, axis, base);
    if (int4 !== undefined) return int4;
  }
  // int4 falls back to int8 where the opset or the shape does not allow blocks.
  const weightType = settings.weightType === "uint8" ? "uint8" : "int8";
  const quantized = quantizeWeight(values, tensor.shape, axis, weightType);
  const channels = quantized.scale.length;
  const hasZeroPoint = weightType === "uint8";
  const bytesAfter = values.length + 4 * channels + (hasZeroPoint ? channels : 0);
  if (bytesAfter >= bytesBefore) {
    return { ...base, reason: `quantized size ${bytesAfter} B is not below ${bytesBefore} B` };
  }
  const graphEditor = editor.for(source.graph);
  const anchor = source.constantNode;
  const shape = tensor.shape;
  const useDequantizeLinear = settings.opset >= 13 || (settings.opset >= 10 && axis === undefined);
  const nodes: NodeProto[] = [];
  const dataName = graphEditor.addConstant(`${source.name}_quantized`, quantized.data, shape, anchor);
  if (useDequantizeLinear) {
    const scaleShape = axis === undefined ? [] : [channels];
    const inputs = [dataName, graphEditor.addConstant(`${source.name}_scale`, quantized.scale, scaleShape, anchor)];
    if (hasZeroPoint) {
      const zeroPoint = Uint8Array.from(quantized.zeroPoint);
      inputs.push(graphEditor.addConstant(`${source.name}_zero_point`, zeroPoint, scaleShape, anchor));
    }
    const attributes: Record<string, number> = axis === undefined ? {} : { axis };
    nodes.push(
      makeNode(
        "DequantizeLinear",
        inputs,
        [source.name],
        graphEditor.fresh(`${source.name}_DequantizeLinear`),
        attributes,
      ),
    );
  } else {
    nodes.push(...castMulFallback(graphEditor, source, dataName, quantized, shape, axis, hasZeroPoint, anchor));
  }
  placeNodes(graphEditor, source, nodes);
  const format = `${weightType} ${axis === undefined ? "per-tensor" : `per-channel (axis ${axis})`}${useDequantizeLinear ? "" : " via Cast+Mul"}`;
  return { ...base, format, bytesAfter, sqnrDb: sqnrDb(values, quantized.dequantized) };
}

function castMulFallback(
  editor: GraphEditor,
  source: WeightSource,
  dataName: string,
  quantized: { scale: Float32Array; zeroPoint: Int32Array },
  shape: readonly number[],
  axis: number | undefined,
  hasZeroPoint: boolean,
  anchor: NodeProto | undefined,
): NodeProto[] {
  // Shape [1, .., C, .., 1] broadcasts a per-channel vector against the weight.
  const broadcastShape = axis === undefined ? [] : shape.map((dim, i) => (i === axis ? dim : 1));
  const nodes: NodeProto[] = [];
  let current = editor.fresh(`${source.name}_cast`);
  nodes.push(makeNode("Cast", [dataName], [current], editor.fresh(`${source.name}_Cast`), { to: 1 }));
  if (hasZeroPoint) {
    const zero = editor.addConstant(
      `${source.name}_zero_point_float`,
      Float32Array.from(quantized.zeroPoint),
      broadcastShape,
      anchor,
    );
    const shifted = editor.fresh(`${source.name}_shifted`);
    nodes.push(makeNode("Sub", [current, zero], [shifted], editor.fresh(`${source.name}_Sub`)));
    current = shifted;
  }
  const scale = editor.addConstant(`${source.name}_scale`, quantized.scale, broadcastShape, anchor);
  nodes.push(makeNode("Mul", [current, scale], [source.name], editor.fresh(`${source.name}_Mul`)));
  return nodes;
}

function placeNodes(editor: GraphEditor, source: WeightSource, nodes: NodeProto[]): void {
  if (source.constantNode !== undefined) {
    editor.replaceNode(source.constantNode, nodes);
    return;
  }
  editor.removeInitializer(source.name);
  for (const node of nodes) editor.addPrologue(node);
}

/**
 * int4 blockwise (DequantizeLinear opset 21 with `block_size`): 2-D weights only, blocks along
 * the reduction axis (the one that is not the output channel), symmetric levels -7..7.
 * Returns undefined when the opset or shape does not allow it.
 */
function quantizeInt4(
  source: WeightSource,
  editor: ModelEditor,
  settings: WeightOnlySettings,
  values: Float32Array,
  shape: number[],
  axis: number | undefined,
  base: TensorQuantizationReport,
): TensorQuantizationReport | undefined {
  if (settings.opset < 21 || shape.length !== 2 || axis === undefined) return undefined;
  const blockAxis = 1 - axis;
  if ((shape[blockAxis] as number) % settings.blockSize !== 0) return undefined;
  const quantized = quantizeBlockwise(
    { data: values, shape },
    { blockSize: settings.blockSize, axis: blockAxis, dtype: "int4", symmetric: true, narrowRange: true },
  );
  const scaleShape = shape.map((dim, i) => (i === blockAxis ? dim / settings.blockSize : dim));
  const graphEditor = editor.for(source.graph);
  const anchor = source.constantNode;
  const packed = new Uint8Array(quantized.data.buffer, quantized.data.byteOffset, quantized.data.byteLength);
  const dataName = graphEditor.addPackedConstant(`${source.name}_quantized`, packed, shape, OnnxDataType.INT4, anchor);
  const scaleName = graphEditor.addConstant(`${source.name}_scale`, quantized.scale, scaleShape, anchor);
  const node = makeNode(
    "DequantizeLinear",
    [dataName, scaleName],
    [source.name],
    graphEditor.fresh(`${source.name}_DequantizeLinear`),
    {
      axis: blockAxis,
      block_size: settings.blockSize,
    },
  );
  placeNodes(graphEditor, source, [node]);
  const dequantized = new Float32Array(values.length);
  const [rows, cols] = shape as [number, number];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const byte = packed[i >> 1] as number;
      const q = (((i & 1 ? byte >> 4 : byte) & 0xf) << 28) >> 28;
      const block =
        blockAxis === 0
          ? Math.floor(r / settings.blockSize) * cols + c
          : r * (cols / settings.blockSize) + Math.floor(c / settings.blockSize);
      dequantized[i] = q * (quantized.scale[block] as number);
    }
  }
  const bytesAfter = packed.length + 4 * quantized.scale.length;
  return {
    ...base,
    format: `int4 blockwise (axis ${blockAxis}, block ${settings.blockSize})`,
    bytesAfter,
    sqnrDb: sqnrDb(values, dequantized),
  };
}
