import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { dynamicQuantizeLinear } from "./dynamic-quantize-linear";
import { linearDynamicInt8, linearStaticInt8, packLinearInt8 } from "./linear-int8";

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
});
