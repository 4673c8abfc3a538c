import { InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectMcError } from "../test/helpers";
import { chooseQParams, chooseQParamsPerChannel, FLOAT32_EPSILON } from "./choose-qparams";
import { quantRange } from "./quant-dtype";

describe("quantRange", () => {
  it("gives the full, reduced and narrow ranges of every dtype", () => {
    expect(quantRange("int8")).toEqual({ qmin: -128, qmax: 127 });
    expect(quantRange("uint8")).toEqual({ qmin: 0, qmax: 255 });
    expect(quantRange("int4")).toEqual({ qmin: -8, qmax: 7 });
    expect(quantRange("uint4")).toEqual({ qmin: 0, qmax: 15 });
    expect(quantRange("int8", { reduceRange: true })).toEqual({ qmin: -64, qmax: 63 });
    expect(quantRange("uint8", { reduceRange: true })).toEqual({ qmin: 0, qmax: 127 });
    expect(quantRange("int8", { narrowRange: true })).toEqual({ qmin: -127, qmax: 127 });
    expect(quantRange("uint8", { narrowRange: true })).toEqual({ qmin: 1, qmax: 255 });
  });
});

describe("chooseQParams (PyTorch observer formulas, float32 arithmetic)", () => {
  it("asymmetric uint8: scale = (max - min) / 255, zeroPoint = -round(min / scale)", () => {
    const { scale, zeroPoint } = chooseQParams({ min: -1, max: 2 }, { dtype: "uint8" });
    expect(scale).toBe(Math.fround(3 / 255));
    expect(zeroPoint).toBe(85);
  });

  it("asymmetric int8 shifts the zero point by qmin", () => {
    const { scale, zeroPoint } = chooseQParams({ min: -1, max: 2 }, { dtype: "int8" });
    expect(scale).toBe(Math.fround(3 / 255));
    expect(zeroPoint).toBe(-128 + 85);
  });

  it("widens the range to include 0", () => {
    expect(chooseQParams({ min: 2, max: 4 }, { dtype: "uint8" })).toEqual({
      scale: Math.fround(4 / 255),
      zeroPoint: 0,
    });
    expect(chooseQParams({ min: -4, max: -2 }, { dtype: "uint8" })).toEqual({
      scale: Math.fround(4 / 255),
      zeroPoint: 255,
    });
  });

  it("symmetric: scale = max|x| / ((qmax - qmin) / 2), zero point 0 for int8 and 128 for uint8", () => {
    expect(chooseQParams({ min: -1, max: 0.5 }, { dtype: "int8", symmetric: true })).toEqual({
      scale: Math.fround(1 / 127.5),
      zeroPoint: 0,
    });
    expect(chooseQParams({ min: -0.25, max: 3 }, { dtype: "uint8", symmetric: true })).toEqual({
      scale: Math.fround(3 / 127.5),
      zeroPoint: 128,
    });
    expect(chooseQParams({ min: -0.25, max: 3 }, { dtype: "uint4", symmetric: true })).toEqual({
      scale: Math.fround(3 / 7.5),
      zeroPoint: 8,
    });
  });

  it("narrowRange symmetric int8 divides by 127 (the TensorRT/ONNX weight convention)", () => {
    expect(chooseQParams({ min: -2, max: 1 }, { dtype: "int8", symmetric: true, narrowRange: true })).toEqual({
      scale: Math.fround(2 / 127),
      zeroPoint: 0,
    });
  });

  it("reduceRange drops one bit: int8 uses [-64, 63]", () => {
    const { scale, zeroPoint } = chooseQParams({ min: -1, max: 1 }, { dtype: "int8", reduceRange: true });
    expect(scale).toBe(Math.fround(2 / 127));
    expect(zeroPoint).toBe(-64 - Math.round(-1 / Math.fround(2 / 127)));
  });

  it("min = max (including 0 = 0) gives the epsilon floor and a valid zero point", () => {
    expect(chooseQParams({ min: 0, max: 0 }, { dtype: "uint8" })).toEqual({ scale: FLOAT32_EPSILON, zeroPoint: 0 });
    expect(chooseQParams({ min: 0, max: 0 }, { dtype: "int8" })).toEqual({ scale: FLOAT32_EPSILON, zeroPoint: -128 });
    expect(chooseQParams({ min: 0, max: 0 }, { dtype: "int8", symmetric: true })).toEqual({
      scale: FLOAT32_EPSILON,
      zeroPoint: 0,
    });
    expect(chooseQParams({ min: 3, max: 3 }, { dtype: "uint8" })).toEqual({
      scale: Math.fround(3 / 255),
      zeroPoint: 0,
    });
  });

  it("maps 0 to an exact integer and the range ends within half a step, for many random ranges", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 500; trial++) {
      const a = (next() - 0.7) * 10 ** (next() * 6 - 3);
      const b = a + next() * 10 ** (next() * 6 - 3);
      for (const dtype of ["int8", "uint8", "int4", "uint4"] as const) {
        const { scale, zeroPoint } = chooseQParams({ min: a, max: b }, { dtype });
        const { qmin, qmax } = quantRange(dtype);
        expect(zeroPoint).toBeGreaterThanOrEqual(qmin);
        expect(zeroPoint).toBeLessThanOrEqual(qmax);
        const low = Math.min(a, 0);
        const high = Math.max(b, 0);
        expect((qmin - zeroPoint) * scale, `trial ${trial} ${dtype}`).toBeLessThanOrEqual(low + scale * 0.5001);
        expect((qmax - zeroPoint) * scale, `trial ${trial} ${dtype}`).toBeGreaterThanOrEqual(high - scale * 0.5001);
      }
    }
  });

  it("per channel applies the scalar formula to each channel", () => {
    const { scales, zeroPoints } = chooseQParamsPerChannel({ min: [-1, 0, -2], max: [1, 4, -1] }, { dtype: "uint8" });
    for (let c = 0; c < 3; c++) {
      const one = chooseQParams({ min: [-1, 0, -2][c] as number, max: [1, 4, -1][c] as number }, { dtype: "uint8" });
      expect(scales[c]).toBe(one.scale);
      expect(zeroPoints[c]).toBe(one.zeroPoint);
    }
  });

  it("rejects NaN/Infinity, min > max and unknown dtypes", () => {
    expectMcError(() => chooseQParams({ min: Number.NaN, max: 1 }), InvalidArgumentError, "chooseQParams", "range.min");
    expectMcError(
      () => chooseQParams({ min: 0, max: Number.POSITIVE_INFINITY }),
      InvalidArgumentError,
      "range.max",
      "Infinity",
    );
    expectMcError(() => chooseQParams({ min: 2, max: 1 }), InvalidArgumentError, "must not exceed");
    expectMcError(
      () => chooseQParams({ min: 0, max: 1 }, { dtype: "int16" as never }),
      InvalidArgumentError,
      "options.dtype",
      "int16",
    );
  });
});
