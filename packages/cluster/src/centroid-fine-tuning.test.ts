import { createRng, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { Linear, Sequential, SGD, softmaxCrossEntropy } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { addWeightSharingHook, centroidGradients } from "./centroid-fine-tuning";
import { shareWeights } from "./share-weights";

function setup(seed: number) {
  const model = new Sequential({ fc: new Linear(12, 5, { seed }) });
  const weight = model.getParameter("fc.weight");
  const rng = createRng(seed + 1);
  // Prune a third of the weights so the reserved zero entry is exercised.
  for (let i = 0; i < weight.value.data.length; i++) if (rng.uniform() < 0.33) weight.value.data[i] = 0;
  const input = { data: rng.fillNormal(new Float32Array(8 * 12)) as Float32Array, shape: [8, 12] };
  const labels = Uint8Array.from({ length: 8 }, () => rng.integer(0, 4));
  const shared = shareWeights(weight.value, { clusters: 4 });
  return { model, weight, input, labels, shared };
}

describe("centroid fine-tuning", () => {
  it("centroid gradients match central finite differences of the loss in the centroids", () => {
    const { model, weight, input, labels, shared } = setup(3);
    const handle = addWeightSharingHook(model, "fc.weight", shared);
    const loss = (codebook: Float32Array) => {
      for (let i = 0; i < shared.indices.length; i++)
        weight.value.data[i] = codebook[shared.indices[i] as number] as number;
      return softmaxCrossEntropy(model.forward(input), labels).loss;
    };
    model.zeroGrad();
    const { gradient } = softmaxCrossEntropy(model.forward(input), labels);
    // Gradient of the loss in the effective (dense) weight, as the layer hands it to hooks:
    const denseGradient = new Float32Array(shared.indices.length);
    weight.hooks.length = 0; // read the raw gradient without the sharing hook
    model.backward(gradient);
    denseGradient.set(weight.grad);
    const analytic = centroidGradients(denseGradient, shared.indices, shared.codebook.length);
    const eps = 1e-3;
    for (let k = 1; k < shared.codebook.length; k++) {
      const plus = handle.codebook.slice();
      const minus = handle.codebook.slice();
      plus[k] = (plus[k] as number) + eps;
      minus[k] = (minus[k] as number) - eps;
      const numeric = (loss(plus) - loss(minus)) / (2 * eps);
      expect(
        Math.abs(numeric - (analytic[k] as number)),
        `centroid ${k}: numeric ${numeric} analytic ${analytic[k]}`,
      ).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    }
  });

  it("one SGD step moves each centroid by -lr × the summed gradient, keeps clusters tied and zeros at 0", () => {
    const { model, weight, input, labels, shared } = setup(5);
    const handle = addWeightSharingHook(model, "fc.weight", shared);
    const before = handle.codebook.slice();
    const optimizer = new SGD(model, { learningRate: 0.1 });
    optimizer.zeroGrad();
    const { gradient } = softmaxCrossEntropy(model.forward(input), labels);
    // Raw per-weight gradient, computed on a hook-free copy of the same model.
    const twin = new Sequential({ fc: new Linear(12, 5, { seed: 5 }) });
    twin.getParameter("fc.weight").value.data.set(weight.value.data);
    twin.forward(input);
    twin.backward(gradient);
    const expectedStep = centroidGradients(twin.getParameter("fc.weight").grad, shared.indices, shared.codebook.length);
    model.backward(gradient);
    optimizer.step();
    expect(handle.codebook[0]).toBe(0);
    for (let k = 1; k < before.length; k++) {
      const expected = (before[k] as number) - 0.1 * (expectedStep[k] as number);
      expect(Math.abs((handle.codebook[k] as number) - expected), `centroid ${k}`).toBeLessThan(1e-6);
    }
    for (let i = 0; i < shared.indices.length; i++) {
      const value = weight.value.data[i] as number;
      if (value !== handle.codebook[shared.indices[i] as number])
        throw new Error(`weight ${i} = ${value} left its cluster ${shared.indices[i]}`);
    }
    handle.remove();
    expect(weight.hooks).toHaveLength(0);
  });

  it("rejects mismatched shapes and out-of-range indices", () => {
    const { model, shared } = setup(7);
    expect(() => addWeightSharingHook(model, "fc.bias", shared)).toThrow(ShapeMismatchError);
    expect(() => centroidGradients(Float32Array.of(1, 2), Uint8Array.of(0, 3), 3)).toThrow(
      /indices\[1\] = 3 is out of range/,
    );
    expect(() => centroidGradients(Float32Array.of(1), Uint8Array.of(0, 1), 3)).toThrow(ShapeMismatchError);
    expect(() => addWeightSharingHook(model, "nope", shared)).toThrow(InvalidArgumentError);
  });
});
