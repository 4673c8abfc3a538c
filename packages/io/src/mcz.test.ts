import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, FormatError, InvalidArgumentError, McError, roundToFloat16 } from "@mc/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomFloats, randomQuantized, sampleModel } from "../test/model-fixtures";
import { decodeMcz, decodeMczTensors, encodeMcz, expandMczEntry, readMcz, writeMcz } from "./mcz";
import type { McEntry } from "./mcz-entries";
import { dequantizeLike } from "./quantized";
import { sparseSharedFromWeights, sparseSharedToDense } from "./sparse-shared";

function sameBits(a: Float32Array, b: Float32Array, label: string): void {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) throw new Error(`${label}: length ${x.length} vs ${y.length}`);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) throw new Error(`${label}: index ${i}: ${a[i]} vs ${b[i]} (length ${a.length})`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, label: string): void {
  if (a.length !== b.length) throw new Error(`${label}: ${a.length} bytes vs ${b.length}`);
  const at = a.findIndex((v, i) => v !== b[i]);
  if (at >= 0) throw new Error(`${label}: byte ${at}: ${a[at]} vs ${b[at]} (length ${a.length})`);
}

/** encode → decode → encode gives identical bytes, and each expanded tensor matches its reference. */
function roundTrip(entries: McEntry[]): McEntry[] {
  const bytes = encodeMcz({ entries });
  const decoded = decodeMcz(bytes);
  sameBytes(encodeMcz(decoded), bytes, "re-encoded file");
  return decoded.entries;
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "mc-io-mcz-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("mcz round trip, bit for bit", () => {
  const rng = createRng(11);
  const shapes: number[][] = [[0], [], [1], [3, 5], [2, 0, 4], [2, 3, 2, 2]];

  it("dense fp32 keeps every bit (NaN payloads, -0, subnormals); fp16 equals roundToFloat16", () => {
    for (const shape of shapes) {
      const count = shape.reduce((a, b) => a * b, 1);
      const data = randomFloats(rng, count);
      if (count > 2) {
        new Uint32Array(data.buffer)[0] = 0x7fc01234;
        data[1] = -0;
        data[2] = 1e-44;
      }
      const [f32, f16] = roundTrip([
        { name: "a", encoding: "dense", tensor: { data, shape } },
        { name: "b", encoding: "dense", dtype: "f16", tensor: { data, shape } },
      ]);
      sameBits(expandMczEntry(f32!).data, data, `f32 ${shape}`);
      sameBits(expandMczEntry(f16!).data, roundToFloat16(data), `f16 ${shape}`);
      expect(expandMczEntry(f32!).shape).toEqual(shape);
    }
  });

  it("quantized int8/uint8/int4/uint4 per-tensor, per-channel and blockwise keep data, scales and zero points", () => {
    for (const dtype of ["int8", "uint8", "int4", "uint4"] as const) {
      for (const [shape, layout] of [
        [[5], {}],
        [[], {}],
        [[0, 3], { axis: 1 }],
        [[3, 7], { axis: 0 }],
        [[3, 7], { axis: 1, blockSize: 3 }],
        [[2, 5, 3], { axis: 1, blockSize: 2 }],
        [[4, 9], { blockSize: 32 }],
      ] as Array<[number[], { axis?: number; blockSize?: number }]>) {
        for (const symmetric of [true, false]) {
          const q = randomQuantized(rng, dtype, shape, layout, symmetric);
          const [entry] = roundTrip([{ name: "q", kind: "linear.weight", encoding: "quantized", quantized: q }]);
          if (entry?.encoding !== "quantized") throw new Error("wrong encoding");
          expect(entry.quantized.dtype).toBe(dtype);
          expect(new Uint8Array(entry.quantized.data.buffer)).toEqual(new Uint8Array(q.data.buffer));
          expect(entry.quantized.scale).toEqual(q.scale);
          expect(entry.quantized.zeroPoint).toEqual(q.zeroPoint);
          sameBits(expandMczEntry(entry).data, dequantizeLike(q).data, `${dtype} ${shape}`);
        }
      }
    }
  });

  it("dequantizes exactly as ONNX DequantizeLinear: per-channel axis 0 and blockwise along the last axis", () => {
    const q = {
      data: Int8Array.from([-3, 0, 5, 127, -128, 1]),
      dtype: "int8" as const,
      shape: [2, 3],
      scale: Float32Array.from([0.5, 0.25]),
      zeroPoint: Int32Array.from([1, -2]),
      axis: 0,
    };
    expect([...dequantizeLike(q).data]).toEqual([-2, -0.5, 2, 32.25, -31.5, 0.75]);
    const blocks = {
      ...q,
      axis: 1,
      blockSize: 2,
      scale: Float32Array.from([1, 2, 3, 4]),
      zeroPoint: Int32Array.from([0, 1, 0, 0]),
    };
    // Row 0 blocks: [-3, 0] scale 1, [5] scale 2 zp 1; row 1: [127, -128] scale 3, [1] scale 4.
    expect([...dequantizeLike(blocks).data]).toEqual([-3, 0, 8, 381, -384, 4]);
  });

  it("sparse shared weights keep gaps, codes and codebook; fp16 codebooks round once", () => {
    for (const shape of [[0], [], [1], [40, 30], [3, 3, 3]]) {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = [0.5, -0.25, 1.5, -2];
      const data = Float32Array.from({ length: count }, () =>
        rng.uniform() < 0.7 ? 0 : (values[rng.integer(0, 3)] as number),
      );
      const sparse = sparseSharedFromWeights({ data, shape }, { indexBits: 4 });
      for (const codebookDtype of ["f32", "f16"] as const) {
        const [entry] = roundTrip([{ name: "w", encoding: "sparse-shared", sparse, codebookDtype }]);
        if (entry?.encoding !== "sparse-shared") throw new Error("wrong encoding");
        expect(entry.sparse.gaps).toEqual(sparse.gaps);
        expect([...entry.sparse.codes]).toEqual([...sparse.codes]);
        sameBits(expandMczEntry(entry).data, sparseSharedToDense(sparse).data, `sparse ${shape}`);
      }
    }
  });

  it("low-rank factor pairs expand to left·right with float64 accumulation", () => {
    const left = { data: randomFloats(rng, 8), shape: [4, 2] };
    const right = { data: randomFloats(rng, 6), shape: [2, 3] };
    const [entry] = roundTrip([{ name: "w", encoding: "low-rank", shape: [4, 3], left, right }]);
    const dense = expandMczEntry(entry!).data;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) {
        const expected = Math.fround(left.data[2 * i]! * right.data[j]! + left.data[2 * i + 1]! * right.data[3 + j]!);
        expect(dense[i * 3 + j]).toBe(expected);
      }
    }
    roundTrip([
      {
        name: "z",
        encoding: "low-rank",
        shape: [0, 5],
        left: { data: new Float32Array(0), shape: [0, 3] },
        right: { data: new Float32Array(15), shape: [3, 5] },
      },
    ]);
  });

  it("round-trips large tensors (1M-element sparse layer, 1M fp32, 1M int4) bit for bit", () => {
    const big = 1 << 20;
    const codebook = Float32Array.from({ length: 32 }, (_, i) => (i === 0 ? 0 : (i - 16) / 8));
    const indices = Uint8Array.from({ length: big }, () => (rng.uniform() < 0.9 ? 0 : rng.integer(1, 31)));
    const dense = randomFloats(rng, big);
    const entries: McEntry[] = [
      {
        name: "sparse",
        encoding: "sparse-shared",
        sparse: sparseSharedFromWeights(
          { data: Float32Array.from(indices, (c) => codebook[c]!), shape: [1024, 1024] },
          { indexBits: 5 },
        ),
      },
      { name: "dense", encoding: "dense", tensor: { data: dense, shape: [1024, 1024] } },
      {
        name: "int4",
        encoding: "quantized",
        quantized: randomQuantized(rng, "int4", [1024, 1024], { axis: 0, blockSize: 64 }),
      },
    ];
    const bytes = encodeMcz({ entries });
    const tensors = decodeMczTensors(bytes);
    sameBits(tensors.get("dense")!.data, dense, "large dense");
    sameBits(
      tensors.get("sparse")!.data,
      Float32Array.from(indices, (c) => codebook[c]!),
      "large sparse",
    );
    sameBytes(encodeMcz(decodeMcz(bytes)), bytes, "large re-encoded file");
  });

  it("keeps metadata, names, kinds and order", () => {
    const model = sampleModel();
    const decoded = decodeMcz(encodeMcz(model));
    expect(decoded.metadata).toEqual(model.metadata);
    expect(decoded.entries.map((e) => [e.name, e.kind, e.encoding])).toEqual(
      model.entries.map((e) => [e.name, e.kind, e.encoding]),
    );
  });
});

describe("mcz bad input", () => {
  it("rejects duplicate names, unknown encodings, shape overflow and mismatched parts with McError", () => {
    const t = { data: new Float32Array(2), shape: [2] };
    const cases: Array<[unknown, RegExp]> = [
      [
        {
          entries: [
            { name: "a", encoding: "dense", tensor: t },
            { name: "a", encoding: "dense", tensor: t },
          ],
        },
        /duplicate tensor name "a"/,
      ],
      [{ entries: [{ name: "a", encoding: "zip", tensor: t }] }, /unknown encoding "zip"/],
      [
        {
          entries: [{ name: "a", encoding: "dense", tensor: { data: new Float32Array(0), shape: [2 ** 40, 2 ** 40] } }],
        },
        /more elements than a safe integer/,
      ],
      [
        { entries: [{ name: "a", encoding: "dense", tensor: { data: new Float32Array(3), shape: [2] } }] },
        /has 3 elements but shape \[2\] needs 2/,
      ],
      [{ entries: [{ name: "a", encoding: "dense", dtype: "f8", tensor: t }] }, /dtype must be "f32" or "f16"/],
      [
        {
          entries: [
            { name: "q", encoding: "quantized", quantized: randomQuantized(createRng(1), "int8", [2, 3], { axis: 2 }) },
          ],
        },
        /axis 2 is out of range for shape \[2, 3\]/,
      ],
      [
        {
          entries: [
            {
              name: "q",
              encoding: "quantized",
              quantized: { ...randomQuantized(createRng(1), "int4", [4]), zeroPoint: Int32Array.from([9]) },
            },
          ],
        },
        /zero point 9 .* int4 range/,
      ],
      [
        {
          entries: [
            {
              name: "l",
              encoding: "low-rank",
              shape: [4, 3],
              left: { data: new Float32Array(8), shape: [4, 2] },
              right: { data: new Float32Array(8), shape: [2, 4] },
            },
          ],
        },
        /do not give shape \[4, 3\]/,
      ],
    ];
    for (const [model, pattern] of cases) {
      let error: unknown;
      try {
        encodeMcz(model as never);
      } catch (e) {
        error = e;
      }
      if (!McError.isInstance(error)) throw new Error(`expected McError for ${pattern}, got ${String(error)}`);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(pattern);
    }
  });

  it("refuses expanding a tiny file that describes a huge sparse tensor beyond maxElements", () => {
    const sparse = {
      shape: [1 << 20, 1 << 12],
      codebook: Float32Array.from([0, 1]),
      indexBits: 4,
      gaps: Uint16Array.from([3]),
      codes: Uint8Array.from([1]),
    };
    const bytes = encodeMcz({ entries: [{ name: "w", encoding: "sparse-shared", sparse }] });
    expect(bytes.length).toBeLessThan(600);
    expect(() => decodeMczTensors(bytes)).toThrow(/more than maxElements/);
  });
});

describe("mcz files", () => {
  it("writes atomically, reads back equal, and refuses to overwrite an input or an existing file", async () => {
    const path = join(folder, "model.mcz");
    const model = sampleModel();
    const { byteLength } = await writeMcz(path, model);
    const bytes = new Uint8Array(await readFile(path));
    expect(bytes.length).toBe(byteLength);
    expect(bytes).toEqual(encodeMcz(model));
    expect((await readMcz(path)).entries.length).toBe(model.entries.length);
    await expect(writeMcz(path, model)).rejects.toThrow(/already exists/);
    const error = await writeMcz(path, model, { overwrite: true, inputPaths: [path] }).catch((e: unknown) => e);
    expect(McError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/refusing to write over .* it is the input file/);
  });

  it("reports a corrupt file on disk as FormatError", async () => {
    const path = join(folder, "corrupt.mcz");
    const bytes = encodeMcz(sampleModel());
    bytes[bytes.length - 1] ^= 1;
    await writeMcz(path, sampleModel());
    const { writeFile } = await import("node:fs/promises");
    await writeFile(path, bytes);
    const error = await readMcz(path).catch((e: unknown) => e);
    expect(FormatError.isInstance(error)).toBe(true);
  });
});
