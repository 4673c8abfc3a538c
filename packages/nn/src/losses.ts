import {
  assertRank,
  assertTensor,
  findNonFinite,
  formatShape,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from "@mc/core";

export interface LossResult {
  /** Mean loss over the batch. */
  loss: number;
  /** d loss / d input, same shape as the input. */
  gradient: Tensor;
}

function assertFiniteInput(values: Float32Array, caller: string, argument: string, shape: readonly number[]): void {
  const index = findNonFinite(values);
  if (index >= 0) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} has a non-finite value ${values[index]} at index ${index} (shape ${formatShape(shape)}); the loss would be NaN`,
      argument,
      value: values[index],
    });
  }
}

/**
 * Mean cross-entropy of softmax(logits) against integer labels, computed with log-sum-exp in
 * float64 (so huge logits stay finite). gradient = (softmax − onehot) / batch.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Uint8Array | Int32Array | ArrayLike<number>): LossResult {
  const caller = "softmaxCrossEntropy";
  assertTensor(logits, caller, "logits");
  assertRank(logits, 2, caller, "logits");
  const [batch, classes] = logits.shape as [number, number];
  if (batch === 0 || classes === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: logits has an empty shape ${formatShape(logits.shape)}`,
      argument: "logits",
      value: logits.shape,
    });
  }
  if (labels.length !== batch) {
    throw new ShapeMismatchError({
      message: `${caller}: ${labels.length} labels for logits of shape ${formatShape(logits.shape)}`,
      expected: [batch],
      actual: [labels.length],
    });
  }
  assertFiniteInput(logits.data, caller, "logits", logits.shape);
  const x = logits.data;
  const gradient = new Float32Array(x.length);
  let total = 0;
  for (let r = 0; r < batch; r++) {
    const label = labels[r] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new InvalidArgumentError({
        message: `${caller}: labels[${r}] is ${label}; must be an integer in [0, ${classes - 1}]`,
        argument: "labels",
        value: label,
      });
    }
    const base = r * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < classes; j++) max = Math.max(max, x[base + j] as number);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp((x[base + j] as number) - max);
    const logSum = max + Math.log(sum);
    total += logSum - (x[base + label] as number);
    for (let j = 0; j < classes; j++) {
      const p = Math.exp((x[base + j] as number) - logSum);
      gradient[base + j] = (p - (j === label ? 1 : 0)) / batch;
    }
  }
  return { loss: total / batch, gradient: { data: gradient, shape: logits.shape } };
}

/** Mean over all elements of (prediction − target)²; gradient 2(prediction − target)/count. */
export function meanSquaredError(prediction: Tensor, target: Tensor): LossResult {
  const caller = "meanSquaredError";
  assertTensor(prediction, caller, "prediction");
  assertTensor(target, caller, "target");
  if (prediction.data.length !== target.data.length) {
    throw new ShapeMismatchError({
      message: `${caller}: prediction has shape ${formatShape(prediction.shape)} but target has shape ${formatShape(target.shape)}`,
      expected: prediction.shape,
      actual: target.shape,
    });
  }
  const count = prediction.data.length;
  if (count === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: prediction is empty (shape ${formatShape(prediction.shape)})`,
      argument: "prediction",
      value: prediction.shape,
    });
  }
  assertFiniteInput(prediction.data, caller, "prediction", prediction.shape);
  assertFiniteInput(target.data, caller, "target", target.shape);
  const gradient = new Float32Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const d = (prediction.data[i] as number) - (target.data[i] as number);
    total += d * d;
    gradient[i] = (2 * d) / count;
  }
  return { loss: total / count, gradient: { data: gradient, shape: prediction.shape } };
}
