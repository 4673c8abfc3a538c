import { getIntAttribute } from "./graph-walk";
import type { GraphProto, NodeProto, OnnxModel, TensorProto } from "./onnx-schema";
import { OnnxDataType } from "./onnx-schema";

/** Weight inputs of the operators the quantizer knows, by input index. */
export const WEIGHT_INPUTS: Record<string, readonly number[]> = {
  MatMul: [1],
  Gemm: [1],
  Conv: [1],
  ConvTranspose: [1],
  LSTM: [1, 2],
  GRU: [1, 2],
  RNN: [1, 2],
  Gather: [0],
};

/** Ops that only move or reshape data, through which a weight may reach its consumer. */
const DATA_MOVEMENT_OPS = new Set([
  "Identity",
  "Reshape",
  "Unsqueeze",
  "Squeeze",
  "Transpose",
  "Slice",
  "Concat",
  "Split",
]);

export interface WeightUse {
  node: NodeProto;
  /** The graph that holds `node` (may be a subgraph of the weight's graph). */
  graph: GraphProto;
  inputIndex: number;
  /** False when the weight reaches the node through data-movement ops (Slice, Concat, ...). */
  direct: boolean;
  /** Channel axis that suits this use (output channels), or undefined for per-tensor. */
  axis: number | undefined;
}

/** A float constant (initializer or Constant node) that feeds one or more weight inputs. */
export interface WeightSource {
  name: string;
  graph: GraphProto;
  graphPath: string;
  tensor: TensorProto;
  constantNode: NodeProto | undefined;
  uses: WeightUse[];
}

function isDefaultDomain(node: NodeProto): boolean {
  return node.domain === undefined || node.domain === "" || node.domain === "ai.onnx";
}

function useAxis(node: NodeProto, inputIndex: number, rank: number): number | undefined {
  if (rank < 2) return undefined;
  switch (node.opType) {
    case "MatMul":
      return rank - 1;
    case "Gemm":
      return getIntAttribute(node, "transB", 0) === 1 ? 0 : 1;
    case "ConvTranspose":
      return 1;
    case "LSTM":
    case "GRU":
    case "RNN":
      return rank === 3 ? 1 : 0;
    default:
      return inputIndex === 0 || node.opType === "Conv" ? 0 : undefined;
  }
}

type Scope = Map<string, WeightSource | NodeProto | null>;

/**
 * Finds the float32 constants that feed weight inputs of `opTypes` nodes, in all graphs and
 * subgraphs, resolving names through enclosing scopes the way ONNX does. A weight may reach
 * its node through data-movement ops (Silero's LSTM weights are sliced and concatenated into
 * gate order first); such uses are marked `direct: false`.
 */
export function findWeightSources(model: OnnxModel, accept: (node: NodeProto) => boolean): { sources: WeightSource[] } {
  const sources: WeightSource[] = [];
  const walk = (graph: GraphProto, path: string, outer: Scope[]) => {
    const scope: Scope = new Map();
    const scopes = [scope, ...outer];
    for (const value of graph.input ?? []) if (value.name) scope.set(value.name, null);
    for (const tensor of graph.initializer ?? []) {
      if (!tensor.name) continue;
      scope.set(tensor.name, isFloatTensor(tensor) ? newSource(tensor.name, graph, path, tensor, undefined) : null);
    }
    for (const [index, node] of (graph.node ?? []).entries()) {
      for (const attribute of node.attribute ?? []) {
        const label = `${path}/${node.name || `${node.opType}_${index}`}.${attribute.name}`;
        if (attribute.g !== undefined) walk(attribute.g, label, scopes);
        for (const [k, sub] of (attribute.graphs ?? []).entries()) walk(sub, `${label}[${k}]`, scopes);
      }
      const weightInputs = WEIGHT_INPUTS[node.opType ?? ""];
      if (weightInputs !== undefined && isDefaultDomain(node) && accept(node)) {
        for (const inputIndex of weightInputs) {
          const name = node.input?.[inputIndex];
          if (!name) continue;
          const reached: { source: WeightSource; direct: boolean }[] = [];
          trace(name, scopes, true, 0, reached);
          for (const { source, direct } of reached) {
            const rank = source.tensor.dims?.length ?? 0;
            const axis = direct ? useAxis(node, inputIndex, rank) : rank >= 2 ? 0 : undefined;
            source.uses.push({ node, graph, inputIndex, direct, axis });
          }
        }
      }
      const constantTensor = node.opType === "Constant" && isDefaultDomain(node) ? constantValue(node) : undefined;
      for (const output of node.output ?? []) {
        if (!output) continue;
        if (constantTensor !== undefined && isFloatTensor(constantTensor)) {
          scope.set(output, newSource(output, graph, path, constantTensor, node));
        } else {
          scope.set(output, node);
        }
      }
    }
  };
  const newSource = (
    name: string,
    graph: GraphProto,
    path: string,
    tensor: TensorProto,
    constantNode: NodeProto | undefined,
  ): WeightSource => {
    const source: WeightSource = { name, graph, graphPath: path, tensor, constantNode, uses: [] };
    sources.push(source);
    return source;
  };
  const trace = (
    name: string,
    scopes: Scope[],
    direct: boolean,
    depth: number,
    reached: { source: WeightSource; direct: boolean }[],
  ) => {
    for (const scope of scopes) {
      if (!scope.has(name)) continue;
      const entry = scope.get(name);
      if (entry === null || entry === undefined) return;
      if ("uses" in entry) {
        reached.push({ source: entry as WeightSource, direct });
        return;
      }
      const producer = entry as NodeProto;
      if (depth >= 8 || !DATA_MOVEMENT_OPS.has(producer.opType ?? "") || !isDefaultDomain(producer)) return;
      const inputs = producer.opType === "Concat" ? (producer.input ?? []) : (producer.input ?? []).slice(0, 1);
      for (const input of inputs) if (input) trace(input, scopes, false, depth + 1, reached);
      return;
    }
  };
  if (model.graph !== undefined) walk(model.graph, "main", []);
  return { sources: sources.filter((source) => source.uses.length > 0) };
}

export function constantValue(node: NodeProto): TensorProto | undefined {
  return node.attribute?.find((attribute) => attribute.name === "value")?.t;
}

function isFloatTensor(tensor: TensorProto): boolean {
  return tensor.dataType === OnnxDataType.FLOAT && tensor.dataLocation !== 1;
}
