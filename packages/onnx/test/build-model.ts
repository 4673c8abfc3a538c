import { createRng } from "@mc/core";
import { makeNode } from "../src/graph-edit";
import type { NodeProto, OnnxModel, TensorProto, ValueInfoProto } from "../src/onnx-schema";
import { encodeTensor } from "../src/onnx-tensor";

export { makeNode };

export function valueInfo(name: string, shape: (number | string)[], elemType = 1): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A model with one graph, for tests. */
export function buildModel({
  nodes,
  inputs,
  outputs,
  initializers = [],
  opset = 17,
  irVersion = 8,
}: {
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  opset?: number;
  irVersion?: number;
}): OnnxModel {
  return {
    irVersion,
    producerName: "mc-test",
    opsetImport: [{ domain: "", version: opset }],
    graph: { name: "test", node: nodes, initializer: initializers, input: inputs, output: outputs },
  };
}

export function randomTensor(name: string, shape: number[], seed: number, scale = 1): TensorProto {
  const rng = createRng(seed);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = scale * rng.normal();
  return encodeTensor(name, data, shape);
}

export function randomData(count: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = scale * rng.normal();
  return data;
}
