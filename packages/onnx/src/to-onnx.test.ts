import { UnsupportedError } from "@mc/core";
import { createLenet5, Dropout, Embedding, GELU, Linear, Sequential, Softmax, Tanh } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { randomData } from "../test/build-model";
import { float, runOnnx } from "../test/ort";
import { writeOnnx } from "./read-onnx";
import { toOnnx } from "./to-onnx";

function expectClose(actual: Float32Array, expected: Float32Array, shape: readonly number[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tolerance = 1e-4 * Math.max(1, Math.abs(expected[i] as number));
    if (!(Math.abs((actual[i] as number) - (expected[i] as number)) <= tolerance)) {
      throw new Error(`index ${i} of shape [${shape}]: onnxruntime ${actual[i]} vs @mc/nn ${expected[i]}`);
    }
  }
}

describe("toOnnx", () => {
  it("LeNet-5 (Conv, MaxPool, Flatten, Gemm, ReLU) matches @mc/nn's forward in onnxruntime", async () => {
    const model = createLenet5({ seed: 3 });
    model.eval();
    const images = randomData(3 * 784, 5);
    const expected = model.forward({ data: images, shape: [3, 1, 28, 28] });
    const onnx = toOnnx(model, { inputShape: [1, 28, 28] });
    expect(onnx.graph?.node?.map((n) => n.opType)).toEqual([
      "Conv",
      "Relu",
      "MaxPool",
      "Conv",
      "Relu",
      "MaxPool",
      "Flatten",
      "Gemm",
      "Relu",
      "Gemm",
    ]);
    expect(onnx.graph?.initializer?.map((t) => t.name)).toContain("conv1.weight");
    const out = await runOnnx(writeOnnx(onnx).bytes, { input: float(images, [3, 1, 28, 28]) });
    expect(out.output?.dims).toEqual([3, 10]);
    expectClose(out.output?.data as Float32Array, expected.data, expected.shape);
  });

  it("an MLP with GELU, Tanh, Dropout and Softmax matches in onnxruntime", async () => {
    const model = new Sequential({
      fc1: new Linear(12, 16, { seed: 1 }),
      gelu: new GELU(),
      drop: new Dropout(0.5),
      fc2: new Linear(16, 8, { seed: 2 }),
      tanh: new Tanh(),
      head: new Sequential([new Linear(8, 4, { seed: 3 }), new Softmax()]),
    });
    model.eval();
    const x = randomData(2 * 12, 7);
    const expected = model.forward({ data: x, shape: [2, 12] });
    const out = await runOnnx(writeOnnx(toOnnx(model, { inputShape: [12] })).bytes, { input: float(x, [2, 12]) });
    expectClose(out.output?.data as Float32Array, expected.data, expected.shape);
  });

  it("rejects layers without an ONNX export and bad input shapes", () => {
    expect(() => toOnnx(new Sequential([new Embedding(10, 4)]), { inputShape: [3] })).toThrow(UnsupportedError);
    expect(() => toOnnx(new Sequential([new Tanh()]), { inputShape: [0] })).toThrow(/inputShape/);
  });
});
