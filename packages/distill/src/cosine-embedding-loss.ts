import type { LossWithGradient } from "./kd-loss";
import { assertFloatRows, assertSameShapes, type FloatTensor } from "./validate";

/** Guards 0/0 for all-zero rows, exactly as PyTorch's cosine_embedding_loss (EPSILON = 1e-12 on squared norms). */
const epsilon = 1e-12;

/**
 * DistilBERT's L_cos: mean over rows of 1 − cos(s, t), aligning the directions of the
 * student's and teacher's hidden vectors ([..., width], leading axes are rows), as
 * `torch.nn.CosineEmbeddingLoss` with target +1. With D = √((|s|² + ε)(|t|² + ε)):
 *   cos = s·t / D,  ∂(1 − cos)/∂s = −(t / D − cos·s / (|s|² + ε)).
 */
export function cosineEmbeddingLoss(studentHidden: FloatTensor, teacherHidden: FloatTensor): LossWithGradient {
  const caller = "cosineEmbeddingLoss";
  const student = assertFloatRows(studentHidden, caller, "studentHidden");
  const teacher = assertFloatRows(teacherHidden, caller, "teacherHidden");
  assertSameShapes(student, teacher, caller, ["studentHidden", "teacherHidden"]);
  const { rows, width } = student;
  const gradient = new Float32Array(student.data.length);
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const offset = r * width;
    let dot = 0;
    let studentSquared = 0;
    let teacherSquared = 0;
    for (let i = 0; i < width; i++) {
      const s = student.data[offset + i] as number;
      const t = teacher.data[offset + i] as number;
      dot += s * t;
      studentSquared += s * s;
      teacherSquared += t * t;
    }
    const denominator = Math.sqrt((studentSquared + epsilon) * (teacherSquared + epsilon));
    const cosine = dot / denominator;
    sum += 1 - cosine;
    for (let i = 0; i < width; i++) {
      const s = student.data[offset + i] as number;
      const t = teacher.data[offset + i] as number;
      gradient[offset + i] = -(t / denominator - (cosine * s) / (studentSquared + epsilon)) / rows;
    }
  }
  return { loss: sum / rows, gradient: { data: gradient, shape: [...student.shape] } };
}
