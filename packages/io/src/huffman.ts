import { buildHuffmanCode } from "@mc/cluster";
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
 * Code lengths come from @mc/cluster's `buildHuffmanCode`, limited to 16 bits.
 */

/** Longest code; enough for any alphabet of up to 2^16 symbols. */
export const maxHuffmanCodeLength = 16;
/** Largest alphabet a table may declare. */
export const maxHuffmanAlphabet = 1 << 16;

/** Canonical code value per symbol (DEFLATE's assignment); checks lengths and Kraft's inequality. */
function canonicalCode(lengths: Uint8Array, caller: string): { codes: Uint32Array } {
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
    throw new FormatError({
      message: `${caller}: code lengths are oversubscribed (Kraft sum ${kraft / 2 ** maxHuffmanCodeLength} > 1)`,
    });
  }
  const nextCode = new Uint32Array(maxHuffmanCodeLength + 1);
  let code = 0;
  for (let l = 1; l <= maxHuffmanCodeLength; l++) {
    code = (code + (countPerLength[l - 1] as number)) << 1;
    nextCode[l] = code;
  }
  const codes = new Uint32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s] as number;
    if (l > 0) codes[s] = nextCode[l]++ as number;
  }
  return { codes };
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
  // @mc/cluster builds the length-limited code; the table and stream layout are this format's own.
  const lengths = buildHuffmanCode(frequencies, { maxCodeLength: maxHuffmanCodeLength }).codeLengths;
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
  if (table.length < 4)
    throw new FormatError({ message: `${caller}: Huffman table has ${table.length} bytes, needs at least 4` });
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
 * after the last code with zero padding. Decoding looks each code up in a table indexed by
 * the next `longest` bits (at most 2^16 entries).
 */
export function huffmanDecodeSymbols(
  table: Uint8Array,
  stream: Uint8Array,
  count: number,
  caller = "huffmanDecodeSymbols",
): Uint16Array {
  const lengths = readHuffmanTable(table, caller);
  const { codes } = canonicalCode(lengths, caller);
  if (count > stream.length * 8) {
    throw new FormatError({ message: `${caller}: ${count} symbols cannot fit in ${stream.length} stream bytes` });
  }
  // Symbols are < 2^16, so 16-bit storage suffices and bounds the allocation at 16× the stream.
  const out = new Uint16Array(count);
  if (count === 0) {
    if (stream.length !== 0)
      throw new FormatError({ message: `${caller}: 0 symbols but the stream has ${stream.length} bytes` });
    return out;
  }
  let longest = 0;
  for (let s = 0; s < lengths.length; s++) longest = Math.max(longest, lengths[s] as number);
  if (longest === 0)
    throw new FormatError({ message: `${caller}: the table codes no symbol but ${count} are expected` });
  // lookup[next `longest` bits] = symbol << 5 | length; 0 marks a bit pattern that is no code.
  const lookup = new Uint32Array(1 << longest);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s] as number;
    if (l === 0) continue;
    const first = (codes[s] as number) << (longest - l);
    lookup.fill((s << 5) | l, first, first + (1 << (longest - l)));
  }
  const totalBits = stream.length * 8;
  const last = stream.length - 1;
  const drop = 24 - longest;
  const mask = (1 << longest) - 1;
  let bit = 0;
  for (let i = 0; i < count; i++) {
    const byte = bit >>> 3;
    // 24 bits from the current byte on (zeros past the end), aligned so the next code is on top.
    const window =
      ((stream[byte] as number) << 16) |
      ((byte + 1 <= last ? (stream[byte + 1] as number) : 0) << 8) |
      (byte + 2 <= last ? (stream[byte + 2] as number) : 0);
    const entry = lookup[((window << (bit & 7)) >>> drop) & mask] as number;
    const length = entry & 31;
    if (length === 0)
      throw new FormatError({ message: `${caller}: symbol ${i} has a bit pattern that is no code`, offset: byte });
    bit += length;
    if (bit > totalBits) throw new FormatError({ message: `${caller}: stream ends inside symbol ${i} of ${count}` });
    out[i] = entry >>> 5;
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
