import { McError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { checkModuleGradients, randomTensor } from "../test/gradient-check";
import { ReLU, Tanh } from "./activations";
import { Linear } from "./linear";
import { Sequential } from "./sequential";

describe("Linear", () => {
  it("computes y = x·Wᵀ + b against a naive triple loop", () => {
    const layer = new Linear(5, 3, { seed: 4 });
    const x = randomTensor([4, 5], 1);
    const y = layer.forward(x);
    expect(y.shape).toEqual([4, 3]);
    const w = layer.weight.value.data;
    const b = layer.bias?.value.data as Float32Array;
    for (let r = 0; r < 4; r++) {
      for (let o = 0; o < 3; o++) {
        let acc = b[o] as number;
        for (let i = 0; i < 5; i++) acc += (x.data[r * 5 + i] as number) * (w[o * 5 + i] as number);
        expect(Math.abs((y.data[r * 3 + o] as number) - acc), `row ${r} out ${o}`).toBeLessThan(1e-5);
      }
    }
  });

  it("gradients match finite differences (input, weight, bias)", () => {
    checkModuleGradients(new Linear(6, 4, { seed: 2 }), randomTensor([3, 6], 3));
  });

  it("folds leading dimensions into rows for rank-3 inputs", () => {
    const layer = new Linear(4, 2, { seed: 1 });
    const y = layer.forward(randomTensor([2, 3, 4], 5));
    expect(y.shape).toEqual([2, 3, 2]);
    checkModuleGradients(layer, randomTensor([2, 3, 4], 5));
  });

  it("is initialized deterministically from its seed", () => {
    const a = new Linear(8, 8, { seed: 7 }).weight.value.data;
    const b = new Linear(8, 8, { seed: 7 }).weight.value.data;
    const c = new Linear(8, 8, { seed: 8 }).weight.value.data;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("rejects a wrong input width and an empty batch with McError", () => {
    const layer = new Linear(4, 2);
    expect(() => layer.forward(randomTensor([2, 5], 1))).toThrowError(
      /Linear.forward: input has shape \[2, 5\].*expects last dimension 4/,
    );
    try {
      layer.forward({ data: new Float32Array(0), shape: [0, 4] });
      expect.fail("no error");
    } catch (error) {
      expect(McError.isInstance(error)).toBe(true);
      expect(String(error)).toMatch(/empty batch/);
    }
  });

  it("rejects backward before forward and a gradient of the wrong shape", () => {
    const layer = new Linear(4, 2);
    expect(() => layer.backward(randomTensor([1, 2], 1))).toThrowError(/backward called before forward/);
    layer.forward(randomTensor([3, 4], 1));
    expect(() => layer.backward(randomTensor([3, 3], 1))).toThrowError(/gradOutput has shape \[3, 3\]/);
  });
});

describe("activations in a stack", () => {
  it("Linear-ReLU-Linear gradients match finite differences away from the kink", () => {
    const model = new Sequential([new Linear(5, 7, { seed: 1 }), new ReLU(), new Linear(7, 3, { seed: 2 })]);
    // epsilon well below the smallest |pre-activation| keeps every ReLU on one side.
    checkModuleGradients(model, randomTensor([4, 5], 9), { epsilon: 1e-3, tolerance: 3e-2 });
  });

  it("Tanh gradients match finite differences", () => {
    checkModuleGradients(new Tanh(), randomTensor([3, 5], 2, 2));
  });
});
