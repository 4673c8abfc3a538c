import { InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { randomTensor } from "../test/gradient-check";
import { ReLU } from "./activations";
import { Linear } from "./linear";
import { createLenet300100 } from "./models";
import { addParameterHook, type Parameter } from "./module";
import { SGD } from "./optimizers";
import { loadParameters, saveParameters } from "./parameters-io";
import { Sequential } from "./sequential";

describe("Module naming", () => {
  it("gives stable dotted names through nested Sequentials", () => {
    const inner = new Sequential({ q: new Linear(2, 2), act: new ReLU() });
    const model = new Sequential({ fc1: new Linear(3, 2), block: inner, out: new Linear(2, 1, { bias: false }) });
    expect(model.parameters().map((p) => p.name)).toEqual([
      "fc1.weight",
      "fc1.bias",
      "block.q.weight",
      "block.q.bias",
      "out.weight",
    ]);
    expect(model.getParameter("block.q.weight").kind).toBe("linear.weight");
    expect(model.getParameter("fc1.bias").kind).toBe("bias");
    expect(new Sequential([new Linear(2, 2)]).parameters().map((p) => p.name)).toEqual(["0.weight", "0.bias"]);
  });

  it("LeNet-300-100 has the documented names and shapes", () => {
    const model = createLenet300100({ seed: 1 });
    const shapes = Object.fromEntries(model.parameters().map((p) => [p.name, p.value.shape]));
    expect(shapes).toEqual({
      "fc1.weight": [300, 784],
      "fc1.bias": [300],
      "fc2.weight": [100, 300],
      "fc2.bias": [100],
      "fc3.weight": [10, 100],
      "fc3.bias": [10],
    });
  });

  it("getParameter on an unknown name is an InvalidArgumentError listing the names", () => {
    const model = createLenet300100();
    try {
      model.getParameter("fc9.weight");
      expect.fail("no error");
    } catch (error) {
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect(String(error)).toMatch(/no parameter named "fc9.weight".*fc1.weight/);
    }
  });

  it("train()/eval() set the mode recursively", () => {
    const model = createLenet300100();
    model.eval();
    expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
    model.train();
    expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
  });
});

describe("parameter hooks", () => {
  it("a pruning mask applies in forward, zeroes gradients and survives optimizer steps", () => {
    const model = new Sequential({ fc: new Linear(4, 3, { seed: 3 }) });
    const mask = new Float32Array(12).map((_, i) => (i % 3 === 0 ? 0 : 1));
    const remove = addParameterHook(model, "fc.weight", {
      forward: (w) => w.map((v, i) => v * (mask[i] as number)),
      backward: (g) => g.map((v, i) => v * (mask[i] as number)),
      afterStep: (p: Parameter) => {
        for (let i = 0; i < mask.length; i++) if (mask[i] === 0) p.value.data[i] = 0;
      },
    });
    const x = randomTensor([2, 4], 1);
    const y = model.forward(x);
    const w = model.getParameter("fc.weight").value.data;
    const b = model.getParameter("fc.bias").value.data;
    for (let o = 0; o < 3; o++) {
      let acc = b[o] as number;
      for (let i = 0; i < 4; i++) acc += (x.data[i] as number) * (w[o * 4 + i] as number) * (mask[o * 4 + i] as number);
      expect(Math.abs((y.data[o] as number) - acc), `output ${o}`).toBeLessThan(1e-5);
    }
    model.backward(randomTensor([2, 3], 2));
    const grad = model.getParameter("fc.weight").grad;
    for (let i = 0; i < 12; i++) if (mask[i] === 0) expect(grad[i], `grad ${i}`).toBe(0);
    new SGD(model, { learningRate: 0.1 }).step();
    for (let i = 0; i < 12; i++) if (mask[i] === 0) expect(w[i], `weight ${i}`).toBe(0);
    remove();
    expect(model.getParameter("fc.weight").hooks).toHaveLength(0);
  });

  it("a tied-gradient hook sums gradients per cluster (weight sharing)", () => {
    const model = new Sequential({ fc: new Linear(2, 2, { bias: false, seed: 1 }) });
    const clusters = [0, 1, 1, 0];
    addParameterHook(model, "fc.weight", {
      backward: (g) => {
        const sums = [0, 0];
        for (let i = 0; i < 4; i++) sums[clusters[i] as number] += g[i] as number;
        return g.map((_, i) => sums[clusters[i] as number] as number);
      },
    });
    model.forward(randomTensor([3, 2], 5));
    model.backward(randomTensor([3, 2], 6));
    const g = model.getParameter("fc.weight").grad;
    expect(g[0]).toBe(g[3]);
    expect(g[1]).toBe(g[2]);
  });

  it("a fake-quant forward hook with straight-through backward sees the rounded weight", () => {
    const layer = new Linear(2, 1, { bias: false, seed: 1 });
    const model = new Sequential({ fc: layer });
    const original = layer.weight.value.data.slice();
    addParameterHook(model, "fc.weight", { forward: (w) => w.map((v) => Math.round(v * 4) / 4) });
    const y = model.forward({ data: new Float32Array([1, 0]), shape: [1, 2] });
    expect(y.data[0]).toBe(Math.round((original[0] as number) * 4) / 4);
    expect(layer.weight.value.data).toEqual(original);
  });

  it("addParameterHook on an unknown name throws", () => {
    expect(() => addParameterHook(createLenet300100(), "nope", {})).toThrowError(/no parameter named "nope"/);
  });
});

describe("saveParameters / loadParameters", () => {
  it("round-trips every parameter into a fresh model with identical outputs", () => {
    const a = createLenet300100({ seed: 1 });
    const b = createLenet300100({ seed: 2 });
    const x = randomTensor([2, 784], 3);
    loadParameters(b, saveParameters(a));
    expect(b.forward(x).data).toEqual(a.forward(x).data);
  });

  it("rejects unknown names, wrong shapes and (strict) missing names before writing anything", () => {
    const model = createLenet300100({ seed: 1 });
    const saved = saveParameters(model);
    expect(() => loadParameters(model, { ...saved, "fc4.weight": saved["fc1.bias"] as never })).toThrowError(
      /unknown parameter name "fc4.weight"/,
    );
    expect(() =>
      loadParameters(model, { ...saved, "fc1.bias": { data: new Float32Array(3), shape: [3] } }),
    ).toThrowError(/"fc1.bias" has shape \[3\] but the model's parameter has shape \[300\]/);
    const partial = { "fc1.bias": saved["fc1.bias"] as never };
    expect(() => loadParameters(model, partial)).toThrowError(/missing parameters fc1.weight/);
    expect(loadParameters(model, partial, { strict: false }).missing).toHaveLength(5);
  });
});
