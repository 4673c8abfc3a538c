import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { numericGradient, randomNormal, worstDifference } from "../test/finite-difference";
import { distillationLoss, kdLoss } from "./kd-loss";

const batch = 3;
const classes = 5;
const t = (data: Float64Array | Float32Array, shape = [batch, classes]) => ({ data, shape });

/** T²·mean_b Σ_c p_T log(p_T/p_S) with plain softmax: the textbook formula, fine at moderate logits. */
function naiveKd(
  student: ArrayLike<number>,
  teacher: ArrayLike<number>,
  rows: number,
  width: number,
  temperature: number,
) {
  let sum = 0;
  for (let b = 0; b < rows; b++) {
    const softmax = (z: ArrayLike<number>) => {
      const e = Array.from({ length: width }, (_, c) => Math.exp(z[b * width + c]! / temperature));
      const total = e.reduce((s, v) => s + v, 0);
      return e.map((v) => v / total);
    };
    const ps = softmax(student);
    const pt = softmax(teacher);
    for (let c = 0; c < width; c++) sum += pt[c]! * Math.log(pt[c]! / ps[c]!);
  }
  return (temperature * temperature * sum) / rows;
}

describe("kdLoss", () => {
  for (const temperature of [0.5, 1, 2, 5, 20]) {
    it(`matches the textbook formula and finite differences at T = ${temperature}`, () => {
      const student = randomNormal(batch * classes, 1, 3);
      const teacher = randomNormal(batch * classes, 2, 3);
      const result = kdLoss(t(student), t(teacher), { temperature });
      const expected = naiveKd(student, teacher, batch, classes, temperature);
      expect(Math.abs(result.loss - expected) / expected).toBeLessThan(1e-10);
      const numeric = numericGradient((x) => kdLoss(t(x), t(teacher), { temperature }).loss, student);
      const worst = worstDifference(result.gradient.data, numeric);
      expect(
        worst.error,
        `index ${worst.index}: analytic ${worst.actual} vs numeric ${worst.expected}, shape [3, 5]`,
      ).toBeLessThan(1e-5);
    });
  }

  it("is zero with zero gradient when the student equals the teacher", () => {
    const logits = randomNormal(batch * classes, 4);
    const result = kdLoss(t(logits), t(logits.slice()), { temperature: 3 });
    expect(result.loss).toBe(0);
    expect(Math.max(...result.gradient.data.map(Math.abs))).toBeLessThan(1e-7);
  });

  it("high-temperature limit: gradient → (z_S − z_T)/(batch·classes) for zero-mean logits (Hinton §2.1)", () => {
    const centre = (x: Float64Array) => {
      for (let b = 0; b < batch; b++) {
        let mean = 0;
        for (let c = 0; c < classes; c++) mean += x[b * classes + c]! / classes;
        for (let c = 0; c < classes; c++) x[b * classes + c]! -= mean;
      }
      return x;
    };
    const student = centre(randomNormal(batch * classes, 5));
    const teacher = centre(randomNormal(batch * classes, 6));
    const { gradient } = kdLoss(t(student), t(teacher), { temperature: 1000 });
    for (let i = 0; i < batch * classes; i++) {
      const limit = (student[i]! - teacher[i]!) / (batch * classes);
      expect(Math.abs(gradient.data[i]! - limit), `index ${i}`).toBeLessThan(1e-4);
    }
  });

  it("extreme logits stay finite and match the closed form −T²·log p_S(argmax) for a one-hot teacher", () => {
    for (const scale of [1e3, 1e6, 1e30]) {
      for (const temperature of [0.05, 1, 10]) {
        const teacher = Float32Array.from([scale, -scale, 0, 0, -scale]);
        const student = Float32Array.from([-scale, scale, 0, scale / 2, -scale]);
        const result = kdLoss(t(student, [1, 5]), t(teacher, [1, 5]), { temperature });
        expect(Number.isFinite(result.loss), `scale ${scale} T ${temperature}: loss ${result.loss}`).toBe(true);
        expect(result.gradient.data.every(Number.isFinite)).toBe(true);
        // p_T is one-hot on class 0, so KL = −log p_S(0) = (max_s − s_0)/T + log Σ exp((s − max)/T).
        const z = Array.from(student, (v) => v / temperature);
        const max = Math.max(...z);
        const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
        const expected = temperature * temperature * (logSum - z[0]!);
        expect(Math.abs(result.loss - expected) / expected).toBeLessThan(1e-9);
        // Gradient: (T/batch)(p_S − p_T): −T at the teacher's class, +T at the student's.
        expect(result.gradient.data[0]).toBeCloseTo(-temperature, 5);
        expect(result.gradient.data[1]).toBeCloseTo(temperature, 5);
      }
    }
  });

  it("rejects T ≤ 0, non-finite T, shape mismatch, vectors and non-finite logits", () => {
    const a = t(randomNormal(15, 1));
    for (const temperature of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => kdLoss(a, a, { temperature })).toThrowError(
        /kdLoss: options.temperature must be a finite number > 0/,
      );
    }
    expect(() => kdLoss(a, t(randomNormal(12, 1), [3, 4]), { temperature: 2 })).toThrowError(ShapeMismatchError);
    expect(() => kdLoss(a, t(randomNormal(12, 1), [3, 4]))).toThrowError(
      /kdLoss: studentLogits has shape \[3, 5\] but teacherLogits has shape \[3, 4\]/,
    );
    expect(() => kdLoss(t(randomNormal(5, 1), [5]), t(randomNormal(5, 1), [5]))).toThrowError(/at least 2 dimensions/);
    expect(() => kdLoss(t(Float64Array.of(1, Number.NaN), [1, 2]), t(Float64Array.of(1, 2), [1, 2]))).toThrowError(
      /non-finite/,
    );
  });
});

describe("distillationLoss", () => {
  const student = randomNormal(batch * classes, 11, 2);
  const teacher = randomNormal(batch * classes, 12, 2);
  const labels = Uint8Array.from([0, 4, 2]);

  it("is alpha·soft + (1 − alpha)·hard with the exact mixed gradient", () => {
    for (const alpha of [0, 0.3, 0.9, 1]) {
      const result = distillationLoss({
        studentLogits: t(student),
        teacherLogits: t(teacher),
        labels,
        alpha,
        temperature: 4,
      });
      const soft = kdLoss(t(student), t(teacher), { temperature: 4 }).loss;
      let hard = 0;
      for (let b = 0; b < batch; b++) {
        const row = Array.from(student.subarray(b * classes, (b + 1) * classes));
        const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
        hard += (logSum - row[labels[b]!]!) / batch;
      }
      expect(result.softLoss).toBeCloseTo(soft, 12);
      expect(result.hardLoss).toBeCloseTo(hard, 12);
      expect(result.loss).toBeCloseTo(alpha * soft + (1 - alpha) * hard, 12);
      const numeric = numericGradient(
        (x) => distillationLoss({ studentLogits: t(x), teacherLogits: t(teacher), labels, alpha, temperature: 4 }).loss,
        student,
      );
      const worst = worstDifference(result.gradient.data, numeric);
      expect(worst.error, `alpha ${alpha} index ${worst.index}: ${worst.actual} vs ${worst.expected}`).toBeLessThan(
        1e-5,
      );
    }
  });

  it("rejects labels out of range, wrong label count, bad alpha and bad temperature", () => {
    const base = { studentLogits: t(student), teacherLogits: t(teacher), alpha: 0.5, temperature: 2 };
    expect(() => distillationLoss({ ...base, labels: Uint8Array.from([0, 5, 1]) })).toThrowError(
      /distillationLoss: labels\[1\] = 5 is out of range for 5 classes/,
    );
    expect(() => distillationLoss({ ...base, labels: [0, -1, 1] })).toThrowError(/labels\[1\] = -1/);
    expect(() => distillationLoss({ ...base, labels: [0, 1.5, 1] })).toThrowError(InvalidArgumentError);
    expect(() => distillationLoss({ ...base, labels: [0, 1] })).toThrowError(
      /labels has 2 entries but the logits have a batch of 3/,
    );
    expect(() => distillationLoss({ ...base, labels, alpha: 1.5 })).toThrowError(/alpha/);
    expect(() => distillationLoss({ ...base, labels, temperature: 0 })).toThrowError(
      /temperature must be a finite number > 0/,
    );
  });
});
