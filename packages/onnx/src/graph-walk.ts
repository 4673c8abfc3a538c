import type { AttributeProto, GraphProto, NodeProto, OnnxModel, TensorProto } from "./onnx-schema";

/** Where a graph sits: `main`, or the node and attribute that holds it, e.g. `main/If_0.then_branch`. */
export interface GraphLocation {
  path: string;
  depth: number;
  parent: GraphProto | undefined;
}

/** Calls `visit` for the main graph and every subgraph (If/Loop/Scan bodies), parents first. */
export function forEachGraph(model: OnnxModel, visit: (graph: GraphProto, location: GraphLocation) => void): void {
  if (model.graph === undefined) return;
  const walk = (graph: GraphProto, location: GraphLocation) => {
    visit(graph, location);
    for (const [index, node] of (graph.node ?? []).entries()) {
      for (const attribute of node.attribute ?? []) {
        const label = `${location.path}/${node.name || `${node.opType}_${index}`}.${attribute.name}`;
        if (attribute.g !== undefined) walk(attribute.g, { path: label, depth: location.depth + 1, parent: graph });
        for (const [k, sub] of (attribute.graphs ?? []).entries()) {
          walk(sub, { path: `${label}[${k}]`, depth: location.depth + 1, parent: graph });
        }
      }
    }
  };
  walk(model.graph, { path: "main", depth: 0, parent: undefined });
}

/** Calls `visit` for every node of the model: all graphs and subgraphs, plus model-local functions. */
export function forEachNode(model: OnnxModel, visit: (node: NodeProto, graph: GraphProto | undefined) => void): void {
  forEachGraph(model, (graph) => {
    for (const node of graph.node ?? []) visit(node, graph);
  });
  for (const fn of model.functions ?? []) for (const node of fn.node ?? []) visit(node, undefined);
}

/** Calls `visit` for every TensorProto held by the model: initializers and Constant/attribute tensors. */
export function forEachTensorProto(
  model: OnnxModel,
  visit: (tensor: TensorProto, where: { graph: GraphProto; node?: NodeProto; location: GraphLocation }) => void,
): void {
  forEachGraph(model, (graph, location) => {
    for (const tensor of graph.initializer ?? []) visit(tensor, { graph, location });
    for (const node of graph.node ?? []) {
      for (const attribute of node.attribute ?? []) {
        if (attribute.t !== undefined) visit(attribute.t, { graph, node, location });
        for (const tensor of attribute.tensors ?? []) visit(tensor, { graph, node, location });
      }
    }
  });
}

/**
 * A copy of the model in which every TensorProto (initializers and attribute tensors, in all
 * subgraphs) was passed through `map`. Objects on the way are shallow-copied, so the input model
 * is never mutated and unchanged tensors are shared rather than duplicated.
 */
export function mapModelTensors(model: OnnxModel, map: (tensor: TensorProto) => TensorProto): OnnxModel {
  const mapGraph = (graph: GraphProto): GraphProto => ({
    ...graph,
    initializer: (graph.initializer ?? []).map(map),
    node: (graph.node ?? []).map((node) => mapNode(node)),
  });
  const mapAttribute = (attribute: AttributeProto): AttributeProto => {
    const copy: AttributeProto = { ...attribute };
    if (attribute.t !== undefined) copy.t = map(attribute.t);
    if (attribute.tensors !== undefined) copy.tensors = attribute.tensors.map(map);
    if (attribute.g !== undefined) copy.g = mapGraph(attribute.g);
    if (attribute.graphs !== undefined) copy.graphs = attribute.graphs.map(mapGraph);
    return copy;
  };
  const mapNode = (node: NodeProto): NodeProto =>
    node.attribute === undefined || node.attribute.length === 0
      ? node
      : { ...node, attribute: node.attribute.map(mapAttribute) };
  return model.graph === undefined ? { ...model } : { ...model, graph: mapGraph(model.graph) };
}

/** The version of the default ONNX domain the model imports (`""` or `ai.onnx`), or undefined. */
export function defaultOpsetVersion(model: OnnxModel): number | undefined {
  const entry = (model.opsetImport ?? []).find(
    (o) => o.domain === undefined || o.domain === "" || o.domain === "ai.onnx",
  );
  return entry?.version;
}

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function getIntAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = getAttribute(node, name);
  return attribute?.i !== undefined ? Number(attribute.i) : fallback;
}

export function getFloatAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = getAttribute(node, name);
  return attribute?.f !== undefined ? attribute.f : fallback;
}

/**
 * A structural copy of the model: graphs, nodes, attributes, value infos and tensor records are
 * new objects, tensor bytes are shared. Passes that rewrite graphs work on this copy so that the
 * caller's model stays untouched.
 */
export function cloneModel(model: OnnxModel): OnnxModel {
  const cloneGraph = (graph: GraphProto): GraphProto => ({
    ...graph,
    node: (graph.node ?? []).map(cloneNode),
    initializer: (graph.initializer ?? []).map((tensor) => ({ ...tensor })),
    input: [...(graph.input ?? [])],
    output: [...(graph.output ?? [])],
    valueInfo: [...(graph.valueInfo ?? [])],
  });
  const cloneNode = (node: NodeProto): NodeProto => ({
    ...node,
    input: [...(node.input ?? [])],
    output: [...(node.output ?? [])],
    attribute: (node.attribute ?? []).map((attribute) => {
      const copy: AttributeProto = { ...attribute };
      if (attribute.t !== undefined) copy.t = { ...attribute.t };
      if (attribute.g !== undefined) copy.g = cloneGraph(attribute.g);
      if (attribute.graphs !== undefined) copy.graphs = attribute.graphs.map(cloneGraph);
      return copy;
    }),
  });
  return {
    ...model,
    opsetImport: (model.opsetImport ?? []).map((entry) => ({ ...entry })),
    ...(model.graph === undefined ? {} : { graph: cloneGraph(model.graph) }),
  };
}

/** Every value and node name used anywhere in the model, for generating fresh names. */
export function collectNames(model: OnnxModel): Set<string> {
  const names = new Set<string>();
  forEachGraph(model, (graph) => {
    for (const value of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
      if (value.name) names.add(value.name);
    }
    for (const tensor of graph.initializer ?? []) if (tensor.name) names.add(tensor.name);
    for (const node of graph.node ?? []) {
      if (node.name) names.add(node.name);
      for (const name of [...(node.input ?? []), ...(node.output ?? [])]) if (name) names.add(name);
    }
  });
  return names;
}

/** `base`, or `base_1`, `base_2`, ... whichever is not taken yet; the result is reserved. */
export function freshName(names: Set<string>, base: string): string {
  let name = base;
  for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
  names.add(name);
  return name;
}
