import { InvalidArgumentError } from "@mc/core";
import { defaultOpsetVersion, forEachGraph, forEachNode, forEachTensorProto } from "./graph-walk";
import type { OnnxModel } from "./onnx-schema";
import { dataTypeName, tensorProtoElementCount, tensorProtoStoredBytes } from "./onnx-tensor";

export interface InspectedTensor {
  name: string;
  /** `main` or the subgraph path. */
  graph: string;
  /** Where the data lives: a graph initializer or a Constant node's value. */
  kind: "initializer" | "constant";
  dataType: string;
  shape: number[];
  elementCount: number;
  /** Bytes of stored data (raw_data, typed fields or external file range). */
  bytes: number;
}

export interface OnnxInspection {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  /** Operator counts over all graphs and functions, most frequent first. */
  operators: { opType: string; domain: string; count: number }[];
  nodeCount: number;
  graphCount: number;
  inputs: string[];
  outputs: string[];
  tensors: InspectedTensor[];
  /** Elements of all float tensors (the model's parameters). */
  parameterCount: number;
  /** Bytes of all stored tensors. */
  tensorBytes: number;
}

/** Operators, parameter counts and bytes per initializer (also Constant nodes and subgraphs). */
export function inspectOnnx(model: OnnxModel): OnnxInspection {
  if (typeof model !== "object" || model === null || model.graph === undefined) {
    throw new InvalidArgumentError({
      message: "inspectOnnx: model must be an ONNX model with a graph",
      argument: "model",
    });
  }
  const counts = new Map<string, { opType: string; domain: string; count: number }>();
  let nodeCount = 0;
  forEachNode(model, (node) => {
    nodeCount++;
    const domain = node.domain ?? "";
    const key = `${domain}::${node.opType}`;
    const entry = counts.get(key) ?? { opType: node.opType ?? "", domain, count: 0 };
    entry.count++;
    counts.set(key, entry);
  });
  let graphCount = 0;
  forEachGraph(model, () => {
    graphCount++;
  });
  const tensors: InspectedTensor[] = [];
  forEachTensorProto(model, (tensor, where) => {
    tensors.push({
      name: where.node === undefined ? (tensor.name ?? "") : (where.node.output?.[0] ?? tensor.name ?? ""),
      graph: where.location.path,
      kind: where.node === undefined ? "initializer" : "constant",
      dataType: dataTypeName(tensor.dataType ?? 0),
      shape: [...(tensor.dims ?? [])],
      elementCount: tensorProtoElementCount(tensor, "inspectOnnx"),
      bytes: tensorProtoStoredBytes(tensor),
    });
  });
  const isFloat = (t: InspectedTensor) => ["float32", "float16", "bfloat16", "float64"].includes(t.dataType);
  return {
    irVersion: Number(model.irVersion ?? 0),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? "", version: Number(o.version ?? 0) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    operators: [...counts.values()].sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)),
    nodeCount,
    graphCount,
    inputs: (model.graph.input ?? []).map((v) => v.name ?? ""),
    outputs: (model.graph.output ?? []).map((v) => v.name ?? ""),
    tensors,
    parameterCount: tensors.filter(isFloat).reduce((sum, t) => sum + t.elementCount, 0),
    tensorBytes: tensors.reduce((sum, t) => sum + t.bytes, 0),
  };
}

export { defaultOpsetVersion };
