import { formatShape, ShapeMismatchError } from "@mc/core";
import type { LossWithGradient } from "./kd-loss";
import { assertFloatRows, assertSameShapes, type FloatTensor } from "./validate";

/**
 * TinyBERT's attention loss: (1/h)·Σ_heads MSE(A_S, A_T) on pre-softmax attention scores
 * [batch, heads, queries, keys]. TinyBERT matches unnormalized scores because they carry
 * more signal than the softmax output. With equal head sizes the mean over heads of
 * per-head MSEs equals the mean over all elements, which is what is computed:
 *   loss = Σ(a_S − a_T)² / count,  ∂/∂a_S = 2(a_S − a_T) / count.
 * The student needs the same number of heads as the teacher (as in TinyBERT). Scores must
 * be finite: mask padding out before calling (TinyBERT sets masked scores to 0 on both sides).
 */
export function attentionLoss(studentScores: FloatTensor, teacherScores: FloatTensor): LossWithGradient {
  const caller = "attentionLoss";
  const student = assertFloatRows(studentScores, caller, "studentScores", 4);
  const teacher = assertFloatRows(teacherScores, caller, "teacherScores", 4);
  if (student.shape.length !== 4) {
    throw new ShapeMismatchError({
      message: `${caller}: studentScores must be [batch, heads, queries, keys], got ${formatShape(student.shape)}`,
      actual: student.shape,
    });
  }
  assertSameShapes(student, teacher, caller, ["studentScores", "teacherScores"]);
  const count = student.data.length;
  const gradient = new Float32Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const d = (student.data[i] as number) - (teacher.data[i] as number);
    sum += d * d;
    gradient[i] = (2 * d) / count;
  }
  return { loss: sum / count, gradient: { data: gradient, shape: [...student.shape] } };
}
