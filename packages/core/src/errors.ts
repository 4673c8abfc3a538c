/**
 * The mc error family. Every failure a caller can cause is an `McError` with a stable `code`.
 * Identification goes through `Symbol.for` markers rather than `instanceof`, so it keeps
 * working when two copies of `@mc/core` end up in one dependency tree.
 */

const baseMarker = "mc.error";
const baseSymbol = Symbol.for(baseMarker);

export type McErrorCode = "MC_ERROR" | "MC_INVALID_ARGUMENT" | "MC_SHAPE_MISMATCH" | "MC_FORMAT" | "MC_UNSUPPORTED";

function hasMarker(error: unknown, marker: string): boolean {
  if (typeof error !== "object" || error === null) return false;
  return (error as Record<symbol, unknown>)[Symbol.for(marker)] === true;
}

export class McError extends Error {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through Symbol.for(marker) by isInstance
  private readonly [baseSymbol] = true;
  readonly code: McErrorCode;

  constructor({
    name = "McError",
    code = "MC_ERROR",
    message,
    cause,
  }: { name?: string; code?: McErrorCode; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
    this.code = code;
  }

  /** True for any mc error, from this or any other installed copy of `@mc/core`. */
  static isInstance(error: unknown): error is McError {
    return hasMarker(error, baseMarker);
  }

  protected static hasMarker(error: unknown, marker: string): boolean {
    return hasMarker(error, marker);
  }
}

const invalidArgumentMarker = "mc.error.InvalidArgumentError";
const invalidArgumentSymbol = Symbol.for(invalidArgumentMarker);

/** An argument has a value the function cannot accept (out of range, wrong type, NaN, ...). */
export class InvalidArgumentError extends McError {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through Symbol.for(marker) by isInstance
  private readonly [invalidArgumentSymbol] = true;
  /** The argument's name as the function's signature spells it, e.g. `axis` or `options.bits`. */
  readonly argument: string;
  readonly value: unknown;

  constructor({
    message,
    argument,
    value,
    cause,
  }: { message: string; argument: string; value?: unknown; cause?: unknown }) {
    super({ name: "InvalidArgumentError", code: "MC_INVALID_ARGUMENT", message, cause });
    this.argument = argument;
    this.value = value;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return McError.hasMarker(error, invalidArgumentMarker);
  }
}

const shapeMismatchMarker = "mc.error.ShapeMismatchError";
const shapeMismatchSymbol = Symbol.for(shapeMismatchMarker);

/** Shapes or lengths that must agree do not. */
export class ShapeMismatchError extends McError {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through Symbol.for(marker) by isInstance
  private readonly [shapeMismatchSymbol] = true;
  readonly expected: readonly number[] | undefined;
  readonly actual: readonly number[] | undefined;

  constructor({
    message,
    expected,
    actual,
    cause,
  }: { message: string; expected?: readonly number[]; actual?: readonly number[]; cause?: unknown }) {
    super({ name: "ShapeMismatchError", code: "MC_SHAPE_MISMATCH", message, cause });
    this.expected = expected;
    this.actual = actual;
  }

  static override isInstance(error: unknown): error is ShapeMismatchError {
    return McError.hasMarker(error, shapeMismatchMarker);
  }
}

const formatMarker = "mc.error.FormatError";
const formatSymbol = Symbol.for(formatMarker);

/** Bytes that should follow a format do not: corrupt, truncated or hostile input. */
export class FormatError extends McError {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through Symbol.for(marker) by isInstance
  private readonly [formatSymbol] = true;
  /** Byte (or bit) offset where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor({ message, offset, cause }: { message: string; offset?: number; cause?: unknown }) {
    super({ name: "FormatError", code: "MC_FORMAT", message, cause });
    this.offset = offset;
  }

  static override isInstance(error: unknown): error is FormatError {
    return McError.hasMarker(error, formatMarker);
  }
}

const unsupportedMarker = "mc.error.UnsupportedError";
const unsupportedSymbol = Symbol.for(unsupportedMarker);

/** A valid request that this version does not implement (a dtype, an opset, an operator). */
export class UnsupportedError extends McError {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through Symbol.for(marker) by isInstance
  private readonly [unsupportedSymbol] = true;
  readonly feature: string | undefined;

  constructor({ message, feature, cause }: { message: string; feature?: string; cause?: unknown }) {
    super({ name: "UnsupportedError", code: "MC_UNSUPPORTED", message, cause });
    this.feature = feature;
  }

  static override isInstance(error: unknown): error is UnsupportedError {
    return McError.hasMarker(error, unsupportedMarker);
  }
}
