import { assertInteger, FormatError, InvalidArgumentError } from "@mc/core";
import { assertMask } from "./validate";

/**
 * Deep Compression's relative-index storage (Han, Mao & Dally 2016, §2 and Figure 2).
 *
 * What a stored code means, exactly:
 *   - Positions are flat indices into the original array. The position before the first entry is −1.
 *   - For stored entry i at position p_i, gap_i = p_i − p_{i−1} ≥ 1, and the code is gap_i − 1.
 *     So a code of `indexBits` bits covers gaps 1 … 2^indexBits (3 bits: 1 … 8, as in the figure).
 *   - When the next nonzero is more than 2^indexBits past the previous entry, a filler entry with
 *     value 0 and code 2^indexBits − 1 is stored at p_{i−1} + 2^indexBits, repeated as needed.
 *   - Zeros after the last nonzero are not stored; `length` restores them.
 * Decoding: p = −1; for each (code, value): p += code + 1; out[p] = value.
 * (The paper counts its first gap from position 0, so its first code is one smaller; otherwise
 * the scheme is the figure's.)
 */
export interface RelativeIndexEncoding {
  /** One code per stored entry (gap − 1), each < 2^indexBits. */
  gaps: Uint16Array;
  /** Stored values, filler zeros included, in position order. */
  values: Float32Array;
  /** Length of the decoded array. */
  length: number;
  indexBits: number;
  /** How many stored entries are fillers (value 0 inserted to bridge a long run of zeros). */
  fillerCount: number;
}

export interface EncodeRelativeIndicesOptions {
  /** Bits per code, 1 … 16. The paper uses 5 for fully connected layers and 8 (or 4) for conv. */
  indexBits?: number;
  /**
   * Which positions to store (1 = store). Default: every value that is not 0 (−0 counts as 0,
   * and decodes as +0). With a mask, kept entries that are exactly 0 are stored as entries.
   */
  mask?: Uint8Array;
}

export function encodeRelativeIndices(
  values: Float32Array,
  options: EncodeRelativeIndicesOptions = {},
): RelativeIndexEncoding {
  const caller = "encodeRelativeIndices";
  const { indexBits = 8, mask } = options;
  if (!(values instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: values must be a Float32Array (the flattened weight)`,
      argument: "values",
      value: values,
    });
  }
  assertInteger(indexBits, caller, "options.indexBits", { min: 1, max: 16 });
  if (mask !== undefined) assertMask(mask, [values.length], values.length, caller, "options.mask");
  const stored = (i: number) => (mask === undefined ? values[i] !== 0 : mask[i] === 1);
  const maxGap = 2 ** indexBits;

  let entryCount = 0;
  let previous = -1;
  for (let i = 0; i < values.length; i++) {
    if (!stored(i)) continue;
    entryCount += Math.ceil((i - previous) / maxGap);
    previous = i;
  }

  const gaps = new Uint16Array(entryCount);
  const storedValues = new Float32Array(entryCount);
  let fillerCount = 0;
  let next = 0;
  previous = -1;
  for (let i = 0; i < values.length; i++) {
    if (!stored(i)) continue;
    while (i - previous > maxGap) {
      gaps[next] = maxGap - 1;
      storedValues[next] = 0;
      next++;
      fillerCount++;
      previous += maxGap;
    }
    gaps[next] = i - previous - 1;
    storedValues[next] = values[i];
    next++;
    previous = i;
  }
  return { gaps, values: storedValues, length: values.length, indexBits, fillerCount };
}

/**
 * Inverse of `encodeRelativeIndices`. The encoding may come from a file, so every field is
 * checked: a code too wide for `indexBits`, a position past `length`, or mismatched array
 * lengths give a `FormatError` naming the entry.
 */
export function decodeRelativeIndices(encoded: RelativeIndexEncoding): Float32Array {
  const caller = "decodeRelativeIndices";
  if (typeof encoded !== "object" || encoded === null) {
    throw new FormatError({ message: `${caller}: encoded must be an object with gaps, values, length, indexBits` });
  }
  const { gaps, values, length, indexBits } = encoded;
  if (!Number.isSafeInteger(indexBits) || indexBits < 1 || indexBits > 16) {
    throw new FormatError({ message: `${caller}: indexBits must be an integer in [1, 16], got ${String(indexBits)}` });
  }
  if (!Number.isSafeInteger(length) || length < 0 || length > 2 ** 31 - 1) {
    throw new FormatError({ message: `${caller}: length must be an integer in [0, 2^31 − 1], got ${String(length)}` });
  }
  if (!(gaps instanceof Uint16Array) || !(values instanceof Float32Array)) {
    throw new FormatError({ message: `${caller}: gaps must be a Uint16Array and values a Float32Array` });
  }
  if (gaps.length !== values.length) {
    throw new FormatError({
      message: `${caller}: gaps has ${gaps.length} codes but values has ${values.length} entries`,
    });
  }
  const limit = 2 ** indexBits;
  const out = new Float32Array(length);
  let position = -1;
  for (let e = 0; e < gaps.length; e++) {
    const code = gaps[e];
    if (code >= limit) {
      throw new FormatError({
        message: `${caller}: code ${code} at entry ${e} does not fit in ${indexBits} bits`,
        offset: e,
      });
    }
    position += code + 1;
    if (position >= length) {
      throw new FormatError({
        message: `${caller}: entry ${e} lands at position ${position}, past length ${length}`,
        offset: e,
      });
    }
    out[position] = values[e];
  }
  return out;
}

export interface RelativeIndexByteLengthOptions {
  /** Bytes per stored value: 4 for fp32; 1 for 8-bit codebook indices, 0.5 for 4-bit ones. */
  bytesPerValue?: number;
}

export interface RelativeIndexByteLength {
  /** ceil(entries × indexBits / 8): the codes bit-packed back to back. */
  indexBytes: number;
  /** ceil(entries × bytesPerValue). */
  valueBytes: number;
  totalBytes: number;
}

/** Bytes the encoding occupies with codes packed at `indexBits` bits each (no headers). */
export function relativeIndexByteLength(
  encoded: RelativeIndexEncoding,
  options: RelativeIndexByteLengthOptions = {},
): RelativeIndexByteLength {
  const { bytesPerValue = 4 } = options;
  if (typeof bytesPerValue !== "number" || !Number.isFinite(bytesPerValue) || bytesPerValue < 0) {
    throw new InvalidArgumentError({
      message: `relativeIndexByteLength: options.bytesPerValue must be a finite number >= 0, got ${String(bytesPerValue)}`,
      argument: "options.bytesPerValue",
      value: bytesPerValue,
    });
  }
  const entries = encoded.gaps.length;
  const indexBytes = Math.ceil((entries * encoded.indexBits) / 8);
  const valueBytes = Math.ceil(entries * bytesPerValue);
  return { indexBytes, valueBytes, totalBytes: indexBytes + valueBytes };
}
