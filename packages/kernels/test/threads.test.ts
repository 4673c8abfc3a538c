import { afterAll, describe, expect, it } from "vitest";
import {
  gemm,
  getKernelInfo,
  linearDynamicInt8,
  matmulInteger,
  matmulNBits,
  packLinearInt8,
  setNumThreads,
} from "../src/index";
import {
  dynamic_quantize_linear_f32u8__ref,
  gemm_f32__ref,
  linear_x8s8f32__ref,
  matmul_f32u4f32__ref,
  matmul_x8x8s32__ref,
} from "../src/ref/reference-kernels";
import { expectClose, expectExact, randomBytes, randomFloats } from "./helpers";

describe("worker-thread split (setNumThreads(2))", () => {
  afterAll(() => setNumThreads(1));

  it("reports two threads where worker_threads and shared wasm memory exist", () => {
    setNumThreads(2);
    const info = getKernelInfo();
    expect(info.threadsSupported).toBe(true);
    expect(info.threads).toBe(2);
  });

  it("split products equal the single-thread reference (integer bit-exact, float within 1e-5)", () => {
    setNumThreads(2);
    // Large enough to cross the threading threshold, odd sizes so ranges end mid-tile.
    const [m, k, n] = [67, 301, 133];
    const a = randomBytes(Uint8Array, m * k, 1);
    const b = randomBytes(Int8Array, k * n, 2);
    const aZ = new Int32Array(m).fill(129);
    const bZ = new Int32Array(n).fill(-3);
    const expected = new Int32Array(m * n);
    matmul_x8x8s32__ref(a, b, expected, m, k, n, aZ, bZ);
    expectExact(
      matmulInteger(a, b, { m, k, n, aZeroPoint: 129, bZeroPoint: -3 }),
      expected,
      [m, k, n],
      "threaded matmulInteger",
    );

    const af = randomFloats(m * k, 3);
    const bf = randomFloats(k * n, 4);
    const ef = new Float32Array(m * n);
    gemm_f32__ref(af, bf, ef, m, k, n, false, true, 1, 0);
    expectClose(gemm(af, bf, { m, k, n, transposeB: true }), ef, [m, k, n], { rtol: 1e-5, atol: 1e-4 });

    const weight = randomBytes(Int8Array, n * k, 5);
    const scales = randomFloats(n, 6).map((s) => Math.abs(s) + 0.01);
    const packed = packLinearInt8(weight, { outFeatures: n, inFeatures: k, scales });
    const q = dynamic_quantize_linear_f32u8__ref(af);
    const el = new Float32Array(m * n);
    linear_x8s8f32__ref(q.data, q.zeroPoint, q.scale, m, weight, scales, undefined, n, k, el);
    expectExact(linearDynamicInt8(af, m, packed), el, [m, k, n], "threaded linearDynamicInt8");

    const [kk, nn] = [2048, 1031];
    const w4 = randomBytes(Uint8Array, (nn * kk) / 2, 7);
    const s4 = randomFloats((nn * kk) / 32, 8);
    const x4 = randomFloats(kk, 9);
    const e4 = new Float32Array(nn);
    matmul_f32u4f32__ref(x4, 1, kk, nn, w4, s4, undefined, 32, undefined, e4);
    expectClose(matmulNBits(x4, { m: 1, k: kk, n: nn, weight: w4, scales: s4, blockSize: 32 }), e4, [1, kk, nn], {
      rtol: 1e-4,
      atol: 1e-4,
    });
  });

  it("setNumThreads rejects non-integers and values below 1", () => {
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: n must be an integer in \[1, 64\], got 0/);
    expect(() => setNumThreads(1.5)).toThrow(/setNumThreads/);
  });
});
