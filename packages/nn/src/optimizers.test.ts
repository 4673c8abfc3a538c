import { describe, expect, it } from "vitest";
import { Parameter } from "./module";
import { Adam, cosineDecay, SGD, stepDecay } from "./optimizers";

function scalarParameter(value: number, grad: number): Parameter {
  const p = new Parameter("w", { data: new Float32Array([value]), shape: [1] }, "linear.weight");
  p.grad[0] = grad;
  return p;
}

describe("SGD", () => {
  it("follows PyTorch's momentum and weight-decay recurrences (hand-computed)", () => {
    const p = scalarParameter(1, 0.5);
    const sgd = new SGD([p], { learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 });
    sgd.step(); // d = 0.5 + 0.01 = 0.51; v = 0.51; w = 1 - 0.051
    expect(p.value.data[0]).toBeCloseTo(0.949, 6);
    sgd.step(); // d = 0.5 + 0.00949 = 0.50949; v = 0.9·0.51 + 0.50949 = 0.96849; w = 0.949 - 0.096849
    expect(p.value.data[0]).toBeCloseTo(0.852151, 6);
  });

  it("minimizes a quadratic", () => {
    const p = scalarParameter(5, 0);
    const sgd = new SGD([p], { learningRate: 0.1, momentum: 0.5 });
    for (let i = 0; i < 200; i++) {
      p.grad[0] = 2 * ((p.value.data[0] as number) - 3);
      sgd.step();
    }
    expect(p.value.data[0]).toBeCloseTo(3, 4);
  });

  it("rejects bad options", () => {
    expect(() => new SGD([scalarParameter(0, 0)], { learningRate: Number.NaN })).toThrowError(
      /SGD: options.learningRate/,
    );
    expect(() => new SGD([])).toThrowError(/SGD: needs a Module or a non-empty array/);
  });
});

describe("Adam", () => {
  it("first step moves every weight by lr·sign(grad) (bias correction)", () => {
    const p = new Parameter("w", { data: new Float32Array([1, 1, 1]), shape: [3] }, "linear.weight");
    p.grad.set([0.3, -2, 1e-3]);
    new Adam([p], { learningRate: 0.01 }).step();
    expect(p.value.data[0]).toBeCloseTo(0.99, 5);
    expect(p.value.data[1]).toBeCloseTo(1.01, 5);
    expect(p.value.data[2]).toBeCloseTo(0.99, 4);
  });

  it("matches a float64 reference of the Adam recurrence over several steps", () => {
    const p = scalarParameter(2, 0);
    const adam = new Adam([p], { learningRate: 0.05, beta1: 0.8, beta2: 0.99, weightDecay: 0.1 });
    let w = 2;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 5; t++) {
      const g = Math.sin(t) + 0.1 * w;
      p.grad[0] = Math.sin(t);
      adam.step();
      m = 0.8 * m + 0.2 * g;
      v = 0.99 * v + 0.01 * g * g;
      w -= (0.05 * (m / (1 - 0.8 ** t))) / (Math.sqrt(v / (1 - 0.99 ** t)) + 1e-8);
      expect(p.value.data[0], `step ${t}`).toBeCloseTo(w, 5);
    }
  });
});

describe("schedules", () => {
  it("stepDecay and cosineDecay hit their closed forms", () => {
    const step = stepDecay({ initial: 1, stepSize: 2, gamma: 0.5 });
    expect([0, 1.9, 2, 4.5].map(step)).toEqual([1, 1, 0.5, 0.25]);
    const cosine = cosineDecay({ initial: 1, epochs: 10, minimum: 0.1 });
    expect(cosine(0)).toBeCloseTo(1, 12);
    expect(cosine(5)).toBeCloseTo(0.55, 12);
    expect(cosine(10)).toBeCloseTo(0.1, 12);
  });
});
