/**
 * A minimal protobuf writer for single-node ONNX models, so the oracle suite can ask
 * onnxruntime for QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear results without
 * importing @mc/onnx (a higher layer). Only the fields these models need are encoded.
 */

class ProtoWriter {
  private readonly bytes: number[] = [];

  private varint(value: number): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  int(field: number, value: number): this {
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export const OnnxType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, UINT4: 21, INT4: 22 } as const;

export interface ValueSpec {
  name: string;
  elemType: number;
  shape: number[];
}

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  intAttributes?: Record<string, number>;
}

function valueInfo({ name, elemType, shape }: ValueSpec): ProtoWriter {
  const dims = new ProtoWriter();
  for (const d of shape) dims.message(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, elemType).message(2, dims);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

export interface InitializerSpec {
  name: string;
  elemType: number;
  dims: number[];
  /** Little-endian raw bytes (4-bit types packed two per byte, low nibble first). */
  raw: Uint8Array;
}

/** ModelProto bytes of a graph with one node; every tensor is a graph input or output. */
export function buildSingleNodeModel(
  node: NodeSpec,
  inputs: ValueSpec[],
  outputs: ValueSpec[],
  opsetVersion = 21,
): Uint8Array {
  return buildModel([node], inputs, outputs, [], opsetVersion);
}

/** ModelProto bytes of a small graph: nodes in order, graph inputs/outputs and constant initializers. */
export function buildModel(
  nodes: NodeSpec[],
  inputs: ValueSpec[],
  outputs: ValueSpec[],
  initializers: InitializerSpec[] = [],
  opsetVersion = 21,
): Uint8Array {
  const graph = new ProtoWriter();
  for (const [index, node] of nodes.entries()) {
    const nodeProto = new ProtoWriter();
    for (const input of node.inputs) nodeProto.string(1, input);
    for (const output of node.outputs) nodeProto.string(2, output);
    nodeProto.string(3, `${node.opType}_${index}`).string(4, node.opType);
    for (const [name, value] of Object.entries(node.intAttributes ?? {})) {
      nodeProto.message(5, new ProtoWriter().string(1, name).int(3, value).int(20, 2)); // type INT
    }
    graph.message(1, nodeProto);
  }
  graph.string(2, "g");
  for (const init of initializers) {
    const tensor = new ProtoWriter();
    for (const d of init.dims) tensor.int(1, d);
    tensor.int(2, init.elemType).string(8, init.name).bytesField(9, init.raw);
    graph.message(5, tensor);
  }
  for (const input of inputs) graph.message(11, valueInfo(input));
  for (const output of outputs) graph.message(12, valueInfo(output));
  return new ProtoWriter()
    .int(1, 8) // ir_version
    .string(2, "mc-quant-test")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, opsetVersion))
    .finish();
}
