/**
 * Row-wise log-softmax of logits / temperature in float64, by log-sum-exp around the row
 * maximum: no exp() ever sees a positive argument, so no overflow at any logit scale, and
 * log-probabilities stay finite where probabilities underflow to 0.
 */
export function logSoftmaxRows(
  logits: ArrayLike<number>,
  rows: number,
  classes: number,
  temperature: number,
): Float64Array {
  const out = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const offset = r * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      const z = (logits[offset + c] as number) / temperature;
      out[offset + c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((out[offset + c] as number) - max);
    const logSum = max + Math.log(sum);
    for (let c = 0; c < classes; c++) out[offset + c] = (out[offset + c] as number) - logSum;
  }
  return out;
}
