/**
 * A tiny ONNX protobuf writer for single-node test graphs (kernels sits below @mc/onnx, so
 * it cannot use that package's codec). Field numbers from onnx/onnx.proto3.
 */

export const ElemType = { float: 1, uint8: 2, int8: 3, int32: 6 } as const;
export type ElemTypeName = keyof typeof ElemType;

class Writer {
  bytes: number[] = [];
  varint(v: number): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      this.bytes.push(byte);
    } while (x !== 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  raw(field: number, data: Uint8Array | number[]): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.raw(field, inner.bytes);
  }
}

export interface ValueInfo {
  name: string;
  type: ElemTypeName;
  shape: readonly number[];
}

export interface Initializer {
  name: string;
  type: ElemTypeName;
  shape: readonly number[];
  /** Little-endian raw bytes. */
  raw: Uint8Array;
}

export interface Attribute {
  name: string;
  int: number;
}

export function singleNodeModel({
  opType,
  domain = "",
  inputs,
  nodeInputs,
  outputs,
  initializers = [],
  attributes = [],
  opset = 21,
}: {
  opType: string;
  domain?: string;
  inputs: ValueInfo[];
  /** Node input names in order ("" for an omitted optional input); defaults to the graph inputs. */
  nodeInputs?: string[];
  outputs: ValueInfo[];
  initializers?: Initializer[];
  attributes?: Attribute[];
  opset?: number;
}): Uint8Array {
  const valueInfo = (w: Writer, v: ValueInfo) => {
    w.string(1, v.name);
    w.message(2, (t) =>
      t.message(1, (tt) => {
        tt.int(1, ElemType[v.type]);
        tt.message(2, (s) => {
          for (const d of v.shape) s.message(1, (dim) => dim.int(1, d));
        });
      }),
    );
  };
  const model = new Writer();
  model.int(1, 8); // ir_version
  model.message(8, (o) => o.string(1, "").int(2, opset));
  if (domain !== "") model.message(8, (o) => o.string(1, domain).int(2, 1));
  model.message(7, (g) => {
    g.message(1, (node) => {
      for (const name of nodeInputs ?? inputs.map((i) => i.name)) node.string(1, name);
      for (const o of outputs) node.string(2, o.name);
      node.string(3, "node0");
      node.string(4, opType);
      if (domain !== "") node.string(7, domain);
      for (const a of attributes) node.message(5, (at) => at.string(1, a.name).int(3, a.int).int(20, 2)); // type INT
    });
    g.string(2, "g");
    for (const init of initializers) {
      g.message(5, (t) => {
        for (const d of init.shape) t.int(1, d);
        t.int(2, ElemType[init.type]);
        t.string(8, init.name);
        t.raw(9, init.raw);
      });
    }
    for (const i of inputs) g.message(11, (w) => valueInfo(w, i));
    for (const o of outputs) g.message(12, (w) => valueInfo(w, o));
  });
  return Uint8Array.from(model.bytes);
}
