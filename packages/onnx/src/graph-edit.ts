import { freshName } from "./graph-walk";
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from "./onnx-schema";
import { OnnxAttributeType } from "./onnx-schema";
import type { OnnxTensorData, OnnxTensorDataType } from "./onnx-tensor";
import { encodeTensor } from "./onnx-tensor";

/** Builds a NodeProto; attribute values are typed by their JavaScript type. */
export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attributes: Record<string, number | number[] | TensorProto | string> = {},
  domain?: string,
): NodeProto {
  const attribute: AttributeProto[] = Object.entries(attributes).map(([key, value]) => {
    if (typeof value === "string")
      return { name: key, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name: key, type: OnnxAttributeType.INTS, ints: value };
    if (typeof value === "number") {
      return Number.isInteger(value) && !floatAttributes.has(key)
        ? { name: key, type: OnnxAttributeType.INT, i: value }
        : { name: key, type: OnnxAttributeType.FLOAT, f: value };
    }
    return { name: key, type: OnnxAttributeType.TENSOR, t: value };
  });
  const node: NodeProto = { input: inputs, output: outputs, name, opType, attribute };
  if (domain !== undefined) node.domain = domain;
  return node;
}

/** Attributes that ONNX types as float even when the value is integral. */
const floatAttributes = new Set(["alpha", "beta", "epsilon", "momentum", "gamma", "bias"]);

/**
 * Collects the tensors and nodes a rewrite adds to one graph. Constants go in as initializers in
 * the main graph and as Constant nodes inside subgraphs (where they are placed before the node
 * they replace), which every runtime accepts.
 */
export class GraphEditor {
  readonly graph: GraphProto;
  readonly isSubgraph: boolean;
  private readonly names: Set<string>;
  private readonly before = new Map<NodeProto, NodeProto[]>();
  private readonly replaced = new Map<NodeProto, NodeProto[]>();
  private readonly prologue: NodeProto[] = [];
  private readonly removedInitializers = new Set<string>();

  constructor(graph: GraphProto, isSubgraph: boolean, names: Set<string>) {
    this.graph = graph;
    this.isSubgraph = isSubgraph;
    this.names = names;
  }

  fresh(base: string): string {
    return freshName(this.names, base);
  }

  /** Adds a constant tensor named after `base`; returns its name. `anchor` is where a subgraph puts it. */
  addConstant(
    base: string,
    data: OnnxTensorData,
    shape: readonly number[],
    anchor: NodeProto | undefined,
    dataType?: OnnxTensorDataType,
  ): string {
    const name = this.fresh(base);
    this.place(encodeTensor(name, data, shape, dataType), anchor);
    return name;
  }

  /** Like `addConstant` for packed types encodeTensor does not build (int4: two values per byte). */
  addPackedConstant(
    base: string,
    rawData: Uint8Array,
    shape: readonly number[],
    dataType: number,
    anchor: NodeProto | undefined,
  ): string {
    const name = this.fresh(base);
    this.place({ dims: [...shape], dataType, name, rawData }, anchor);
    return name;
  }

  private place(tensor: TensorProto, anchor: NodeProto | undefined): void {
    const name = tensor.name as string;
    if (!this.isSubgraph || anchor === undefined) {
      if (this.graph.initializer === undefined) this.graph.initializer = [];
      this.graph.initializer.push(tensor);
    } else {
      this.insertBefore(anchor, makeNode("Constant", [], [name], this.fresh(`${name}_Constant`), { value: tensor }));
    }
  }

  insertBefore(anchor: NodeProto, node: NodeProto): void {
    const list = this.before.get(anchor) ?? [];
    list.push(node);
    this.before.set(anchor, list);
  }

  /** Nodes that run before every other node (their inputs are constants only). */
  addPrologue(node: NodeProto): void {
    this.prologue.push(node);
  }

  replaceNode(node: NodeProto, replacement: NodeProto[]): void {
    this.replaced.set(node, replacement);
  }

  removeInitializer(name: string): void {
    this.removedInitializers.add(name);
  }

  /** Writes the collected edits into the graph, keeping the original node order around them. */
  commit(): void {
    const nodes: NodeProto[] = [...this.prologue];
    for (const node of this.graph.node ?? []) {
      nodes.push(...(this.before.get(node) ?? []));
      const replacement = this.replaced.get(node);
      if (replacement === undefined) nodes.push(node);
      else nodes.push(...replacement);
    }
    this.graph.node = nodes;
    if (this.removedInitializers.size > 0) {
      this.graph.initializer = (this.graph.initializer ?? []).filter(
        (t) => !this.removedInitializers.has(t.name ?? ""),
      );
      // IR < 4 models also list initializers as graph inputs; a name produced by a node may not be an input.
      this.graph.input = (this.graph.input ?? []).filter((v) => !this.removedInitializers.has(v.name ?? ""));
    }
  }
}

/** One editor per graph, created on demand and committed together. */
export class ModelEditor {
  private readonly editors = new Map<GraphProto, GraphEditor>();
  private readonly names: Set<string>;
  private readonly mainGraph: GraphProto | undefined;

  constructor(mainGraph: GraphProto | undefined, names: Set<string>) {
    this.mainGraph = mainGraph;
    this.names = names;
  }

  for(graph: GraphProto): GraphEditor {
    let editor = this.editors.get(graph);
    if (editor === undefined) {
      editor = new GraphEditor(graph, graph !== this.mainGraph, this.names);
      this.editors.set(graph, editor);
    }
    return editor;
  }

  commit(): void {
    for (const editor of this.editors.values()) editor.commit();
  }
}
