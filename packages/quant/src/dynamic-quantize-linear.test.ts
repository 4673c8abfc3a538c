import { InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectArraysEqual, expectMcError, tensor } from "../test/helpers";
import { dynamicQuantizeLinear } from "./dynamic-quantize-linear";

// The inputs of the ONNX operator documentation's DynamicQuantizeLinear examples; the expected
// outputs were confirmed with onnxruntime-node (2.345 / (4 / 255) = 149.49 rounds to 149).
describe("dynamicQuantizeLinear", () => {
  it("ONNX example 1 (mixed signs): scale 5/255, zero point 153", () => {
    const r = dynamicQuantizeLinear(tensor([0, 2, -3, -2.5, 1.34, 0.5]));
    expect(r.scale).toBeCloseTo(0.019607843, 8);
    expect(r.zeroPoint).toBe(153);
    expectArraysEqual(r.data, [153, 255, 0, 26, 221, 179], "y");
  });

  it("ONNX example 2 (all positive): zero point 0", () => {
    const r = dynamicQuantizeLinear(tensor([1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345], [3, 4]));
    expect(r.scale).toBeCloseTo(0.015686275, 8);
    expect(r.zeroPoint).toBe(0);
    expectArraysEqual(r.data, [64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149], "y", [3, 4]);
  });

  it("ONNX example 3 (all negative): zero point 255", () => {
    const r = dynamicQuantizeLinear(tensor([-1, -2.1, -1.3, -2.5, -3.34, -4.0, -1.5, -2.6, -3.9, -4.0, -3.0, -2.345]));
    expect(r.zeroPoint).toBe(255);
    expectArraysEqual(r.data, [191, 121, 172, 96, 42, 0, 159, 89, 6, 0, 64, 106], "y");
  });

  it("an all-zero or empty tensor gives scale 1 and zero point 0", () => {
    expect(dynamicQuantizeLinear(tensor([0, 0])).scale).toBe(1);
    expect(dynamicQuantizeLinear({ data: new Float32Array(0), shape: [0] })).toMatchObject({ scale: 1, zeroPoint: 0 });
  });

  it("rejects NaN and Infinity", () => {
    expectMcError(
      () => dynamicQuantizeLinear(tensor([1, Number.NaN])),
      InvalidArgumentError,
      "dynamicQuantizeLinear",
      "NaN",
    );
  });
});
