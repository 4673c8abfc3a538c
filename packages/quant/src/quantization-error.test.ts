import { float32ToBfloat16Bits, float32ToFloat16Bits, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectMcError, tensor } from "../test/helpers";
import { castBfloat16, castFloat16 } from "./cast-float16";
import { quantizationError } from "./quantization-error";
import { quantizePerTensor } from "./quantize-per-tensor";

describe("quantizationError", () => {
  it("gives MSE, SQNR in dB and max abs error of a hand-computed case", () => {
    const r = quantizationError(tensor([1, 2, 3, 4]), tensor([1, 2, 3, 5]));
    expect(r.meanSquaredError).toBe(0.25);
    expect(r.sqnrDb).toBeCloseTo(10 * Math.log10(30), 12);
    expect(r.maxAbsoluteError).toBe(1);
    expect(quantizationError(tensor([1, 2]), tensor([1, 2])).sqnrDb).toBe(Number.POSITIVE_INFINITY);
  });

  it("accepts a QuantizedTensor and dequantizes it", () => {
    const q = quantizePerTensor(tensor([0.1, 0.26]), 0.1, 0, "int8");
    const r = quantizationError(tensor([0.1, 0.26]), q);
    expect(r.maxAbsoluteError).toBeCloseTo(0.04, 6);
  });

  it("uniform quantization noise of step s has MSE close to s^2 / 12", () => {
    const n = 20000;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 7919) % n) / n - 0.5;
    const scale = 0.01;
    const r = quantizationError({ data, shape: [n] }, quantizePerTensor({ data, shape: [n] }, scale, 0, "int8"));
    expect(r.meanSquaredError / ((scale * scale) / 12)).toBeGreaterThan(0.97);
    expect(r.meanSquaredError / ((scale * scale) / 12)).toBeLessThan(1.03);
  });

  it("rejects different shapes", () => {
    expectMcError(() => quantizationError(tensor([1, 2]), tensor([1, 2, 3])), ShapeMismatchError, "quantizationError");
  });
});

describe("castFloat16 / castBfloat16", () => {
  it("fp16 bits match @mc/core's converter, overflow is counted and reported as Infinity error", () => {
    const x = tensor([1, 1 + 2 ** -11, 65504, 70000, 1e-8, -2.5]);
    const r = castFloat16(x);
    for (let i = 0; i < x.data.length; i++) expect(r.bits[i]).toBe(float32ToFloat16Bits(x.data[i] as number));
    expect(r.bits[0]).toBe(0x3c00);
    expect(r.values.data[1]).toBe(1); // a tie rounds to the even mantissa
    expect(r.overflowCount).toBe(1);
    expect(r.error.maxAbsoluteError).toBe(Number.POSITIVE_INFINITY);
  });

  it("fp16 relative error stays below 2^-11 in the normal range; bf16 below 2^-8", () => {
    const n = 5000;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.fround(Math.exp((((i * 37) % n) / n) * 10 - 5) * (i % 2 ? 1 : -1));
    const half = castFloat16({ data, shape: [n] });
    const brain = castBfloat16({ data, shape: [n] });
    for (let i = 0; i < n; i++) {
      const x = data[i] as number;
      expect(Math.abs((half.values.data[i] as number) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
      expect(Math.abs((brain.values.data[i] as number) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8);
      expect(brain.bits[i]).toBe(float32ToBfloat16Bits(x));
    }
    expect(half.error.sqnrDb).toBeGreaterThan(brain.error.sqnrDb);
    expect(brain.overflowCount).toBe(0);
  });
});
