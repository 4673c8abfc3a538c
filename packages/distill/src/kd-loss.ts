import { assertFiniteNumber, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { logSoftmaxRows } from "./log-softmax";
import { assertLogits, assertSameShapes, assertTemperature, type FloatTensor } from "./validate";

export interface KdLossOptions {
  /** Softmax temperature T > 0; Hinton et al. used 2–20. */
  temperature?: number;
}

export interface LossWithGradient {
  loss: number;
  /** ∂loss/∂(student input), same shape as the student tensor. */
  gradient: Tensor<Float32Array>;
}

const kdDefaults = { temperature: 1 } as const;

/**
 * Hinton et al.'s soft-target loss: T²·KL(p_T ‖ p_S) with p = softmax(logits / T), summed
 * over classes and averaged over the batch (PyTorch `kl_div(..., reduction="batchmean")`
 * times T²). The T² keeps the gradient's scale independent of T:
 *   ∂loss/∂s = (T / batch)·(p_S − p_T).
 * Computed in float64 from log-softmax, so extreme logits give finite values.
 */
export function kdLoss(
  studentLogits: FloatTensor,
  teacherLogits: FloatTensor,
  options: KdLossOptions = {},
): LossWithGradient {
  const caller = "kdLoss";
  const student = assertLogits(studentLogits, caller, "studentLogits");
  const teacher = assertLogits(teacherLogits, caller, "teacherLogits");
  assertSameShapes(student, teacher, caller, ["studentLogits", "teacherLogits"]);
  const { temperature = kdDefaults.temperature } = options;
  assertTemperature(temperature, caller);
  return kdLossUnchecked(student.data, teacher.data, student.rows, student.width, temperature);
}

export function kdLossUnchecked(
  student: ArrayLike<number>,
  teacher: ArrayLike<number>,
  batch: number,
  classes: number,
  temperature: number,
): LossWithGradient {
  const logStudent = logSoftmaxRows(student, batch, classes, temperature);
  const logTeacher = logSoftmaxRows(teacher, batch, classes, temperature);
  const gradient = new Float32Array(batch * classes);
  const gradientScale = temperature / batch;
  let sum = 0;
  for (let i = 0; i < batch * classes; i++) {
    const lt = logTeacher[i] as number;
    const ls = logStudent[i] as number;
    const pt = Math.exp(lt);
    // pt underflows to exactly 0 for hopeless classes; 0·(finite) keeps the term 0.
    if (pt > 0) sum += pt * (lt - ls);
    gradient[i] = gradientScale * (Math.exp(ls) - pt);
  }
  // KL is non-negative; rounding can leave -1e-17 for identical inputs.
  const loss = Math.max(0, (temperature * temperature * sum) / batch);
  return { loss, gradient: { data: gradient, shape: [batch, classes] } };
}

export type Labels = Uint8Array | Uint16Array | Int32Array | Uint32Array | readonly number[];

export function assertLabels(labels: unknown, batch: number, classes: number, caller: string): ArrayLike<number> {
  if (labels === null || typeof labels !== "object" || typeof (labels as ArrayLike<number>).length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: labels must be an array of class indices`,
      argument: "labels",
    });
  }
  const values = labels as ArrayLike<number>;
  if (values.length !== batch) {
    throw new ShapeMismatchError({
      message: `${caller}: labels has ${values.length} entries but the logits have a batch of ${batch}`,
      expected: [batch],
      actual: [values.length],
    });
  }
  for (let i = 0; i < batch; i++) {
    const label = values[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new InvalidArgumentError({
        message: `${caller}: labels[${i}] = ${label} is out of range for ${classes} classes`,
        argument: "labels",
        value: label,
      });
    }
  }
  return values;
}

/** Mean cross-entropy of logits against integer labels, with its gradient (softmax − one-hot)/batch. */
export function crossEntropyUnchecked(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  batch: number,
  classes: number,
): LossWithGradient {
  const logProbabilities = logSoftmaxRows(logits, batch, classes, 1);
  const gradient = new Float32Array(batch * classes);
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    const label = labels[b] as number;
    sum -= logProbabilities[b * classes + label] as number;
    for (let c = 0; c < classes; c++) {
      gradient[b * classes + c] =
        (Math.exp(logProbabilities[b * classes + c] as number) - (c === label ? 1 : 0)) / batch;
    }
  }
  return { loss: sum / batch, gradient: { data: gradient, shape: [batch, classes] } };
}

export interface DistillationLossInput {
  studentLogits: FloatTensor;
  teacherLogits: FloatTensor;
  labels: Labels;
  /** Weight of the soft (teacher) term; the hard (label) term gets 1 − alpha. */
  alpha?: number;
  temperature?: number;
}

export interface DistillationLossResult extends LossWithGradient {
  /** kdLoss at the temperature (already scaled by T²). */
  softLoss: number;
  /** Cross-entropy with the labels at temperature 1. */
  hardLoss: number;
}

const distillationDefaults = { alpha: 0.5, temperature: 4 } as const;

/**
 * Hinton et al.'s objective: alpha·T²·KL(p_T ‖ p_S) + (1 − alpha)·CE(student, labels), the
 * soft term at temperature T and the hard term at T = 1, as in the common PyTorch recipe.
 */
export function distillationLoss(input: DistillationLossInput): DistillationLossResult {
  const caller = "distillationLoss";
  if (input === null || typeof input !== "object") {
    throw new InvalidArgumentError({ message: `${caller}: input must be an object`, argument: "input" });
  }
  const {
    studentLogits,
    teacherLogits,
    labels,
    alpha = distillationDefaults.alpha,
    temperature = distillationDefaults.temperature,
  } = input;
  const student = assertLogits(studentLogits, caller, "studentLogits");
  const teacher = assertLogits(teacherLogits, caller, "teacherLogits");
  assertSameShapes(student, teacher, caller, ["studentLogits", "teacherLogits"]);
  assertTemperature(temperature, caller, "temperature");
  assertFiniteNumber(alpha, caller, "alpha", { min: 0, max: 1 });
  const checkedLabels = assertLabels(labels, student.rows, student.width, caller);

  const soft = kdLossUnchecked(student.data, teacher.data, student.rows, student.width, temperature);
  const hard = crossEntropyUnchecked(student.data, checkedLabels, student.rows, student.width);
  const gradient = new Float32Array(soft.gradient.data.length);
  for (let i = 0; i < gradient.length; i++) {
    gradient[i] = alpha * (soft.gradient.data[i] as number) + (1 - alpha) * (hard.gradient.data[i] as number);
  }
  return {
    loss: alpha * soft.loss + (1 - alpha) * hard.loss,
    softLoss: soft.loss,
    hardLoss: hard.loss,
    gradient: { data: gradient, shape: [student.rows, student.width] },
  };
}
