import { createRng, InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectArraysEqual, expectMcError, tensor } from "../test/helpers";
import { dequantize } from "./dequantize";
import { fakeQuantize, fakeQuantizeBackward } from "./fake-quantize";
import { quantizePerChannel } from "./quantize-per-channel";
import { quantizePerTensor } from "./quantize-per-tensor";

describe("fakeQuantize", () => {
  it("forward equals dequantize(quantize(x)) per tensor and per channel", () => {
    const rng = createRng(1);
    const data = new Float32Array(60);
    for (let i = 0; i < 60; i++) data[i] = (rng.uniform() - 0.5) * 6;
    const x = { data, shape: [6, 10] };
    expectArraysEqual(
      fakeQuantize(x, { scale: 0.02, zeroPoint: 3, dtype: "uint8" }).output.data,
      dequantize(quantizePerTensor(x, 0.02, 3, "uint8")).data,
      "per tensor",
      x.shape,
    );
    const scales = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06];
    const zps = [0, 1, -1, 2, -2, 5];
    expectArraysEqual(
      fakeQuantize(x, { scale: scales, zeroPoint: zps, axis: 0 }).output.data,
      dequantize(quantizePerChannel(x, scales, zps, 0, "int8")).data,
      "per channel",
      x.shape,
    );
  });

  it("mask is 1 exactly where the integer was not clamped (narrow and reduced ranges too)", () => {
    const x = tensor([-130, -128.4, -128.6, 0, 127.4, 127.6, 200]);
    expectArraysEqual(fakeQuantize(x, { scale: 1, zeroPoint: 0 }).mask, [0, 1, 0, 1, 1, 0, 0], "int8");
    expectArraysEqual(
      fakeQuantize(x, { scale: 1, zeroPoint: 0, narrowRange: true }).mask,
      [0, 0, 0, 1, 1, 0, 0],
      "narrow",
    );
    expectArraysEqual(
      fakeQuantize(tensor([-64, -65, 63, 64]), { scale: 1, zeroPoint: 0, reduceRange: true }).mask,
      [1, 0, 1, 0],
      "reduced",
    );
  });

  it("straight-through gradient agrees with central finite differences of the staircase over a wide step", () => {
    // Inside the range the staircase rises one step per step: its slope averaged over h = 8 scales is 1.
    // Outside it is flat: every finite difference is exactly 0.
    const scale = 0.1;
    const points = [-20, -14, -5.05, -1.23, 0.37, 4.44, 11.5, 15, 30]; // range [-12.8, 12.7], each point > h from its ends
    const h = 8 * scale;
    const f = (v: number) => fakeQuantize(tensor([v]), { scale, zeroPoint: 0 }).output.data[0] as number;
    const { mask } = fakeQuantize(tensor(points), { scale, zeroPoint: 0 });
    const grad = fakeQuantizeBackward(new Float32Array(points.length).fill(1), mask);
    for (const [i, v] of points.entries()) {
      const fd = (f(v + h) - f(v - h)) / (2 * h);
      if (grad[i] === 1) expect(fd, `x = ${v}`).toBeCloseTo(1, 1);
      else expect(fd, `x = ${v}`).toBe(0);
    }
    expect(Array.from(grad)).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
  });

  it("backward multiplies the incoming gradient by the mask", () => {
    expectArraysEqual(fakeQuantizeBackward(Float32Array.of(2, -3, 4), Uint8Array.of(1, 0, 1)), [2, 0, 4], "grad");
  });

  it("rejects bad scales, zero points and NaN input", () => {
    expectMcError(() => fakeQuantize(tensor([1]), { scale: 0, zeroPoint: 0 }), InvalidArgumentError, "options.scale");
    expectMcError(
      () => fakeQuantize(tensor([1]), { scale: 1, zeroPoint: 300, dtype: "uint8" }),
      InvalidArgumentError,
      "options.zeroPoint",
    );
    expectMcError(() => fakeQuantize(tensor([Number.NaN]), { scale: 1, zeroPoint: 0 }), InvalidArgumentError, "NaN");
  });
});
