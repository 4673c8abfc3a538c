import { InvalidArgumentError } from "./errors";

/**
 * Small argument checks with the message grammar every package shares:
 * `<caller>: <argument> must be ..., got <value>`.
 */

export function assertInteger(
  value: unknown,
  caller: string,
  argument: string,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER
        ? "an integer"
        : max === Number.MAX_SAFE_INTEGER
          ? `an integer >= ${min}`
          : `an integer in [${min}, ${max}]`;
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be ${range}, got ${String(value)}`,
      argument,
      value,
    });
  }
  return value;
}

export function assertFiniteNumber(
  value: unknown,
  caller: string,
  argument: string,
  {
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
    exclusiveMin = false,
  }: { min?: number; max?: number; exclusiveMin?: boolean } = {},
): number {
  const ok =
    typeof value === "number" && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    const low = min === Number.NEGATIVE_INFINITY ? "" : exclusiveMin ? ` > ${min}` : ` >= ${min}`;
    const high = max === Number.POSITIVE_INFINITY ? "" : ` and <= ${max}`;
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a finite number${low}${high}, got ${String(value)}`,
      argument,
      value,
    });
  }
  return value as number;
}

export function assertOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  caller: string,
  argument: string,
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(value)}`,
      argument,
      value,
    });
  }
  return value as T;
}

/** Index of the first NaN or ±Infinity in `values`, or -1 when all are finite. */
export function findNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) return i; // NaN - NaN and Inf - Inf are NaN
  }
  return -1;
}

/** Throws naming the first non-finite element's index and value. */
export function assertAllFinite(values: ArrayLike<number>, caller: string, argument: string): void {
  const index = findNonFinite(values);
  if (index >= 0) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} has a non-finite value ${String(values[index])} at index ${index}`,
      argument,
      value: values[index],
    });
  }
}
