import { assertFiniteNumber, assertInteger, InvalidArgumentError, ShapeMismatchError } from "@mc/core";

/**
 * Argument checks shared by every public kernel. Messages follow the repo grammar:
 * `<caller>: <argument> ...`, naming the shapes involved.
 */

export function checkDimension(value: unknown, caller: string, argument: string): number {
  return assertInteger(value, caller, argument, { min: 0 });
}

export function checkLength(
  array: { length: number } | undefined,
  expected: number,
  caller: string,
  argument: string,
  shape: readonly number[],
): void {
  if (array === undefined || array === null || typeof array.length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a typed array of length ${expected} for shape [${shape.join(", ")}], got ${String(array)}`,
      argument,
      value: array,
    });
  }
  if (array.length !== expected) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} has ${array.length} elements but shape [${shape.join(", ")}] needs ${expected}`,
      expected: shape,
      actual: [array.length],
    });
  }
}

export function checkFloat32Array(value: unknown, caller: string, argument: string): Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a Float32Array, got ${describe(value)}`,
      argument,
      value,
    });
  }
  return value;
}

export type Int8Like = Uint8Array | Int8Array;

export function checkInt8Like(value: unknown, caller: string, argument: string): Int8Like {
  if (!(value instanceof Uint8Array) && !(value instanceof Int8Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a Uint8Array or Int8Array, got ${describe(value)}`,
      argument,
      value,
    });
  }
  return value;
}

export function dtypeRange(array: Int8Like): { min: number; max: number; dtype: "uint8" | "int8" } {
  return array instanceof Int8Array ? { min: -128, max: 127, dtype: "int8" } : { min: 0, max: 255, dtype: "uint8" };
}

export type ZeroPointInput = number | ArrayLike<number>;

/**
 * Expands a zero point (a scalar, a length-1 array, or one value per row/column) into an
 * Int32Array of `count` values, checking each against the operand's dtype range.
 */
export function expandZeroPoint(
  zeroPoint: ZeroPointInput | undefined,
  count: number,
  range: { min: number; max: number; dtype: string },
  caller: string,
  argument: string,
  perWhat: string,
): Int32Array {
  const out = new Int32Array(count);
  if (zeroPoint === undefined) return out;
  if (typeof zeroPoint === "number") {
    const z = assertInteger(zeroPoint, caller, argument, { min: range.min, max: range.max });
    out.fill(z);
    return out;
  }
  if (zeroPoint === null || typeof zeroPoint !== "object" || typeof zeroPoint.length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a number or an array, got ${describe(zeroPoint)}`,
      argument,
      value: zeroPoint,
    });
  }
  if (zeroPoint.length !== 1 && zeroPoint.length !== count) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} has ${zeroPoint.length} values but must be a scalar or have one per ${perWhat} (${count})`,
      expected: [count],
      actual: [zeroPoint.length],
    });
  }
  for (let i = 0; i < count; i++) {
    const z = zeroPoint[zeroPoint.length === 1 ? 0 : i];
    if (typeof z !== "number" || !Number.isInteger(z) || z < range.min || z > range.max) {
      throw new InvalidArgumentError({
        message: `${caller}: ${argument}[${zeroPoint.length === 1 ? 0 : i}] = ${String(z)} is outside the ${range.dtype} range [${range.min}, ${range.max}]`,
        argument,
        value: z,
      });
    }
    out[i] = z;
  }
  return out;
}

export function checkScale(value: unknown, caller: string, argument: string): number {
  return assertFiniteNumber(value, caller, argument, { min: 0, exclusiveMin: true });
}

export function checkOptionalBias(
  bias: unknown,
  count: number,
  caller: string,
  argument = "bias",
): Float32Array | undefined {
  if (bias === undefined) return undefined;
  const b = checkFloat32Array(bias, caller, argument);
  checkLength(b, count, caller, argument, [count]);
  return b;
}

export function checkOutput(
  output: unknown,
  count: number,
  caller: string,
  shape: readonly number[],
  argument = "output",
): Float32Array {
  if (output === undefined) return new Float32Array(count);
  const o = checkFloat32Array(output, caller, argument);
  checkLength(o, count, caller, argument, shape);
  return o;
}

export function checkOptions(options: unknown, caller: string): void {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError({
      message: `${caller}: options must be an object, got ${describe(options)}`,
      argument: "options",
      value: options,
    });
  }
}

/** m·k·n stays a safe integer, so length products can be compared exactly. */
export function checkProduct(caller: string, dims: Record<string, number>): void {
  let product = 1;
  for (const v of Object.values(dims)) product *= v;
  if (!Number.isSafeInteger(product)) {
    throw new InvalidArgumentError({
      message: `${caller}: dimensions ${JSON.stringify(dims)} are too large`,
      argument: Object.keys(dims).join("×"),
      value: dims,
    });
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return `${typeof value} ${String(value)}`;
}

/** `packed` is a pack of this kind (its `kind` tag), made by the named packing function. */
export function checkPackKind(packed: unknown, kind: string, packer: string, caller: string): void {
  if (packed === null || typeof packed !== "object" || (packed as { kind?: unknown }).kind !== kind) {
    throw new InvalidArgumentError({
      message: `${caller}: packed must come from ${packer}`,
      argument: "packed",
      value: packed,
    });
  }
}
