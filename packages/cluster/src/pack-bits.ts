import { assertInteger, FormatError, InvalidArgumentError } from "@mc/core";

/**
 * Fixed-width bit packing, LSB-first: value i occupies bits [i·bits, (i+1)·bits) of the
 * stream, and bit b of the stream is bit (b mod 8) of byte floor(b / 8) — the bit order of
 * DEFLATE, and of this package's Huffman streams. The last byte is padded with zero bits.
 */
export function packBits(values: ArrayLike<number>, bits: number): Uint8Array {
  const caller = "packBits";
  assertInteger(bits, caller, "bits", { min: 1, max: 16 });
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: values must be an array or typed array`,
      argument: "values",
    });
  }
  const limit = 1 << bits;
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let buffer = 0; // pending bits, at most 7 + 16 < 32
  let count = 0;
  let position = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new InvalidArgumentError({
        message: `${caller}: values[${i}] = ${String(v)} does not fit in ${bits} bits (need an integer in [0, ${limit - 1}]; length ${values.length})`,
        argument: "values",
        value: v,
      });
    }
    buffer |= v << count;
    count += bits;
    while (count >= 8) {
      out[position++] = buffer & 0xff;
      buffer >>>= 8;
      count -= 8;
    }
  }
  if (count > 0) out[position] = buffer & 0xff;
  return out;
}

/** Inverse of `packBits`: reads `count` values of `bits` bits each. Too few bytes → FormatError. */
export function unpackBits(bytes: Uint8Array, bits: number, count: number): Uint16Array {
  const caller = "unpackBits";
  assertInteger(bits, caller, "bits", { min: 1, max: 16 });
  assertInteger(count, caller, "count", { min: 0 });
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({ message: `${caller}: bytes must be a Uint8Array`, argument: "bytes" });
  }
  const needed = Math.ceil((count * bits) / 8);
  if (bytes.length < needed) {
    throw new FormatError({
      message: `${caller}: ${count} values of ${bits} bits need ${needed} bytes, got ${bytes.length}`,
      offset: bytes.length,
    });
  }
  const out = new Uint16Array(count);
  const mask = (1 << bits) - 1;
  let buffer = 0;
  let available = 0;
  let position = 0;
  for (let i = 0; i < count; i++) {
    while (available < bits) {
      buffer |= (bytes[position++] as number) << available;
      available += 8;
    }
    out[i] = buffer & mask;
    buffer >>>= bits;
    available -= bits;
  }
  return out;
}
