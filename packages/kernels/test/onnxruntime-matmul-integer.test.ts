import { createRng } from "@mc/core";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { matmulInteger } from "../src/index";
import { availableTiers, useTier } from "../src/select-kernel";
import { expectExact, randomBytes } from "./helpers";
import { singleNodeModel } from "./onnx-model";

function fill(
  ctor: Uint8ArrayConstructor | Int8ArrayConstructor,
  count: number,
  value: () => number,
): Uint8Array | Int8Array {
  const out = new ctor(count);
  for (let i = 0; i < count; i++) out[i] = value();
  return out;
}

type Kind = "uint8" | "int8";
const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** One MatMulInteger session per (A dtype, B dtype, zero-point shapes); shapes are symbolic-free, so one per shape. */
function session(
  aType: Kind,
  bType: Kind,
  m: number,
  k: number,
  n: number,
  bZeroCount: number,
): Promise<ort.InferenceSession> {
  const key = `${aType}/${bType}/${m}/${k}/${n}/${bZeroCount}`;
  let s = sessions.get(key);
  if (s === undefined) {
    const bytes = singleNodeModel({
      opType: "MatMulInteger",
      inputs: [
        { name: "A", type: aType, shape: [m, k] },
        { name: "B", type: bType, shape: [k, n] },
        { name: "a_zero_point", type: aType, shape: [] },
        { name: "b_zero_point", type: bType, shape: bZeroCount === 1 ? [] : [bZeroCount] },
      ],
      outputs: [{ name: "Y", type: "int32", shape: [m, n] }],
      opset: 10,
    });
    s = ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    sessions.set(key, s);
  }
  return s;
}

async function onnxruntimeMatmulInteger(
  a: Uint8Array | Int8Array,
  b: Uint8Array | Int8Array,
  m: number,
  k: number,
  n: number,
  aZero: number,
  bZero: Uint8Array | Int8Array,
): Promise<Int32Array> {
  const aType: Kind = a instanceof Int8Array ? "int8" : "uint8";
  const bType: Kind = b instanceof Int8Array ? "int8" : "uint8";
  const s = await session(aType, bType, m, k, n, bZero.length);
  const aZ = aType === "int8" ? Int8Array.of(aZero) : Uint8Array.of(aZero);
  const out = await s.run({
    A: new ort.Tensor(aType, a, [m, k]),
    B: new ort.Tensor(bType, b, [k, n]),
    a_zero_point: new ort.Tensor(aType, aZ, []),
    b_zero_point: new ort.Tensor(bType, bZero, bZero.length === 1 ? [] : [bZero.length]),
  });
  return out.Y!.data as Int32Array;
}

describe("matmulInteger against onnxruntime-node MatMulInteger (bit-exact)", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 9],
    [3, 17, 5],
    [4, 8, 8],
    [5, 33, 17],
    [16, 64, 24],
    [7, 300, 13],
    [2, 1024, 3],
  ];
  for (const tier of availableTiers()) {
    for (const aType of ["uint8", "int8"] as const) {
      for (const bType of ["uint8", "int8"] as const) {
        it(`tier ${tier}: A ${aType} × B ${bType}, scalar, per-column and per-row zero points`, async () => {
          const rng = createRng(aType.length * 31 + bType.length * 7);
          const aCtor = aType === "int8" ? Int8Array : Uint8Array;
          const bCtor = bType === "int8" ? Int8Array : Uint8Array;
          const aRange = aType === "int8" ? [-128, 127] : [0, 255];
          const bRange = bType === "int8" ? [-128, 127] : [0, 255];
          let seed = 1;
          for (const [m, k, n] of shapes) {
            const a = randomBytes(aCtor, m * k, seed++);
            // onnxruntime's u8×s8 CPU path saturates pairs of products to int16 (see the test
            // below); 7-bit A values keep every pair in range so its result is the ONNX one.
            if (aType === "uint8" && bType === "int8") for (let i = 0; i < a.length; i++) a[i]! &= 127;
            const b = randomBytes(bCtor, k * n, seed++);
            // Scalar zero points, including both ends of the range.
            for (const [aZ, bZ] of [
              [0, 0],
              [aRange[1]!, bRange[0]!],
              [rng.integer(aRange[0]!, aRange[1]!), rng.integer(bRange[0]!, bRange[1]!)],
            ] as const) {
              const expected = await onnxruntimeMatmulInteger(
                a,
                b,
                m,
                k,
                n,
                aZ,
                fill(bCtor, 1, () => bZ),
              );
              useTier(tier);
              const got = matmulInteger(a, b, { m, k, n, aZeroPoint: aZ, bZeroPoint: bZ });
              useTier(undefined);
              expectExact(got, expected, [m, k, n], `scalar zero points ${aZ}/${bZ}`);
            }
            // Per-column B zero points (onnxruntime's CPU kernel takes them directly).
            const bZeros = fill(bCtor, n, () => rng.integer(bRange[0]!, bRange[1]!));
            const aZ = rng.integer(aRange[0]!, aRange[1]!);
            const perColumn = await onnxruntimeMatmulInteger(a, b, m, k, n, aZ, bZeros);
            useTier(tier);
            const gotPerColumn = matmulInteger(a, b, { m, k, n, aZeroPoint: aZ, bZeroPoint: bZeros });
            useTier(undefined);
            expectExact(gotPerColumn, perColumn, [m, k, n], "per-column b zero points");
            // Per-row A zero points: onnxruntime's CPU kernel only takes a scalar a_zero_point,
            // so row i is checked against a 1-row MatMulInteger with that row's zero point.
            const aZeros = fill(aCtor, m, () => rng.integer(aRange[0]!, aRange[1]!));
            useTier(tier);
            const gotPerRow = matmulInteger(a, b, { m, k, n, aZeroPoint: aZeros, bZeroPoint: bZeros });
            useTier(undefined);
            for (let i = 0; i < m; i++) {
              const row = await onnxruntimeMatmulInteger(
                a.subarray(i * k, (i + 1) * k),
                b,
                1,
                k,
                n,
                aZeros[i]!,
                bZeros,
              );
              expectExact(gotPerRow.subarray(i * n, (i + 1) * n), row, [m, k, n], `per-row a zero point, row ${i}`);
            }
          }
          expect(seed).toBeGreaterThan(1);
        });
      }
    }
  }
});

describe("onnxruntime-node's u8×s8 MatMulInteger deviates from the ONNX spec; matmulInteger does not", () => {
  it("onnxruntime sums saturated int16 pairs (vpmaddubsw) while matmulInteger keeps exact int32 sums", async () => {
    const [m, k, n] = [4, 300, 7];
    const a = randomBytes(Uint8Array, m * k, 5);
    const b = randomBytes(Int8Array, k * n, 6);
    const zero = Int8Array.of(0);
    const ortResult = await onnxruntimeMatmulInteger(a, b, m, k, n, 0, zero);
    const saturatedPairs = new Int32Array(m * n);
    const exact = new Int32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sat = 0;
        let sum = 0;
        for (let p = 0; p < k; p += 2) {
          const pair = a[i * k + p]! * b[p * n + j]! + (p + 1 < k ? a[i * k + p + 1]! * b[(p + 1) * n + j]! : 0);
          sat += Math.max(-32768, Math.min(32767, pair));
          sum += pair;
        }
        saturatedPairs[i * n + j] = sat;
        exact[i * n + j] = sum;
      }
    }
    expectExact(ortResult, saturatedPairs, [m, k, n], "onnxruntime vs saturating-pair model");
    expectExact(matmulInteger(a, b, { m, k, n }), exact, [m, k, n], "matmulInteger vs exact sums");
    expect(Array.from(exact)).not.toEqual(Array.from(saturatedPairs));
  });
});
