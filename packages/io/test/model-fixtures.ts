import { createRng, type Rng } from "@mc/core";
import type { McEntropyCoding, McEntry, McModel, QuantDtype, QuantizedTensorLike } from "../src/index";
import { sparseSharedFromIndices } from "../src/index";

/** Seeded models covering every `.mcz` encoding, for round-trip and robustness suites. */

export function randomFloats(rng: Rng, count: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * scale;
  return out;
}

const ranges: Record<QuantDtype, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int4: [-8, 7],
  uint4: [0, 15],
};

export function randomQuantized(
  rng: Rng,
  dtype: QuantDtype,
  shape: number[],
  layout: { axis?: number; blockSize?: number } = {},
  symmetric = false,
): QuantizedTensorLike {
  const count = shape.reduce((a, b) => a * b, 1);
  const [low, high] = ranges[dtype];
  const values = Array.from({ length: count }, () => rng.integer(low, high));
  let data: Int8Array | Uint8Array;
  if (dtype === "int8") data = Int8Array.from(values);
  else if (dtype === "uint8") data = Uint8Array.from(values);
  else {
    data = new Uint8Array(Math.ceil(count / 2));
    values.forEach((v, i) => {
      data[i >> 1] = (data[i >> 1] as number) | ((v & 0x0f) << (i & 1 ? 4 : 0));
    });
  }
  let params = 1;
  if (layout.blockSize !== undefined) {
    const axis = layout.axis ?? shape.length - 1;
    const dim = shape[axis] as number;
    params = dim === 0 ? 0 : (count / dim) * Math.ceil(dim / layout.blockSize);
  } else if (layout.axis !== undefined) params = shape[layout.axis] as number;
  const scale = Float32Array.from({ length: params }, () => 0.001 + rng.uniform() * 0.1);
  const zeroPoint = Int32Array.from({ length: params }, () => (symmetric ? 0 : rng.integer(low, high)));
  return { data, dtype, shape, scale, zeroPoint, ...layout };
}

/** `entropyCoding` (when given) is set on the sparse-shared layer "fc1.weight". */
export function sampleModel(seed = 7, size: "small" | "tiny" = "small", entropyCoding?: McEntropyCoding): McModel {
  const rng = createRng(seed);
  const n = size === "tiny" ? 6 : 24;
  const codebook = Float32Array.from([0, -0.4, -0.1, 0.1, 0.4, 0.9]);
  const indices = Uint8Array.from({ length: n * 10 }, () => (rng.uniform() < 0.8 ? 0 : rng.integer(1, 5)));
  const entries: McEntry[] = [
    {
      name: "fc1.weight",
      kind: "linear.weight",
      encoding: "sparse-shared",
      sparse: sparseSharedFromIndices({ shape: [n, 10], codebook, indices }, { indexBits: 3 }),
      ...(entropyCoding ? { entropyCoding } : {}),
    },
    { name: "fc1.bias", kind: "bias", encoding: "dense", tensor: { data: randomFloats(rng, n), shape: [n] } },
    {
      name: "fc2.weight",
      kind: "linear.weight",
      encoding: "quantized",
      quantized: randomQuantized(rng, "int8", [4, n], { axis: 0 }, true),
    },
    {
      name: "fc3.weight",
      kind: "linear.weight",
      encoding: "quantized",
      quantized: randomQuantized(rng, "int4", [3, 7], { blockSize: 4 }),
    },
    {
      name: "emb",
      kind: "embedding.weight",
      encoding: "low-rank",
      shape: [5, 6],
      left: { data: randomFloats(rng, 10), shape: [5, 2] },
      right: { data: randomFloats(rng, 12), shape: [2, 6] },
      factorDtype: "f16",
    },
    {
      name: "norm",
      kind: "norm.weight",
      encoding: "dense",
      dtype: "f16",
      tensor: { data: randomFloats(rng, 3), shape: [3] },
    },
  ];
  return { entries, metadata: { producer: "mc-test", seed: String(seed) } };
}
