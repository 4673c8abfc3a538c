/**
 * Little-endian byte views of typed arrays. Every mc file format is little-endian; on a
 * big-endian host the bytes are swapped so files stay portable.
 */

export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type AnyTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

function swapInPlace(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

/** The little-endian bytes of `array` (a view when the host is little-endian, else a swapped copy). */
export function littleEndianBytes(array: AnyTypedArray): Uint8Array {
  const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (hostIsLittleEndian || array.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapInPlace(copy, array.BYTES_PER_ELEMENT);
  return copy;
}

/** Copies little-endian bytes into a fresh, aligned buffer and swaps them on a big-endian host. */
export function alignedCopy(bytes: Uint8Array, elementSize: number): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!hostIsLittleEndian && elementSize > 1) swapInPlace(copy, elementSize);
  return copy.buffer;
}

export function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  return new Float32Array(alignedCopy(bytes, 4));
}
export function uint16FromLittleEndian(bytes: Uint8Array): Uint16Array {
  return new Uint16Array(alignedCopy(bytes, 2));
}
export function int32FromLittleEndian(bytes: Uint8Array): Int32Array {
  return new Int32Array(alignedCopy(bytes, 4));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
