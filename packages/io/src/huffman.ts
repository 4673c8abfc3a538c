import { FormatError, InvalidArgumentError } from "@mc/core";

/**
 * Canonical, length-limited Huffman coding of integer symbols, as the `.mcz` format stores
 * Deep Compression's relative indices and cluster indices. The byte layout is part of the
 * documented file format (docs/mcz-format.md), so it lives here rather than depending on
 * another package's internal stream layout.
 *
 * Table: u32 LE alphabet size A, then A bytes, the code length of each symbol (0 = unused).
 * Stream: codes packed most-significant bit first; the last byte is padded with zero bits.
 * Codes are canonical (DEFLATE's rule): shorter codes first, equal lengths in symbol order.
 */

/** Longest code; enough for any alphabet of up to 2^16 symbols. */
export const maxHuffmanCodeLength = 16;
/** Largest alphabet a table may declare. */
export const maxHuffmanAlphabet = 1 << 16;

/** Code lengths from symbol frequencies: Huffman's algorithm, then limited to `maxLength`. */
export function huffmanCodeLengths(frequencies: ArrayLike<number>, maxLength = maxHuffmanCodeLength): Uint8Array {
  const n = frequencies.length;
  const lengths = new Uint8Array(n);
  const used: number[] = [];
  for (let s = 0; s < n; s++) if ((frequencies[s] as number) > 0) used.push(s);
  if (used.length === 0) return lengths;
  if (used.length === 1) {
    lengths[used[0] as number] = 1;
    return lengths;
  }
  if (used.length > 2 ** maxLength) {
    throw new InvalidArgumentError({
      message: `huffmanCodeLengths: ${used.length} symbols cannot be coded in ${maxLength} bits`,
      argument: "maxLength",
      value: maxLength,
    });
  }
  // Leaves sorted by (frequency, symbol); the two-queue method then builds the tree in O(n).
  used.sort((a, b) => (frequencies[a] as number) - (frequencies[b] as number) || a - b);
  const count = used.length;
  const weight = new Float64Array(2 * count - 1);
  const parent = new Int32Array(2 * count - 1);
  for (let i = 0; i < count; i++) weight[i] = frequencies[used[i] as number] as number;
  let leaf = 0;
  let inner = count;
  let next = count;
  const takeSmallest = (): number => {
    if (leaf < count && (inner >= next || (weight[leaf] as number) <= (weight[inner] as number))) return leaf++;
    return inner++;
  };
  while (next < 2 * count - 1) {
    const a = takeSmallest();
    const b = takeSmallest();
    weight[next] = (weight[a] as number) + (weight[b] as number);
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  const depth = new Int32Array(2 * count - 1);
  for (let node = 2 * count - 3; node >= 0; node--) depth[node] = (depth[parent[node] as number] as number) + 1;

  // Count codes per length, then push overlong codes up (JPEG Annex K.3), keeping Kraft's sum at 1.
  let longest = 0;
  for (let i = 0; i < count; i++) longest = Math.max(longest, depth[i] as number);
  const perLength = new Int32Array(Math.max(longest, maxLength) + 1);
  for (let i = 0; i < count; i++) perLength[depth[i] as number]++;
  for (let i = longest; i > maxLength; i--) {
    while ((perLength[i] as number) > 0) {
      let j = i - 2;
      while (perLength[j] === 0) j--;
      perLength[i] -= 2;
      perLength[i - 1]++;
      perLength[j + 1] += 2;
      perLength[j]--;
    }
  }
  // Most frequent symbols get the shortest codes.
  const byFrequency = [...used].sort((a, b) => (frequencies[b] as number) - (frequencies[a] as number) || a - b);
  let position = 0;
  for (let length = 1; length <= maxLength; length++) {
    for (let k = 0; k < (perLength[length] as number); k++) lengths[byFrequency[position++] as number] = length;
  }
  return lengths;
}

interface CanonicalCode {
  /** Code value per symbol (valid where length > 0). */
  codes: Uint32Array;
  /** Per length: number of codes, first code value, index of its first symbol in `sorted`. */
  countPerLength: Int32Array;
  firstCode: Int32Array;
  firstIndex: Int32Array;
  sorted: Uint32Array;
}

function canonicalCode(lengths: Uint8Array, caller: string): CanonicalCode {
  const countPerLength = new Int32Array(maxHuffmanCodeLength + 1);
  let kraft = 0;
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s] as number;
    if (l > maxHuffmanCodeLength) {
      throw new FormatError({ message: `${caller}: symbol ${s} has code length ${l} > ${maxHuffmanCodeLength}` });
    }
    if (l > 0) {
      countPerLength[l]++;
      kraft += 2 ** (maxHuffmanCodeLength - l);
    }
  }
  if (kraft > 2 ** maxHuffmanCodeLength) {
    throw new FormatError({ message: `${caller}: code lengths are oversubscribed (Kraft sum ${kraft / 2 ** maxHuffmanCodeLength} > 1)` });
  }
  const firstCode = new Int32Array(maxHuffmanCodeLength + 2);
  const firstIndex = new Int32Array(maxHuffmanCodeLength + 2);
  let code = 0;
  let index = 0;
  for (let l = 1; l <= maxHuffmanCodeLength; l++) {
    firstCode[l] = code;
    firstIndex[l] = index;
    code = (code + (countPerLength[l] as number)) << 1;
    index += countPerLength[l] as number;
  }
  const sorted = new Uint32Array(index);
  const codes = new Uint32Array(lengths.length);
  const nextCode = firstCode.slice();
  const nextIndex = firstIndex.slice();
  for (let l = 1; l <= maxHuffmanCodeLength; l++) {
    for (let s = 0; s < lengths.length; s++) {
      if (lengths[s] === l) {
        codes[s] = nextCode[l]++ as number;
        sorted[nextIndex[l]++] = s;
      }
    }
  }
  return { codes, countPerLength, firstCode, firstIndex, sorted };
}

export interface HuffmanEncoded {
  /** Table bytes: u32 alphabet size + one code length byte per symbol. */
  table: Uint8Array;
  /** The packed code stream. */
  stream: Uint8Array;
  /** Bits used by the stream before padding. */
  bitLength: number;
}

/** Huffman-codes `symbols`, each in [0, alphabetSize). */
export function huffmanEncodeSymbols(symbols: ArrayLike<number>, alphabetSize: number): HuffmanEncoded {
  const caller = "huffmanEncodeSymbols";
  if (!Number.isSafeInteger(alphabetSize) || alphabetSize < 1 || alphabetSize > maxHuffmanAlphabet) {
    throw new InvalidArgumentError({
      message: `${caller}: alphabetSize must be an integer in [1, ${maxHuffmanAlphabet}], got ${alphabetSize}`,
      argument: "alphabetSize",
      value: alphabetSize,
    });
  }
  const frequencies = new Float64Array(alphabetSize);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    if (!(s >= 0 && s < alphabetSize && Number.isInteger(s))) {
      throw new InvalidArgumentError({
        message: `${caller}: symbol ${s} at index ${i} is outside [0, ${alphabetSize})`,
        argument: "symbols",
        value: s,
      });
    }
    frequencies[s]++;
  }
  const lengths = huffmanCodeLengths(frequencies);
  const { codes } = canonicalCode(lengths, caller);
  let bitLength = 0;
  for (let s = 0; s < alphabetSize; s++) bitLength += (frequencies[s] as number) * (lengths[s] as number);
  const stream = new Uint8Array(Math.ceil(bitLength / 8));
  let byte = 0;
  let accumulator = 0;
  let filled = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    const l = lengths[s] as number;
    accumulator = (accumulator << l) | (codes[s] as number);
    filled += l;
    while (filled >= 8) {
      filled -= 8;
      stream[byte++] = (accumulator >>> filled) & 0xff;
    }
    accumulator &= (1 << filled) - 1;
  }
  if (filled > 0) stream[byte] = (accumulator << (8 - filled)) & 0xff;
  const table = new Uint8Array(4 + alphabetSize);
  new DataView(table.buffer).setUint32(0, alphabetSize, true);
  table.set(lengths, 4);
  return { table, stream, bitLength };
}

/** Reads a table: checks its size and code lengths. */
export function readHuffmanTable(table: Uint8Array, caller: string): Uint8Array {
  if (table.length < 4) throw new FormatError({ message: `${caller}: Huffman table has ${table.length} bytes, needs at least 4` });
  const alphabetSize = new DataView(table.buffer, table.byteOffset, 4).getUint32(0, true);
  if (alphabetSize < 1 || alphabetSize > maxHuffmanAlphabet || table.length !== 4 + alphabetSize) {
    throw new FormatError({
      message: `${caller}: Huffman table declares ${alphabetSize} symbols but has ${table.length - 4} length bytes`,
    });
  }
  return table.subarray(4);
}

/**
 * Decodes exactly `count` symbols. Every symbol consumes at least one bit and the stream is
 * bounded, so corrupt input ends in a `FormatError`, never a loop; the stream must end exactly
 * after the last code with zero padding.
 */
export function huffmanDecodeSymbols(
  table: Uint8Array,
  stream: Uint8Array,
  count: number,
  caller = "huffmanDecodeSymbols",
): Uint16Array {
  const lengths = readHuffmanTable(table, caller);
  const { countPerLength, firstCode, firstIndex, sorted } = canonicalCode(lengths, caller);
  if (count > stream.length * 8) {
    throw new FormatError({ message: `${caller}: ${count} symbols cannot fit in ${stream.length} stream bytes` });
  }
  // Symbols are < 2^16, so 16-bit storage suffices and bounds the allocation at 16× the stream.
  const out = new Uint16Array(count);
  const totalBits = stream.length * 8;
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let code = 0;
    let l = 1;
    for (; l <= maxHuffmanCodeLength; l++) {
      if (bit >= totalBits) {
        throw new FormatError({ message: `${caller}: stream ends inside symbol ${i} of ${count}` });
      }
      code = (code << 1) | (((stream[bit >>> 3] as number) >>> (7 - (bit & 7))) & 1);
      bit++;
      const offset = code - (firstCode[l] as number);
      if (offset >= 0 && offset < (countPerLength[l] as number)) {
        out[i] = sorted[(firstIndex[l] as number) + offset] as number;
        break;
      }
    }
    if (l > maxHuffmanCodeLength) {
      throw new FormatError({ message: `${caller}: symbol ${i} has a bit pattern that is no code`, offset: bit >>> 3 });
    }
  }
  if (Math.ceil(bit / 8) !== stream.length) {
    throw new FormatError({
      message: `${caller}: ${count} symbols use ${Math.ceil(bit / 8)} bytes but the stream has ${stream.length}`,
    });
  }
  if (bit & 7 && ((stream[bit >>> 3] as number) & (0xff >>> (bit & 7))) !== 0) {
    throw new FormatError({ message: `${caller}: stream padding bits are not zero` });
  }
  return out;
}
