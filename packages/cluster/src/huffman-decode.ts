import { FormatError, InvalidArgumentError } from "@mc/core";
import { BitReader } from "./bit-reader";
import { maxSupportedCodeLength } from "./huffman-code";
import { buildHuffmanDecoder } from "./huffman-decode-table";
import {
  flatWidthBits,
  lengthFieldBits,
  streamModes,
  tokenBits,
  version2Tag,
  zeroRunBits,
  zeroRunToken,
} from "./huffman-encode";

/** Decoder for the stream formats (versions 1 and 2) described in `huffman-encode.ts`. */

const caller = "huffmanDecode";
/** Version-1 alphabets and version-2 table sizes above this are refused. */
const maxTableSize = 2 ** 32;
/** Widest fixed-width value (encoder alphabets are below 2^24). */
const maxFixedWidth = 24;

/** Reads a LEB128 of at most 5 bytes (< 2^35) from `bytes` at `offset`; FormatError on truncation. */
function readLeb128(bytes: Uint8Array, offset: number, field: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (offset + i >= bytes.length) {
      throw new FormatError({ message: `${caller}: stream ends inside ${field}`, offset: offset + i });
    }
    const byte = bytes[offset + i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, offset + i + 1];
  }
  throw new FormatError({ message: `${caller}: ${field} is longer than 5 bytes`, offset });
}

/**
 * Decodes a stream written by `huffmanEncode` (format version 1 or 2). Every byte is treated
 * as untrusted: counts are bounded by the input length before allocation, the code lengths
 * must form a complete prefix code, each symbol costs at least one bit (so the loop ends),
 * reads past the end are caught, and trailing bytes or non-zero padding are rejected — all
 * as `FormatError`.
 */
export function huffmanDecode(bytes: Uint8Array): Uint32Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({ message: `${caller}: bytes must be a Uint8Array`, argument: "bytes" });
  }
  if (bytes.length === 0) throw new FormatError({ message: `${caller}: stream is empty`, offset: 0 });
  const tag = bytes[0] as number;
  if (tag === 1) return decodeVersion1(bytes);
  if (tag >> 4 === version2Tag >> 4) return decodeVersion2(bytes, tag & 15);
  throw new FormatError({
    message: `${caller}: unknown format version ${tag < 16 ? tag : tag >> 4} (header byte 0x${tag.toString(16).padStart(2, "0")}; expected 1 or 2)`,
    offset: 0,
  });
}

/** symbolCount 0 must end the stream right after its LEB128. */
function emptyStream(bytes: Uint8Array, end: number, condition: boolean): Uint32Array {
  if (!condition || bytes.length !== end) {
    throw new FormatError({
      message: `${caller}: an empty stream must have ${bytes[0] === 1 ? "alphabetSize 0" : "mode 0"} and no payload`,
      offset: end,
    });
  }
  return new Uint32Array(0);
}

/** Every code takes at least one bit: refuse a count the payload cannot hold, before allocating. */
function checkCount(symbolCount: number, bitsPerSymbol: number, payloadBits: number, payloadBytes: number): void {
  if (symbolCount * bitsPerSymbol > payloadBits) {
    throw new FormatError({
      message: `${caller}: symbolCount ${symbolCount} cannot fit in ${payloadBytes} payload bytes (every ${bitsPerSymbol === 1 ? "code takes at least 1 bit" : `value takes ${bitsPerSymbol} bits`})`,
      offset: 1,
    });
  }
}

function decodeVersion1(bytes: Uint8Array): Uint32Array {
  const [symbolCount, afterCount] = readLeb128(bytes, 1, "symbolCount");
  const [alphabetSize, start] = readLeb128(bytes, afterCount, "alphabetSize");
  if (symbolCount === 0) return emptyStream(bytes, start, alphabetSize === 0);
  checkCount(symbolCount, 1, (bytes.length - start) * 8, bytes.length - start);
  if (alphabetSize === 0 || alphabetSize > maxTableSize) {
    throw new FormatError({ message: `${caller}: alphabetSize ${alphabetSize} is out of range`, offset: afterCount });
  }
  const reader = new BitReader(bytes, start);
  // Only used symbols are kept, so memory is bounded by the bits read.
  const usedSymbols: number[] = [];
  const usedLengths: number[] = [];
  let covered = 0;
  while (covered < alphabetSize) {
    const token = reader.read(tokenBits);
    if (token === zeroRunToken) {
      covered += reader.read(zeroRunBits) + 1;
    } else if (token > maxSupportedCodeLength) {
      throw new FormatError({ message: `${caller}: invalid code-length token ${token}`, offset: reader.byteOffset() });
    } else {
      if (token > 0) {
        usedSymbols.push(covered);
        usedLengths.push(token);
      }
      covered++;
    }
    if (reader.overrun()) {
      throw new FormatError({ message: `${caller}: stream ends inside the code lengths`, offset: bytes.length });
    }
  }
  if (covered !== alphabetSize) {
    throw new FormatError({
      message: `${caller}: code lengths cover ${covered} symbols but alphabetSize is ${alphabetSize}`,
      offset: reader.byteOffset(),
    });
  }
  return decodeCodes(reader, usedSymbols, usedLengths, symbolCount);
}

function decodeVersion2(bytes: Uint8Array, mode: number): Uint32Array {
  if (mode !== streamModes.flatTable && mode !== streamModes.deltaTable && mode !== streamModes.fixedWidth) {
    throw new FormatError({ message: `${caller}: unknown version-2 mode ${mode}`, offset: 0 });
  }
  const [symbolCount, afterCount] = readLeb128(bytes, 1, "symbolCount");
  if (symbolCount === 0) return emptyStream(bytes, afterCount, mode === streamModes.flatTable);
  if (mode === streamModes.fixedWidth) return decodeFixedWidth(bytes, symbolCount, afterCount);
  const [tableSize, start] = readLeb128(bytes, afterCount, "tableSize");
  const payloadBits = (bytes.length - start) * 8;
  checkCount(symbolCount, 1, payloadBits, bytes.length - start);
  // Every table entry or token takes at least one bit as well.
  if (tableSize === 0 || tableSize > maxTableSize || (mode === streamModes.flatTable && tableSize > payloadBits)) {
    throw new FormatError({
      message: `${caller}: tableSize ${tableSize} is out of range for ${bytes.length - start} payload bytes`,
      offset: afterCount,
    });
  }
  const reader = new BitReader(bytes, start);
  const usedSymbols: number[] = [];
  const usedLengths: number[] = [];
  if (mode === streamModes.flatTable) readFlatTable(reader, tableSize, usedSymbols, usedLengths);
  else readDeltaTable(reader, tableSize, usedSymbols, usedLengths);
  return decodeCodes(reader, usedSymbols, usedLengths, symbolCount);
}

function invalidLength(length: number, reader: BitReader): FormatError {
  return new FormatError({
    message: `${caller}: invalid code length ${length} in the table (need 1-${maxSupportedCodeLength})`,
    offset: reader.byteOffset(),
  });
}

function tableTruncated(reader: BitReader): FormatError {
  return new FormatError({ message: `${caller}: stream ends inside the code lengths`, offset: reader.bytes.length });
}

function readFlatTable(reader: BitReader, tableSize: number, usedSymbols: number[], usedLengths: number[]): void {
  const minLength = reader.read(lengthFieldBits);
  const fieldBits = reader.read(flatWidthBits);
  const hasUnused = reader.read(1) === 1;
  if (minLength < 1 || minLength > maxSupportedCodeLength) throw invalidLength(minLength, reader);
  if (fieldBits < 1 || fieldBits > 5) {
    throw new FormatError({
      message: `${caller}: invalid flat-table field width ${fieldBits}`,
      offset: reader.byteOffset(),
    });
  }
  const offset = hasUnused ? minLength - 1 : minLength;
  for (let s = 0; s < tableSize; s++) {
    const value = reader.read(fieldBits);
    if (hasUnused && value === 0) continue;
    const length = value + offset;
    if (length > maxSupportedCodeLength) throw invalidLength(length, reader);
    usedSymbols.push(s);
    usedLengths.push(length);
    if ((s & 1023) === 0 && reader.overrun()) throw tableTruncated(reader);
  }
  if (reader.overrun()) throw tableTruncated(reader);
}

function readDeltaTable(reader: BitReader, tableSize: number, usedSymbols: number[], usedLengths: number[]): void {
  let previous = reader.read(lengthFieldBits);
  if (previous < 1 || previous > maxSupportedCodeLength) throw invalidLength(previous, reader);
  let covered = 0;
  // Each token takes ≥ 1 bit, and the overrun check ends the loop at the end of the input.
  while (covered < tableSize) {
    // Token prefixes 0, 10, 110, 111: count the leading ones, at most three.
    let ones = 0;
    while (ones < 3 && reader.read(1) === 1) ones++;
    if (ones === 2) {
      let zeros = 0;
      while (reader.read(1) === 0) {
        if (++zeros > 32 || reader.overrun()) {
          throw new FormatError({
            message: `${caller}: invalid run length in the code lengths`,
            offset: reader.byteOffset(),
          });
        }
      }
      let run = 1;
      for (let b = 0; b < zeros; b++) run = run * 2 + reader.read(1);
      if (run > tableSize - covered) {
        throw new FormatError({
          message: `${caller}: a run of ${run} unused symbols passes tableSize ${tableSize} (at symbol ${covered})`,
          offset: reader.byteOffset(),
        });
      }
      covered += run;
    } else {
      if (ones === 1) previous += reader.read(1) === 0 ? 1 : -1;
      else if (ones === 3) previous = reader.read(lengthFieldBits);
      if (previous < 1 || previous > maxSupportedCodeLength) throw invalidLength(previous, reader);
      usedSymbols.push(covered++);
      usedLengths.push(previous);
    }
    if (reader.overrun()) throw tableTruncated(reader);
  }
}

function decodeFixedWidth(bytes: Uint8Array, symbolCount: number, start: number): Uint32Array {
  if (start >= bytes.length)
    throw new FormatError({ message: `${caller}: stream ends inside the width`, offset: start });
  const width = (bytes[start] as number) & 31;
  if (width < 1 || width > maxFixedWidth) {
    throw new FormatError({
      message: `${caller}: invalid fixed width ${width} (need 1-${maxFixedWidth})`,
      offset: start,
    });
  }
  const payloadBytes = bytes.length - start;
  checkCount(symbolCount, width, payloadBytes * 8 - lengthFieldBits, payloadBytes);
  const usedBytes = Math.ceil((lengthFieldBits + symbolCount * width) / 8);
  if (usedBytes !== payloadBytes) {
    throw new FormatError({
      message: `${caller}: ${payloadBytes - usedBytes} trailing bytes after the last symbol`,
      offset: start + usedBytes,
    });
  }
  const out = new Uint32Array(symbolCount);
  const mask = (1 << width) - 1;
  // A zero-padded copy lets each refill take 2-3 bytes without bounds tests; ≤ 23 + 8 bits are
  // ever buffered, so the buffer stays a non-negative int.
  const padded = new Uint8Array(payloadBytes + 4);
  padded.set(bytes.subarray(start));
  let buffer = (padded[0] as number) >>> lengthFieldBits;
  let available = 8 - lengthFieldBits;
  let position = 1;
  for (let i = 0; i < symbolCount; i++) {
    if (available < width) {
      do {
        buffer |= (padded[position++] as number) << available;
        available += 8;
      } while (available < 24);
    }
    out[i] = buffer & mask;
    buffer >>>= width;
    available -= width;
  }
  if (buffer !== 0) throw new FormatError({ message: `${caller}: non-zero padding bits`, offset: bytes.length - 1 });
  return out;
}

function decodeCodes(
  reader: BitReader,
  usedSymbols: number[],
  usedLengths: number[],
  symbolCount: number,
): Uint32Array {
  const decoder = buildHuffmanDecoder(usedSymbols, usedLengths);
  const out = new Uint32Array(symbolCount);
  decoder.decodeInto(reader, out);
  checkEnd(reader);
  return out;
}

/** The stream must end exactly at the byte holding its last bit, and the padding must be zero. */
function checkEnd(reader: BitReader): void {
  const { bytes, start } = reader;
  const payloadBits = (bytes.length - start) * 8;
  const consumed = reader.bitsConsumed();
  if (consumed > payloadBits)
    throw new FormatError({ message: `${caller}: stream is truncated`, offset: bytes.length });
  if (Math.ceil(consumed / 8) !== bytes.length - start) {
    throw new FormatError({
      message: `${caller}: ${bytes.length - start - Math.ceil(consumed / 8)} trailing bytes after the last symbol`,
      offset: start + Math.ceil(consumed / 8),
    });
  }
  if (reader.peek(payloadBits - consumed) !== 0) {
    throw new FormatError({ message: `${caller}: non-zero padding bits`, offset: bytes.length - 1 });
  }
}
