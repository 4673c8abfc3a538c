import {
  assertAllFinite,
  assertFiniteNumber,
  assertTensor,
  formatShape,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from "@mc/core";

/** Checks a weight tensor argument: a Float32Array tensor with finite values. */
export function assertWeight(weight: unknown, caller: string, argument = "weight"): Tensor<Float32Array> {
  const tensor = assertTensor(weight, caller, argument);
  if (!(tensor.data instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}.data must be a Float32Array, got ${tensor.data.constructor.name}`,
      argument,
      value: weight,
    });
  }
  // NaN has no magnitude order, so a ranking over it would be arbitrary.
  assertAllFinite(tensor.data, caller, `${argument}.data`);
  return tensor as Tensor<Float32Array>;
}

/** Sparsity is the fraction of entries set to zero: a finite number in [0, 1]. */
export function assertSparsity(value: unknown, caller: string, argument = "options.sparsity"): number {
  return assertFiniteNumber(value, caller, argument, { min: 0, max: 1 });
}

/** A mask is a Uint8Array of 0/1 with one entry per weight element. */
export function assertMask(mask: unknown, shape: readonly number[], count: number, caller: string, argument = "mask") {
  if (!(mask instanceof Uint8Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a Uint8Array of 0/1, got ${mask === null ? "null" : typeof mask}`,
      argument,
      value: mask,
    });
  }
  if (mask.length !== count) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} has ${mask.length} entries but the weight of shape ${formatShape(shape)} has ${count}`,
      expected: [count],
      actual: [mask.length],
    });
  }
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] > 1) {
      throw new InvalidArgumentError({
        message: `${caller}: ${argument}[${i}] is ${mask[i]}; mask entries must be 0 or 1`,
        argument,
        value: mask[i],
      });
    }
  }
  return mask;
}

/**
 * The number of entries to prune for a sparsity, PyTorch's convention
 * (`torch.nn.utils.prune`: `round(amount * n)`, Python rounds half to even).
 * A product within 1e-12 (relative) of an integer is snapped first, so `0.92 * 100 = 92.00000000000001`
 * counts as 92.
 */
export function prunedCountFor(sparsity: number, count: number): number {
  const exact = sparsity * count;
  const snapped = Math.abs(exact - Math.round(exact)) <= 1e-12 * Math.max(1, exact) ? Math.round(exact) : exact;
  const floor = Math.floor(snapped);
  const fraction = snapped - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
