import { type InvalidArgumentError, McError, type ShapeMismatchError } from "@mc/core";
import { expect } from "vitest";

/** Asserts that `fn` throws an McError of the given kind whose message contains every fragment. */
export function expectMcError(
  fn: () => unknown,
  kind: typeof InvalidArgumentError | typeof ShapeMismatchError | typeof McError,
  ...fragments: string[]
): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(McError.isInstance(caught), `expected an McError, got ${String(caught)}`).toBe(true);
  expect(
    kind.isInstance(caught),
    `expected ${kind.name}, got ${(caught as Error).name}: ${(caught as Error).message}`,
  ).toBe(true);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

/** Compares two arrays element by element; a failure names the index, both values and the shape. */
export function expectArraysEqual(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  shape: readonly number[] = [expected.length],
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0)) {
      expect.fail(`${label}: index ${i} of shape [${shape.join(", ")}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

export function tensor(values: number[], shape: number[] = [values.length]) {
  return { data: Float32Array.from(values), shape };
}
