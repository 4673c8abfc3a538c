import { singleNodeModel } from "../test/onnx-model";

/** ONNX graphs for the peer runtimes: the weight is an initializer, as in a real model. */

export type PeerOp = "matmulInteger_u8s8" | "matmulInteger_s8s8" | "matmul_f32" | "matmulNBits_4bit";

export function peerModel(
  op: PeerOp,
  m: number,
  k: number,
  n: number,
  weight: Uint8Array | Int8Array | Float32Array,
  scales?: Float32Array,
): Uint8Array {
  const raw = new Uint8Array(weight.buffer, weight.byteOffset, weight.byteLength);
  if (op === "matmulNBits_4bit") {
    const blocks = Math.ceil(k / 32);
    return singleNodeModel({
      opType: "MatMulNBits",
      domain: "com.microsoft",
      inputs: [{ name: "A", type: "float", shape: [m, k] }],
      nodeInputs: ["A", "B", "scales"],
      outputs: [{ name: "Y", type: "float", shape: [m, n] }],
      initializers: [
        { name: "B", type: "uint8", shape: [n, blocks, 16], raw },
        {
          name: "scales",
          type: "float",
          shape: [n * blocks],
          raw: new Uint8Array(scales!.buffer, scales!.byteOffset, scales!.byteLength),
        },
      ],
      attributes: [
        { name: "K", int: k },
        { name: "N", int: n },
        { name: "bits", int: 4 },
        { name: "block_size", int: 32 },
      ],
    });
  }
  if (op === "matmul_f32") {
    return singleNodeModel({
      opType: "MatMul",
      inputs: [{ name: "A", type: "float", shape: [m, k] }],
      nodeInputs: ["A", "B"],
      outputs: [{ name: "Y", type: "float", shape: [m, n] }],
      initializers: [{ name: "B", type: "float", shape: [k, n], raw }],
    });
  }
  const aType = op === "matmulInteger_u8s8" ? "uint8" : "int8";
  return singleNodeModel({
    opType: "MatMulInteger",
    inputs: [{ name: "A", type: aType, shape: [m, k] }],
    nodeInputs: ["A", "B"],
    outputs: [{ name: "Y", type: "int32", shape: [m, n] }],
    initializers: [{ name: "B", type: "int8", shape: [k, n], raw }],
    opset: 10,
  });
}

export const INPUT_TYPE: Record<PeerOp, "uint8" | "int8" | "float32"> = {
  matmulInteger_u8s8: "uint8",
  matmulInteger_s8s8: "int8",
  matmul_f32: "float32",
  matmulNBits_4bit: "float32",
};
