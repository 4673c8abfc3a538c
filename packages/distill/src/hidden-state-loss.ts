import { formatShape, ShapeMismatchError, shapesEqual, type Tensor } from "@mc/core";
import type { LossWithGradient } from "./kd-loss";
import { assertFloatRows, type FloatTensor } from "./validate";

export interface HiddenStateLossOptions {
  /**
   * Learned W_h [studentWidth, teacherWidth] (TinyBERT): the loss compares H_S·W_h with H_T,
   * so a narrow student can match a wide teacher. Required when the widths differ.
   */
  projection?: FloatTensor;
}

export interface HiddenStateLossResult extends LossWithGradient {
  /** ∂loss/∂W_h [studentWidth, teacherWidth], present when a projection was given. */
  projectionGradient?: Tensor<Float32Array>;
}

/**
 * TinyBERT's hidden-state loss MSE(H_S·W_h, H_T): the mean of squared differences over every
 * element of the teacher-sized output. Hidden states are [..., width]; all leading
 * dimensions (batch, sequence) must match and are treated as rows.
 *   R = H_S·W_h − H_T,  ∂/∂H_S = (2/count)·R·W_hᵀ,  ∂/∂W_h = (2/count)·H_Sᵀ·R.
 */
export function hiddenStateLoss(
  studentHidden: FloatTensor,
  teacherHidden: FloatTensor,
  options: HiddenStateLossOptions = {},
): HiddenStateLossResult {
  const caller = "hiddenStateLoss";
  const student = assertFloatRows(studentHidden, caller, "studentHidden");
  const teacher = assertFloatRows(teacherHidden, caller, "teacherHidden");
  const leadingStudent = student.shape.slice(0, -1);
  const leadingTeacher = teacher.shape.slice(0, -1);
  if (!shapesEqual(leadingStudent, leadingTeacher)) {
    throw new ShapeMismatchError({
      message: `${caller}: studentHidden ${formatShape(student.shape)} and teacherHidden ${formatShape(teacher.shape)} differ before the last (width) axis`,
      expected: teacher.shape,
      actual: student.shape,
    });
  }
  const { projection } = options;
  const rows = student.rows;
  const studentWidth = student.width;
  const teacherWidth = teacher.width;
  const count = rows * teacherWidth;

  if (projection === undefined) {
    if (studentWidth !== teacherWidth) {
      throw new ShapeMismatchError({
        message: `${caller}: studentHidden width ${studentWidth} differs from teacherHidden width ${teacherWidth}; pass options.projection [${studentWidth}, ${teacherWidth}]`,
        expected: teacher.shape,
        actual: student.shape,
      });
    }
    const gradient = new Float32Array(student.data.length);
    let sum = 0;
    for (let i = 0; i < student.data.length; i++) {
      const d = (student.data[i] as number) - (teacher.data[i] as number);
      sum += d * d;
      gradient[i] = (2 * d) / count;
    }
    return { loss: sum / count, gradient: { data: gradient, shape: [...student.shape] } };
  }

  const w = assertFloatRows(projection, caller, "options.projection", 2);
  if (w.shape.length !== 2 || w.shape[0] !== studentWidth || w.shape[1] !== teacherWidth) {
    throw new ShapeMismatchError({
      message: `${caller}: options.projection must be [${studentWidth}, ${teacherWidth}] (student width → teacher width), got ${formatShape(w.shape)}`,
      expected: [studentWidth, teacherWidth],
      actual: w.shape,
    });
  }
  const residual = new Float64Array(teacherWidth);
  const gradient = new Float32Array(student.data.length);
  const projectionGradient = new Float64Array(studentWidth * teacherWidth);
  let sum = 0;
  const scale = 2 / count;
  for (let r = 0; r < rows; r++) {
    const so = r * studentWidth;
    const to = r * teacherWidth;
    residual.fill(0);
    for (let i = 0; i < studentWidth; i++) {
      const h = student.data[so + i] as number;
      if (h === 0) continue;
      const wo = i * teacherWidth;
      for (let j = 0; j < teacherWidth; j++) residual[j] += h * (w.data[wo + j] as number);
    }
    for (let j = 0; j < teacherWidth; j++) {
      const d = (residual[j] as number) - (teacher.data[to + j] as number);
      residual[j] = d;
      sum += d * d;
    }
    for (let i = 0; i < studentWidth; i++) {
      const wo = i * teacherWidth;
      const h = student.data[so + i] as number;
      let acc = 0;
      for (let j = 0; j < teacherWidth; j++) {
        const d = residual[j] as number;
        acc += d * (w.data[wo + j] as number);
        projectionGradient[wo + j] += h * d;
      }
      gradient[so + i] = scale * acc;
    }
  }
  const projected = new Float32Array(projectionGradient.length);
  for (let i = 0; i < projected.length; i++) projected[i] = scale * (projectionGradient[i] as number);
  return {
    loss: sum / count,
    gradient: { data: gradient, shape: [...student.shape] },
    projectionGradient: { data: projected, shape: [studentWidth, teacherWidth] },
  };
}
