import { createRng } from "@mc/core";
import { Adam, Linear, ReLU, Sequential, SGD, softmaxCrossEntropy } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { attachPruningMasks } from "./attach-masks";
import { magnitudeMask } from "./magnitude-mask";

function smallModel(seed: number) {
  return new Sequential({
    fc1: new Linear(12, 16, { seed }),
    relu: new ReLU(),
    fc2: new Linear(16, 4, { seed: seed + 1 }),
  });
}

function randomBatch(seed: number, batch = 32) {
  const rng = createRng(seed);
  const input = { data: rng.fillNormal(new Float32Array(batch * 12)), shape: [batch, 12] };
  const labels = new Uint8Array(batch).map(() => rng.integer(0, 3));
  return { input, labels };
}

describe("attachPruningMasks", () => {
  for (const [name, makeOptimizer] of [
    [
      "SGD with momentum and weight decay",
      (m: Sequential) => new SGD(m, { learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 }),
    ],
    ["Adam", (m: Sequential) => new Adam(m, { learningRate: 0.01 })],
  ] as const) {
    it(`keeps pruned weights exactly zero through training with ${name}`, () => {
      const model = smallModel(1);
      const mask1 = magnitudeMask(model.getParameter("fc1.weight").value, { sparsity: 0.8 }).mask;
      const mask2 = magnitudeMask(model.getParameter("fc2.weight").value, { sparsity: 0.5 }).mask;
      const before = model.getParameter("fc1.weight").value.data.slice();
      const attached = attachPruningMasks(model, { "fc1.weight": mask1, "fc2.weight": mask2 });
      const optimizer = makeOptimizer(model);
      for (let step = 0; step < 20; step++) {
        const { input, labels } = randomBatch(100 + step);
        optimizer.zeroGrad();
        const { gradient } = softmaxCrossEntropy(model.forward(input), labels);
        model.backward(gradient);
        const grad = model.getParameter("fc1.weight").grad;
        for (let i = 0; i < grad.length; i++) if (mask1[i] === 0) expect(grad[i]).toBe(0);
        optimizer.step();
      }
      for (const [paramName, mask] of [
        ["fc1.weight", mask1],
        ["fc2.weight", mask2],
      ] as const) {
        const data = model.getParameter(paramName).value.data;
        for (let i = 0; i < data.length; i++) {
          if (mask[i] === 0 && !Object.is(data[i], 0)) throw new Error(`${paramName}[${i}] = ${data[i]} under mask 0`);
        }
      }
      const after = model.getParameter("fc1.weight").value.data;
      let changed = 0;
      for (let i = 0; i < after.length; i++) if (mask1[i] === 1 && after[i] !== before[i]) changed++;
      expect(changed).toBeGreaterThan(0);
      attached.detach();
      expect(model.getParameter("fc1.weight").hooks.length).toBe(0);
    });
  }

  it("masks the forward pass even when a stored weight is edited", () => {
    const model = smallModel(2);
    const mask = new Uint8Array(16 * 12);
    mask.fill(1, 0, 12); // keep only unit 0's row
    attachPruningMasks(model, { "fc1.weight": mask });
    model.getParameter("fc1.weight").value.data[20] = 100; // row 1, pruned
    const { input } = randomBatch(3, 2);
    const withEdit = model.forward(input).data.slice();
    model.getParameter("fc1.weight").value.data[20] = 0;
    expect(model.forward(input).data).toEqual(withEdit);
  });

  it("setMask tightens a mask and zeros the newly pruned weights", () => {
    const model = smallModel(4);
    const weight = model.getParameter("fc2.weight");
    const attached = attachPruningMasks(model, { "fc2.weight": new Uint8Array(64).fill(1) });
    const tighter = magnitudeMask(weight.value, { sparsity: 0.75 }).mask;
    attached.setMask("fc2.weight", tighter);
    for (let i = 0; i < 64; i++) if (tighter[i] === 0) expect(weight.value.data[i]).toBe(0);
    expect(() => attached.setMask("fc1.weight", tighter)).toThrowError(/"fc1.weight" has no attached mask/);
  });

  it("rejects a mask of the wrong shape and an unknown parameter", () => {
    const model = smallModel(5);
    expect(() => attachPruningMasks(model, { "fc1.weight": new Uint8Array(5) })).toThrowError(
      /masks\["fc1.weight"\] has 5 entries but the weight of shape \[16, 12\] has 192/,
    );
    expect(() => attachPruningMasks(model, { "fc9.weight": new Uint8Array(5) })).toThrowError(/no parameter named/);
  });
});
