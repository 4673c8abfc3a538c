import { FormatError, InvalidArgumentError } from "@mc/core";
import { canonicalCodes, maxSupportedCodeLength } from "./huffman-code";
import { huffmanFormatVersion, reverseBits, tokenBits, zeroRunBits, zeroRunToken } from "./huffman-encode";

/** Decoder for the stream format described in `huffman-encode.ts`. */

/** Codes up to this length decode with one table lookup; longer ones take a bounded slow path. */
const tableBits = 11;

/** Reads a LEB128 of at most 5 bytes (< 2^35) from `bytes` at `offset`; FormatError on truncation. */
function readLeb128(bytes: Uint8Array, offset: number, field: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (offset + i >= bytes.length) {
      throw new FormatError({ message: `huffmanDecode: stream ends inside ${field}`, offset: offset + i });
    }
    const byte = bytes[offset + i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, offset + i + 1];
  }
  throw new FormatError({ message: `huffmanDecode: ${field} is longer than 5 bytes`, offset });
}

/**
 * Decodes a stream written by `huffmanEncode`. Every byte is treated as untrusted: counts are
 * bounded by the input length before allocation, the code lengths must form a complete prefix
 * code, each symbol costs at least one bit (so the loop ends), reads past the end are caught,
 * and trailing bytes or non-zero padding are rejected — all as `FormatError`.
 */
export function huffmanDecode(bytes: Uint8Array): Uint32Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({ message: "huffmanDecode: bytes must be a Uint8Array", argument: "bytes" });
  }
  if (bytes.length === 0) throw new FormatError({ message: "huffmanDecode: stream is empty", offset: 0 });
  if (bytes[0] !== huffmanFormatVersion) {
    throw new FormatError({
      message: `huffmanDecode: unknown format version ${bytes[0]} (expected ${huffmanFormatVersion})`,
      offset: 0,
    });
  }
  const [symbolCount, afterCount] = readLeb128(bytes, 1, "symbolCount");
  const [alphabetSize, start] = readLeb128(bytes, afterCount, "alphabetSize");
  const payloadBits = (bytes.length - start) * 8;
  if (symbolCount === 0) {
    if (alphabetSize !== 0 || bytes.length !== start) {
      throw new FormatError({
        message: "huffmanDecode: an empty stream must have alphabetSize 0 and no payload",
        offset: start,
      });
    }
    return new Uint32Array(0);
  }
  if (symbolCount > payloadBits) {
    throw new FormatError({
      message: `huffmanDecode: symbolCount ${symbolCount} cannot fit in ${bytes.length - start} payload bytes (every code takes at least 1 bit)`,
      offset: 1,
    });
  }
  if (alphabetSize === 0 || alphabetSize > 2 ** 32) {
    throw new FormatError({
      message: `huffmanDecode: alphabetSize ${alphabetSize} is out of range`,
      offset: afterCount,
    });
  }

  const reader = new BitReader(bytes, start);
  // Code lengths: only used symbols are kept, so memory is bounded by the bits read.
  const usedSymbols: number[] = [];
  const usedLengths: number[] = [];
  let covered = 0;
  while (covered < alphabetSize) {
    const token = reader.read(tokenBits);
    if (token === zeroRunToken) {
      covered += reader.read(zeroRunBits) + 1;
    } else if (token > maxSupportedCodeLength) {
      throw new FormatError({
        message: `huffmanDecode: invalid code-length token ${token}`,
        offset: reader.byteOffset(),
      });
    } else {
      if (token > 0) {
        usedSymbols.push(covered);
        usedLengths.push(token);
      }
      covered++;
    }
    if (reader.overrun())
      throw new FormatError({ message: "huffmanDecode: stream ends inside the code lengths", offset: bytes.length });
  }
  if (covered !== alphabetSize) {
    throw new FormatError({
      message: `huffmanDecode: code lengths cover ${covered} symbols but alphabetSize is ${alphabetSize}`,
      offset: reader.byteOffset(),
    });
  }
  const decoder = buildDecoder(usedSymbols, usedLengths);
  const out = new Uint32Array(symbolCount);
  decoder.decodeInto(reader, out);
  const consumed = reader.bitsConsumed();
  if (consumed > payloadBits) {
    throw new FormatError({ message: "huffmanDecode: stream is truncated", offset: bytes.length });
  }
  if (Math.ceil(consumed / 8) !== bytes.length - start) {
    throw new FormatError({
      message: `huffmanDecode: ${bytes.length - start - Math.ceil(consumed / 8)} trailing bytes after the last symbol`,
      offset: start + Math.ceil(consumed / 8),
    });
  }
  if (reader.peek(payloadBits - consumed) !== 0) {
    throw new FormatError({ message: "huffmanDecode: non-zero padding bits", offset: bytes.length - 1 });
  }
  return out;
}

class BitReader {
  private buffer = 0;
  private count = 0;
  private position: number;
  readonly bytes: Uint8Array;
  readonly start: number;

  constructor(bytes: Uint8Array, start: number) {
    this.bytes = bytes;
    this.start = start;
    this.position = start;
  }

  /** Tops the buffer up to 24-31 bits; bytes past the end read as zero (see overrun). */
  refill(): void {
    const bytes = this.bytes;
    while (this.count < 24) {
      const byte = this.position < bytes.length ? (bytes[this.position] as number) : 0;
      this.buffer |= byte << this.count;
      this.position++;
      this.count += 8;
    }
  }

  peek(bits: number): number {
    this.refill();
    return this.buffer & ((1 << bits) - 1);
  }

  read(bits: number): number {
    const value = this.peek(bits);
    this.skip(bits);
    return value;
  }

  skip(bits: number): void {
    this.buffer >>= bits;
    this.count -= bits;
  }

  bitsConsumed(): number {
    return (this.position - this.start) * 8 - this.count;
  }

  overrun(): boolean {
    return this.bitsConsumed() > (this.bytes.length - this.start) * 8;
  }

  byteOffset(): number {
    return this.start + Math.floor(this.bitsConsumed() / 8);
  }

  /** Decoder hot-loop access; kept as plain fields so the loop can hold them in locals. */
  state(): { buffer: number; count: number; position: number } {
    return { buffer: this.buffer, count: this.count, position: this.position };
  }

  setState(buffer: number, count: number, position: number): void {
    this.buffer = buffer;
    this.count = count;
    this.position = position;
  }
}

interface Decoder {
  decodeInto(reader: BitReader, out: Uint32Array): void;
}

function buildDecoder(usedSymbols: number[], usedLengths: number[]): Decoder {
  const used = usedSymbols.length;
  if (used === 0) throw new FormatError({ message: "huffmanDecode: no symbol has a code but symbolCount > 0" });
  let maxLength = 0;
  for (const length of usedLengths) maxLength = Math.max(maxLength, length);
  // Kraft sum in units of 2^-24 is exact in float64.
  let kraft = 0;
  for (const length of usedLengths) kraft += 2 ** (maxSupportedCodeLength - length);
  const full = 2 ** maxSupportedCodeLength;
  const single = used === 1 && usedLengths[0] === 1;
  if (!single && kraft !== full) {
    throw new FormatError({
      message: `huffmanDecode: code lengths are ${kraft > full ? "oversubscribed" : "incomplete"} (Kraft sum ${kraft / full}, need exactly 1)`,
    });
  }
  // Canonical order: by length, then symbol (the order the encoder assigned codes in).
  const order = Array.from({ length: used }, (_, i) => i).sort(
    (a, b) =>
      (usedLengths[a] as number) - (usedLengths[b] as number) ||
      (usedSymbols[a] as number) - (usedSymbols[b] as number),
  );
  const sortedSymbols = Uint32Array.from(order, (i) => usedSymbols[i] as number);
  const sortedLengths = Uint8Array.from(order, (i) => usedLengths[i] as number);
  const countPerLength = new Uint32Array(maxSupportedCodeLength + 1);
  for (let r = 0; r < used; r++) countPerLength[sortedLengths[r] as number]++;
  const codes = canonicalCodes(sortedLengths);

  const bits = Math.min(maxLength, tableBits);
  const mask = (1 << bits) - 1;
  // entry = rank << 5 | length for codes of at most `bits` bits; 0 = longer code (slow path); -1 = no code.
  const table = new Int32Array(1 << bits).fill(-1);
  for (let r = 0; r < used; r++) {
    const length = sortedLengths[r] as number;
    const code = codes[r] as number;
    if (length <= bits) {
      const reversed = reverseBits(code, length);
      for (let fill = reversed; fill <= mask; fill += 1 << length) table[fill] = (r << 5) | length;
    } else {
      table[reverseBits(code >>> (length - bits), bits)] = 0;
    }
  }

  return {
    decodeInto(reader: BitReader, out: Uint32Array): void {
      const state = reader.state();
      const position = decodeSymbols(reader.bytes, out, table, mask, sortedSymbols, countPerLength, maxLength, state);
      reader.setState(state.buffer, state.count, position);
    },
  };
}

/**
 * The hot loop, kept a top-level function over plain locals so the JIT keeps everything in
 * registers. Reads past the end of `bytes` see zeros; the caller checks the bit count after.
 */
function decodeSymbols(
  bytes: Uint8Array,
  out: Uint32Array,
  table: Int32Array,
  mask: number,
  sortedSymbols: Uint32Array,
  countPerLength: Uint32Array,
  maxLength: number,
  state: { buffer: number; count: number; position: number },
): number {
  // A zero-padded copy of the rest of the payload lets the refill skip per-byte bounds tests:
  // the one check per refill (`position > limit`) stops a truncated stream inside the padding.
  const start = state.position;
  const padded = new Uint8Array(Math.max(0, bytes.length - start) + 16);
  if (bytes.length > start) padded.set(bytes.subarray(start));
  const limit = padded.length - 8;
  // [buffer, count, position, next symbol]; an Int32Array keeps all four plain integers.
  const registers = Int32Array.of(state.buffer, state.count, 0, 0);
  for (;;) {
    const status = tableLoop(padded, limit, out, table, mask, sortedSymbols, registers);
    if (status === loopDone) break;
    const i = registers[3] as number;
    if (status === loopTruncated) {
      throw new FormatError({
        message: `huffmanDecode: stream is truncated at symbol ${i} of ${out.length}`,
        offset: bytes.length,
      });
    }
    // A code longer than the table, decoded outside the hot loop so the JIT keeps that loop simple.
    const buffer = registers[0] as number;
    const entry = longCode(table[buffer & mask] as number, buffer, countPerLength, maxLength, i, bytes.length);
    const length = entry & 31;
    out[i] = sortedSymbols[entry >>> 5] as number;
    registers[0] = buffer >> length;
    registers[1] = (registers[1] as number) - length;
    registers[3] = i + 1;
  }
  state.buffer = registers[0] as number;
  state.count = registers[1] as number;
  return start + (registers[2] as number);
}

const loopDone = 0;
const loopLongCode = 1;
const loopTruncated = 2;

/**
 * Decodes symbols with one table lookup each until done, a code longer than the table, or
 * a truncated stream; always leaves >= 24 bits buffered when it stops at a long code.
 */
function tableLoop(
  padded: Uint8Array,
  limit: number,
  out: Uint32Array,
  table: Int32Array,
  mask: number,
  sortedSymbols: Uint32Array,
  registers: Int32Array,
): number {
  let buffer = registers[0] as number;
  let count = registers[1] as number;
  let position = registers[2] as number;
  let i = registers[3] as number;
  const total = out.length;
  let status = loopDone;
  for (; i < total; i++) {
    // count <= 31 after a refill keeps the buffer a small integer; 24 bits cover the longest code.
    if (count < 24) {
      if (position > limit) {
        status = loopTruncated;
        break;
      }
      do {
        buffer |= (padded[position++] as number) << count;
        count += 8;
      } while (count < 24);
    }
    const entry = table[buffer & mask] as number;
    if (entry <= 0) {
      status = loopLongCode;
      break;
    }
    const length = entry & 31;
    out[i] = sortedSymbols[entry >>> 5] as number;
    buffer >>= length;
    count -= length;
  }
  registers[0] = buffer;
  registers[1] = count;
  registers[2] = position;
  registers[3] = i;
  return status;
}

/** Entries the table cannot answer: codes longer than the table (slow path) or no code at all. */
function longCode(
  entry: number,
  buffer: number,
  countPerLength: Uint32Array,
  maxLength: number,
  symbolIndex: number,
  offset: number,
): number {
  const decoded = entry === 0 ? slowDecode(buffer, countPerLength, maxLength) : -1;
  if (decoded < 0) throw new FormatError({ message: `huffmanDecode: invalid code at symbol ${symbolIndex}`, offset });
  return decoded;
}

/** Canonical decoding one bit at a time (as zlib's puff.c), for codes longer than the table; returns rank << 5 | length. */
function slowDecode(buffer: number, countPerLength: Uint32Array, maxLength: number): number {
  let code = 0;
  let first = 0;
  let index = 0;
  let b = buffer;
  for (let length = 1; length <= maxLength; length++) {
    code |= b & 1;
    b >>>= 1;
    const count = countPerLength[length] as number;
    if (code - first < count) return ((index + code - first) << 5) | length;
    index += count;
    first = (first + count) * 2;
    code *= 2;
  }
  return -1;
}
