import { ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { numericGradient, randomNormal, worstDifference } from "../test/finite-difference";
import { attentionLoss } from "./attention-loss";
import { cosineEmbeddingLoss } from "./cosine-embedding-loss";
import { hiddenStateLoss } from "./hidden-state-loss";

describe("hiddenStateLoss", () => {
  it("without projection: MSE over all elements and its gradient (finite differences)", () => {
    const shape = [2, 3, 4];
    const student = randomNormal(24, 1);
    const teacher = randomNormal(24, 2);
    const result = hiddenStateLoss({ data: student, shape }, { data: teacher, shape });
    let expected = 0;
    for (let i = 0; i < 24; i++) expected += (student[i]! - teacher[i]!) ** 2 / 24;
    expect(result.loss).toBeCloseTo(expected, 12);
    expect(result.projectionGradient).toBeUndefined();
    const numeric = numericGradient((x) => hiddenStateLoss({ data: x, shape }, { data: teacher, shape }).loss, student);
    expect(worstDifference(result.gradient.data, numeric).error).toBeLessThan(1e-5);
  });

  it("with a learned projection W_h (student 3 → teacher 5): loss and gradients for H_S and W_h", () => {
    const student = randomNormal(2 * 4 * 3, 3);
    const teacher = randomNormal(2 * 4 * 5, 4);
    const projection = randomNormal(15, 5, 0.5);
    const s = (x: Float64Array) => ({ data: x, shape: [2, 4, 3] });
    const tt = { data: teacher, shape: [2, 4, 5] };
    const p = (x: Float64Array) => ({ data: x, shape: [3, 5] });
    const result = hiddenStateLoss(s(student), tt, { projection: p(projection) });
    // Direct: project then MSE.
    let expected = 0;
    for (let r = 0; r < 8; r++)
      for (let j = 0; j < 5; j++) {
        let y = 0;
        for (let i = 0; i < 3; i++) y += student[r * 3 + i]! * projection[i * 5 + j]!;
        expected += (y - teacher[r * 5 + j]!) ** 2 / 40;
      }
    expect(result.loss).toBeCloseTo(expected, 12);
    const numericStudent = numericGradient(
      (x) => hiddenStateLoss(s(x), tt, { projection: p(projection) }).loss,
      student,
    );
    const numericProjection = numericGradient(
      (x) => hiddenStateLoss(s(student), tt, { projection: p(x) }).loss,
      projection,
    );
    const worstStudent = worstDifference(result.gradient.data, numericStudent);
    const worstProjection = worstDifference(result.projectionGradient!.data, numericProjection);
    expect(worstStudent.error, `student index ${worstStudent.index}`).toBeLessThan(1e-5);
    expect(worstProjection.error, `projection index ${worstProjection.index}`).toBeLessThan(1e-5);
    expect(result.projectionGradient!.shape).toEqual([3, 5]);
  });

  it("rejects mismatched leading axes, width mismatch without projection and a wrong projection shape", () => {
    const a = { data: randomNormal(12, 1), shape: [3, 4] };
    expect(() => hiddenStateLoss(a, { data: randomNormal(8, 1), shape: [2, 4] })).toThrowError(
      /hiddenStateLoss: studentHidden \[3, 4\] and teacherHidden \[2, 4\] differ before the last/,
    );
    expect(() => hiddenStateLoss(a, { data: randomNormal(18, 1), shape: [3, 6] })).toThrowError(
      /pass options.projection \[4, 6\]/,
    );
    expect(() =>
      hiddenStateLoss(
        a,
        { data: randomNormal(18, 1), shape: [3, 6] },
        { projection: { data: randomNormal(24, 1), shape: [6, 4] } },
      ),
    ).toThrowError(ShapeMismatchError);
  });
});

describe("cosineEmbeddingLoss", () => {
  it("closed forms: 0 for parallel rows, 1 for orthogonal, 2 for opposite", () => {
    const shape = [3, 2];
    const student = Float64Array.from([1, 0, 0, 2, 3, 3]);
    const teacher = Float64Array.from([5, 0, 7, 0, -1, -1]);
    const result = cosineEmbeddingLoss({ data: student, shape }, { data: teacher, shape });
    expect(result.loss).toBeCloseTo((0 + 1 + 2) / 3, 10);
  });

  it("gradient matches finite differences, including the PyTorch ε in the denominator", () => {
    const shape = [4, 6];
    const student = randomNormal(24, 7);
    const teacher = randomNormal(24, 8);
    const result = cosineEmbeddingLoss({ data: student, shape }, { data: teacher, shape });
    const numeric = numericGradient(
      (x) => cosineEmbeddingLoss({ data: x, shape }, { data: teacher, shape }).loss,
      student,
    );
    const worst = worstDifference(result.gradient.data, numeric);
    expect(worst.error, `index ${worst.index}: ${worst.actual} vs ${worst.expected}`).toBeLessThan(1e-5);
  });

  it("an all-zero row gives loss 1 and a finite gradient, not NaN", () => {
    const result = cosineEmbeddingLoss(
      { data: new Float64Array(3), shape: [1, 3] },
      { data: Float64Array.of(1, 2, 3), shape: [1, 3] },
    );
    expect(result.loss).toBe(1);
    expect(result.gradient.data.every(Number.isFinite)).toBe(true);
  });

  it("rejects different shapes", () => {
    expect(() =>
      cosineEmbeddingLoss({ data: new Float32Array(6), shape: [2, 3] }, { data: new Float32Array(6), shape: [3, 2] }),
    ).toThrowError(/cosineEmbeddingLoss: studentHidden has shape \[2, 3\] but teacherHidden has shape \[3, 2\]/);
  });
});

describe("attentionLoss", () => {
  it("equals the mean over heads of per-head MSE, with finite-difference gradient", () => {
    const shape = [2, 3, 4, 4];
    const count = 2 * 3 * 16;
    const student = randomNormal(count, 9, 3);
    const teacher = randomNormal(count, 10, 3);
    const result = attentionLoss({ data: student, shape }, { data: teacher, shape });
    let perHeadSum = 0;
    for (let h = 0; h < 3; h++) {
      let mse = 0;
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 16; i++) {
          const index = (b * 3 + h) * 16 + i;
          mse += (student[index]! - teacher[index]!) ** 2 / 32;
        }
      perHeadSum += mse;
    }
    expect(result.loss).toBeCloseTo(perHeadSum / 3, 10);
    const numeric = numericGradient((x) => attentionLoss({ data: x, shape }, { data: teacher, shape }).loss, student);
    expect(worstDifference(result.gradient.data, numeric).error).toBeLessThan(1e-5);
  });

  it("rejects non-4-D scores, head-count mismatch and -Infinity (masked) scores", () => {
    expect(() =>
      attentionLoss({ data: new Float32Array(16), shape: [4, 4] }, { data: new Float32Array(16), shape: [4, 4] }),
    ).toThrowError(/attentionLoss: studentScores must have at least 4 dimensions/);
    expect(() =>
      attentionLoss(
        { data: new Float32Array(32), shape: [1, 2, 4, 4] },
        { data: new Float32Array(64), shape: [1, 4, 4, 4] },
      ),
    ).toThrowError(/studentScores has shape \[1, 2, 4, 4\] but teacherScores has shape \[1, 4, 4, 4\]/);
    const masked = new Float32Array(16);
    masked[3] = Number.NEGATIVE_INFINITY;
    expect(() =>
      attentionLoss({ data: masked, shape: [1, 1, 4, 4] }, { data: new Float32Array(16), shape: [1, 1, 4, 4] }),
    ).toThrowError(/non-finite value -Infinity at index 3/);
  });
});
