import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectExact, randomBytes, randomFloats, withTier } from "../test/helpers";
import { dynamicQuantizeLinear } from "./dynamic-quantize-linear";
import { gemm } from "./gemm";
import { linearDynamicInt8, linearStaticInt8, packLinearInt8 } from "./linear-int8";
import { dynamic_quantize_linear_f32u8__ref, linear_x8s8f32__ref } from "./ref/reference-kernels";
import { availableTiers } from "./select-kernel";

describe("quantized linear layers", () => {
  const weight = new Int8Array([1, -2, 3, 4, 5, -6]); // [2 out × 3 in]
  const packed = packLinearInt8(weight, {
    outFeatures: 2,
    inFeatures: 3,
    scales: new Float32Array([0.5, 0.25]),
    bias: new Float32Array([1, -1]),
  });

  it("linearStaticInt8 dequantizes Σ (x − zx)·w with per-channel scales and adds bias", () => {
    const x = new Uint8Array([12, 11, 10]); // x − 10 = [2, 1, 0]
    const y = linearStaticInt8(x, 1, packed, { inputScale: 2, inputZeroPoint: 10 });
    // acc0 = 2 − 2 = 0 → 1; acc1 = 8 + 5 = 13 → 13·2·0.25 − 1 = 5.5
    expect(Array.from(y)).toEqual([1, 5.5]);
  });

  it("requantizes with round half to even and saturation", () => {
    const x = new Uint8Array([12, 11, 10]);
    const y = linearStaticInt8(x, 1, packed, {
      inputScale: 2,
      inputZeroPoint: 10,
      outputScale: 0.2,
      outputZeroPoint: 250,
    });
    // 1 / 0.2 = 5 → 255; 5.5 / 0.2 = 27.5 → 28 → 278 → 255
    expect(Array.from(y)).toEqual([255, 255]);
    const z = linearStaticInt8(x, 1, packed, {
      inputScale: 2,
      inputZeroPoint: 10,
      outputScale: 4,
      outputZeroPoint: -3,
      outputType: "int8",
    });
    // 1/4 = 0.25 → 0 → -3; 5.5/4 = 1.375 → 1 → -2
    expect(z).toBeInstanceOf(Int8Array);
    expect(Array.from(z)).toEqual([-3, -2]);
  });

  it("linearDynamicInt8 equals linearStaticInt8 on the DynamicQuantizeLinear output", () => {
    const x = new Float32Array([0.3, -1.2, 2.5, 0, 1, -0.25]);
    const q = dynamicQuantizeLinear(x);
    const expected = linearStaticInt8(q.data, 2, packed, { inputScale: q.scale, inputZeroPoint: q.zeroPoint });
    expect(Array.from(linearDynamicInt8(x, 2, packed))).toEqual(Array.from(expected));
  });

  it("dynamicQuantizeLinear follows the ONNX formula on the operator's documented example", () => {
    // onnx/backend/test/case/node/dynamicquantizelinear.py, first case.
    const q = dynamicQuantizeLinear(new Float32Array([0, 2, -3, -2.5, 1.34, 0.5]));
    expect(q.scale).toBe(Math.fround(5 / 255));
    expect(q.zeroPoint).toBe(153);
    expect(Array.from(q.data)).toEqual([153, 255, 0, 26, 221, 179]);
  });

  it("packLinearInt8 copies its inputs so later mutation does not change results", () => {
    const w = new Int8Array([1, 2]);
    const p = packLinearInt8(w, { outFeatures: 1, inFeatures: 2, scales: 1 });
    w[0] = 100;
    expect(Array.from(linearStaticInt8(new Uint8Array([1, 1]), 1, p, { inputScale: 1, inputZeroPoint: 0 }))).toEqual([
      3,
    ]);
  });

  it("rejects bad input with named arguments", () => {
    expect(() => packLinearInt8(weight, { outFeatures: 2, inFeatures: 2, scales: 1 })).toThrow(ShapeMismatchError);
    expect(() => packLinearInt8(weight, { outFeatures: 2, inFeatures: 3, scales: 0 })).toThrow(
      /scales must be a finite number > 0/,
    );
    expect(() => linearDynamicInt8(new Float32Array(4), 1, packed)).toThrow(
      /input has 4 elements but shape \[1, 3\] needs 3/,
    );
    expect(() => linearStaticInt8(new Uint8Array(3), 1, packed, { inputScale: 1, inputZeroPoint: 300 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => linearStaticInt8(new Int8Array(3), 1, packed, { inputScale: 1, inputZeroPoint: 200 })).toThrow(
      /\[-128, 127\]/,
    );
    expect(() => linearDynamicInt8(new Float32Array(3), 1, {} as never)).toThrow(
      /packed must come from packLinearInt8/,
    );
    expect(() => linearDynamicInt8(new Float32Array(3), 1, packed, new Float32Array(3))).toThrow(ShapeMismatchError);
  });

  it("batch 0 gives empty output", () => {
    expect(linearDynamicInt8(new Float32Array(0), 0, packed).length).toBe(0);
  });

  for (const tier of availableTiers()) {
    it(`linearDynamicInt8 batch 1 on tier ${tier} stays bit-exact across calls, memory growth and NaN/Inf inputs`, () => {
      // 784 → 300 is the batch-1 latency case; the wasm tier keeps its buffers with the pack,
      // so consecutive calls, a memory grow in between and the NaN fallback must not leak state.
      const [k, n] = [784, 300];
      const weight = randomBytes(Int8Array, n * k, 41);
      const scales = randomFloats(n, 42).map((s) => Math.abs(s) * 0.01 + 1e-4);
      const bias = randomFloats(n, 43);
      const p = packLinearInt8(weight, { outFeatures: n, inFeatures: k, scales, bias });
      const reference = (x: Float32Array) => {
        const q = dynamic_quantize_linear_f32u8__ref(x);
        const y = new Float32Array(n);
        linear_x8s8f32__ref(q.data, q.zeroPoint, q.scale, 1, weight, scales, bias, n, k, y);
        return y;
      };
      const inputs = [randomFloats(k, 44, 3), randomFloats(k, 45, 0.01), new Float32Array(k)];
      for (const x of inputs)
        expectExact(
          withTier(tier, () => linearDynamicInt8(x, 1, p)),
          reference(x),
          [1, k, n],
          tier,
        );
      // A large product grows the wasm memory, which replaces its buffer.
      withTier(tier, () => gemm(randomFloats(256 * 512, 46), randomFloats(512 * 256, 47), { m: 256, k: 512, n: 256 }));
      for (const x of inputs)
        expectExact(
          withTier(tier, () => linearDynamicInt8(x, 1, p)),
          reference(x),
          [1, k, n],
          tier,
        );
      // NaN in the SIMD body and in the scalar tail, and an infinity: every tier agrees with the JS tier.
      for (const [at, value] of [
        [100, Number.NaN],
        [783, Number.NaN],
        [5, Number.POSITIVE_INFINITY],
      ] as const) {
        const x = randomFloats(k, 48);
        x[at] = value;
        const expected = withTier("js", () => linearDynamicInt8(x, 1, p));
        expectExact(
          withTier(tier, () => linearDynamicInt8(x, 1, p)),
          expected,
          [1, k, n],
          `${tier} x[${at}] = ${value}`,
        );
      }
    });

    it(`dynamicQuantizeLinear on tier ${tier} is bit-exact on long inputs, NaN in the SIMD body or tail included`, () => {
      for (const at of [-1, 0, 517, 1030]) {
        const x = randomFloats(1031, 49, 4);
        if (at >= 0) x[at] = Number.NaN;
        const expected = dynamic_quantize_linear_f32u8__ref(x);
        const got = withTier(tier, () => dynamicQuantizeLinear(x));
        expect(got.scale).toBe(expected.scale);
        expect(got.zeroPoint).toBe(expected.zeroPoint);
        expectExact(got.data, expected.data, [x.length], `dynamicQuantizeLinear NaN at ${at}`);
      }
    });
  }
});
