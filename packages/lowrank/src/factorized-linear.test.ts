import { createRng, type Tensor } from "@mc/core";
import { Linear, ReLU, Sequential, SGD, softmaxCrossEntropy } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { FactorizedLinear, factorizeModelLayer } from "./factorized-linear";

function numericGradient(f: () => number, values: Float32Array, index: number, h = 1e-2): number {
  const saved = values[index]!;
  values[index] = saved + h;
  const plus = f();
  values[index] = saved - h;
  const minus = f();
  values[index] = saved;
  return (plus - minus) / (2 * h);
}

describe("FactorizedLinear", () => {
  it("fromLinear: forward equals x·(A·B)ᵀ + b and the factorization error matches the dense weight", () => {
    const linear = new Linear(20, 12, { seed: 3 });
    const { layer, factorization } = FactorizedLinear.fromLinear(linear, { rank: 4 });
    expect(layer.parameters().map((p) => p.name)).toEqual([
      "rightFactor.weight",
      "leftFactor.weight",
      "leftFactor.bias",
    ]);
    expect(layer.parameters().reduce((s, p) => s + p.value.data.length, 0)).toBe((20 + 12) * 4 + 12);
    const rng = createRng(1);
    const input: Tensor = { data: rng.fillNormal(new Float32Array(5 * 20)), shape: [5, 20] };
    const output = layer.forward(input);
    const dense = layer.denseWeight();
    for (let s = 0; s < 5; s++) {
      for (let o = 0; o < 12; o++) {
        let expected = linear.bias!.value.data[o]!;
        for (let j = 0; j < 20; j++) expected += input.data[s * 20 + j]! * dense.data[o * 20 + j]!;
        expect(Math.abs(output.data[s * 12 + o]! - expected), `row ${s} output ${o}`).toBeLessThan(1e-5);
      }
    }
    let error = 0;
    for (let i = 0; i < dense.data.length; i++) error += (dense.data[i]! - linear.weight.value.data[i]!) ** 2;
    expect(Math.abs(Math.sqrt(error) - factorization.absoluteError)).toBeLessThan(1e-5);
  });

  it("backward gives finite-difference gradients for both factors and the input", () => {
    const layer = new FactorizedLinear(6, 5, 2, { seed: 4 });
    const rng = createRng(2);
    const input: Tensor = { data: rng.fillNormal(new Float32Array(3 * 6)), shape: [3, 6] };
    const labels = Uint8Array.from([0, 4, 2]);
    const loss = () => softmaxCrossEntropy(layer.forward(input), labels).loss;
    layer.zeroGrad();
    const { gradient } = softmaxCrossEntropy(layer.forward(input), labels);
    const inputGradient = layer.backward(gradient);
    for (const parameter of layer.parameters()) {
      for (let i = 0; i < parameter.value.data.length; i++) {
        const numeric = numericGradient(loss, parameter.value.data, i);
        expect(Math.abs(parameter.grad[i]! - numeric), `${parameter.name}[${i}]`).toBeLessThan(2e-3);
      }
    }
    for (let i = 0; i < input.data.length; i++) {
      const numeric = numericGradient(loss, input.data as Float32Array, i);
      expect(Math.abs(inputGradient.data[i]! - numeric), `input[${i}]`).toBeLessThan(2e-3);
    }
  });
});

describe("factorizeModelLayer", () => {
  const build = () =>
    new Sequential({ fc1: new Linear(30, 20, { seed: 1 }), relu: new ReLU(), fc2: new Linear(20, 4, { seed: 2 }) });

  it("replaces the named Linear, keeps names and the other layers, and the new model trains", () => {
    const model = build();
    const before = model.parameters().map((p) => p.name);
    const { model: factorized, factorization } = factorizeModelLayer(model, "fc1", { rank: 5 });
    expect(model.parameters().map((p) => p.name)).toEqual(before); // input untouched
    expect(factorized.parameters().map((p) => p.name)).toEqual([
      "fc1.rightFactor.weight",
      "fc1.leftFactor.weight",
      "fc1.leftFactor.bias",
      "fc2.weight",
      "fc2.bias",
    ]);
    expect(factorization.factorizedParameters).toBe(250);
    const rng = createRng(3);
    const input: Tensor = { data: rng.fillNormal(new Float32Array(16 * 30)), shape: [16, 30] };
    const labels = Uint8Array.from({ length: 16 }, (_, i) => i % 4);
    const optimizer = new SGD(factorized, { learningRate: 0.1 });
    const first = softmaxCrossEntropy(factorized.forward(input), labels).loss;
    for (let step = 0; step < 30; step++) {
      optimizer.zeroGrad();
      const result = softmaxCrossEntropy(factorized.forward(input), labels);
      factorized.backward(result.gradient);
      optimizer.step();
    }
    expect(softmaxCrossEntropy(factorized.forward(input), labels).loss).toBeLessThan(first * 0.7);
  });

  it("rejects unknown names, non-Linear children and ranks that save nothing", () => {
    const model = build();
    expect(() => factorizeModelLayer(model, "fc9", { rank: 2 })).toThrowError(
      /no child named "fc9"; children: fc1, relu, fc2/,
    );
    expect(() => factorizeModelLayer(model, "relu", { rank: 2 })).toThrowError(/child "relu" is a ReLU, not a Linear/);
    expect(() => factorizeModelLayer(model, "fc2", { rank: 4 })).toThrowError(/does not save parameters/);
  });
});
