import { createRng } from "@mc/core";
import { type Dataset, Flatten, Linear, type Parameter, ReLU, Sequential, SGD } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { distill } from "./distill";
import { hiddenStateLoss } from "./hidden-state-loss";
import { kdLoss } from "./kd-loss";

function syntheticData(count: number, seed: number): Dataset {
  const rng = createRng(seed);
  const images = rng.fillNormal(new Float32Array(count * 8));
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = (images[i * 8]! > 0 ? 1 : 0) + (images[i * 8 + 1]! > 0 ? 1 : 0);
  return { images, labels, count, shape: [1, 1, 8] };
}

const teacherModel = (seed = 1) =>
  new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(8, 10, { seed }),
    relu: new ReLU(),
    fc2: new Linear(10, 3, { seed: seed + 1 }),
  });
const studentModel = (seed = 5) =>
  new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(8, 6, { seed }),
    relu: new ReLU(),
    fc2: new Linear(6, 3, { seed: seed + 1 }),
  });

const snapshot = (parameters: Parameter[]) => parameters.map((p) => p.value.data.slice());

describe("distill", () => {
  it("keeps the teacher frozen, lowers the soft loss, reports progress and is deterministic for a seed", () => {
    const data = syntheticData(64, 1);
    const teacher = teacherModel();
    const before = snapshot(teacher.parameters());
    const run = () => {
      const student = studentModel();
      const phases: string[] = [];
      const result = distill(student, teacher, data, {
        optimizer: new SGD(student, { learningRate: 0.2 }),
        epochs: 6,
        batchSize: 16,
        temperature: 3,
        seed: 9,
        onProgress: (p) => phases.push(p.phase),
      });
      return { student, result, phases };
    };
    const first = run();
    const second = run();
    for (const [i, p] of teacher.parameters().entries()) expect(p.value.data, `teacher ${p.name}`).toEqual(before[i]);
    const losses = first.result.epochs.map((e) => e.components.soft);
    expect(losses[5]!).toBeLessThan(losses[0]! * 0.7);
    expect(first.phases.filter((p) => p === "batch").length).toBe(6 * 4);
    expect(first.phases.filter((p) => p === "epoch").length).toBe(6);
    for (const [i, p] of first.student.parameters().entries()) {
      expect(p.value.data).toEqual(second.student.parameters()[i]!.value.data);
    }
  });

  it("the summed soft + hidden(projection) objective has finite-difference gradients for student and W_h", () => {
    const data = syntheticData(12, 2);
    const teacher = teacherModel();
    const student = studentModel();
    let captured: Parameter[] = [];
    const temperature = 2;
    const weights = { soft: 0.7, hard: 0.4, hidden: 1.3 };
    const result = distill(student, teacher, data, {
      optimizer: (parameters) => {
        captured = parameters;
        return new SGD(parameters, { learningRate: 0 });
      },
      batchSize: 12,
      temperature,
      weights,
      hiddenPairs: [{ student: "relu", teacher: "relu" }],
      seed: 4,
    });
    const projection = result.projections.get(0)!;
    expect(projection.value.shape).toEqual([6, 10]);
    expect(captured.includes(projection)).toBe(true);
    // The objective recomputed independently from the public losses.
    const input = { data: data.images, shape: [12, 1, 1, 8] };
    const objective = () => {
      const t = teacher.forwardWithIntermediates(input);
      const s = student.forwardWithIntermediates(input);
      const soft = kdLoss(s.output, t.output, { temperature }).loss;
      let hard = 0;
      for (let r = 0; r < 12; r++) {
        const row = Array.from(s.output.data.subarray(r * 3, r * 3 + 3));
        const max = Math.max(...row);
        hard += (max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[data.labels[r]!]!) / 12;
      }
      const hidden = hiddenStateLoss(s.outputs[2]!, t.outputs[2]!, { projection: projection.value }).loss;
      return weights.soft * soft + weights.hard * hard + weights.hidden * hidden;
    };
    const h = 1e-2;
    for (const parameter of [student.getParameter("fc1.weight"), student.getParameter("fc2.bias"), projection]) {
      for (const index of [0, 2, 5].map((i) => i % parameter.value.data.length)) {
        const saved = parameter.value.data[index]!;
        parameter.value.data[index] = saved + h;
        const plus = objective();
        parameter.value.data[index] = saved - h;
        const minus = objective();
        parameter.value.data[index] = saved;
        const numeric = (plus - minus) / (2 * h);
        expect(
          Math.abs(parameter.grad[index]! - numeric),
          `${parameter.name}[${index}]: ${parameter.grad[index]} vs ${numeric}`,
        ).toBeLessThan(2e-3);
      }
    }
  });

  it("cacheTeacher gives bit-identical training to running the teacher every batch", () => {
    const data = syntheticData(40, 6);
    const teacher = teacherModel();
    const run = (cacheTeacher: boolean) => {
      const student = studentModel();
      distill(student, teacher, data, {
        optimizer: (parameters) => new SGD(parameters, { learningRate: 0.1 }),
        epochs: 2,
        batchSize: 16,
        temperature: 2,
        weights: { soft: 1, hard: 0.5, hidden: 0.5 },
        hiddenPairs: [{ student: "relu", teacher: "relu" }],
        cacheTeacher,
        seed: 3,
      });
      return student.parameters().map((p) => p.value.data);
    };
    const cached = run(true);
    const live = run(false);
    for (const [i, values] of cached.entries()) expect(values, `parameter ${i}`).toEqual(live[i]);
  });

  it("rejects bad options with McErrors naming the argument", () => {
    const data = syntheticData(8, 3);
    const teacher = teacherModel();
    const student = studentModel();
    const optimizer = new SGD(student, { learningRate: 0.1 });
    expect(() => distill(student, student, data, { optimizer })).toThrowError(/same model/);
    expect(() => distill(student, teacher, data, { optimizer, temperature: 0 })).toThrowError(
      /distill: options.temperature must be a finite number > 0, got 0/,
    );
    expect(() => distill(student, teacher, data, { optimizer, weights: { soft: -1 } })).toThrowError(
      /options.weights.soft/,
    );
    expect(() =>
      distill(student, teacher, data, { optimizer, hiddenPairs: [{ student: "relu", teacher: "relu" }] }),
    ).toThrowError(/pass options.optimizer as a factory/);
    expect(() =>
      distill(student, teacher, data, { optimizer, hiddenPairs: [{ student: "nope", teacher: "relu" }] }),
    ).toThrowError(/no child named "nope"; children: flatten, fc1, relu, fc2/);
    expect(() =>
      distill(student, teacher, data, {
        optimizer,
        hiddenPairs: [{ student: "relu", teacher: "relu", loss: "cosine" }],
      }),
    ).toThrowError(/cosine pair 0 \(relu → relu\) needs equal widths, got 6 and 10/);
    const wide = new Sequential({ flatten: new Flatten(), fc: new Linear(8, 4) });
    expect(() => distill(wide, teacher, data, { optimizer: new SGD(wide) })).toThrowError(
      /student has 4 outputs but teacher has 3/,
    );
    expect(() =>
      distill(student, teacher, data, { optimizer, attentionPairs: [{ student: "a", teacher: "b" }] }),
    ).toThrowError(/no attention scores/);
  });
});
