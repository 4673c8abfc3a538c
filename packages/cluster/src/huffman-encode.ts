import { assertInteger, InvalidArgumentError } from "@mc/core";
import { buildHuffmanCode, maxSupportedCodeLength } from "./huffman-code";

/**
 * Self-describing Huffman stream. All bit fields are LSB-first as in DEFLATE; a multi-bit field
 * is sent least significant bit first, a Huffman code most significant bit first.
 *
 * Version 2 (written by default):
 *
 *   byte 0        0x20 | mode: version 2 in the high nibble, the mode in the low nibble
 *   LEB128        symbolCount; when 0 the stream ends here and the mode is 0
 *   mode 0, 1     canonical Huffman code:
 *     LEB128        tableSize: number of code lengths stored (largest used symbol + 1)
 *     bit stream    code-length table, mode 0 "flat" or mode 1 "delta" (below)
 *     bit stream    symbolCount codes
 *   mode 2        fixed width ("stored", chosen when Huffman would not be smaller):
 *     5 bits        width w (1-24)
 *     bit stream    symbolCount values of w bits
 *   padding       zero bits up to the byte boundary; nothing after it
 *
 *   flat table:   5 bits minLength (1-24), 3 bits field width d (1-5), 1 bit hasUnused, then
 *                 tableSize fields of d bits: without unused symbols length = minLength + v;
 *                 with them v = 0 is an unused symbol and length = minLength + v − 1.
 *   delta table:  5 bits initial previous length (1-24), then tokens until tableSize symbols
 *                 are covered, each relative to the previous used length:
 *                   0           same length
 *                   1 0 s       previous + 1 (s = 0) or − 1 (s = 1)
 *                   1 1 0 run   a run of unused symbols, its length r ≥ 1 as an Elias gamma code
 *                               (k zero bits, then r's k + 1 bits, most significant first)
 *                   1 1 1 len   an absolute length in 5 bits (1-24)
 *
 * Cluster indices are ordered by centroid value, so neighbouring symbols have similar
 * frequencies: on LeNet-300-100's streams the delta table costs 2.0-2.7 bits per symbol where
 * the flat one costs 3 (and version 1 spent 5); the encoder writes whichever table is smaller.
 *
 * Version 1 (still decoded, written with `formatVersion: 1`):
 *
 *   byte 0        1
 *   LEB128        symbolCount
 *   LEB128        alphabetSize (number of code lengths that follow; 0 when symbolCount is 0)
 *   bit stream    code lengths as 5-bit tokens: 0..24 is one symbol's length (0 = unused);
 *                 31 is a run of unused symbols whose length − 1 follows in 16 bits
 *   bit stream    symbolCount codes; zero padding
 *
 * In both versions the lengths must form a complete prefix code (Kraft sum exactly 1), except
 * that a single used symbol has length 1. Every code, table entry and table token is at least
 * one bit long, which bounds symbolCount and the number of stored lengths by 8 × the byte
 * length: the decoder checks the count before it allocates anything.
 */
export const huffmanFormatVersion = 2;

export const zeroRunToken = 31;
export const zeroRunBits = 16;
export const tokenBits = 5;
/** Encoders refuse larger alphabets: their frequency and code tables are alphabet-sized. */
export const maxEncodeAlphabetSize = 1 << 24;

/** Version-2 modes (the low nibble of byte 0). */
export const streamModes = { flatTable: 0, deltaTable: 1, fixedWidth: 2 } as const;
export type StreamMode = (typeof streamModes)[keyof typeof streamModes];
export const version2Tag = 0x20;
/** Bits of the fixed-width mode's width field and of every absolute length field. */
export const lengthFieldBits = 5;
export const flatWidthBits = 3;

export interface HuffmanEncodeOptions {
  /** Longest allowed code (1–24 bits). */
  maxCodeLength?: number;
  /**
   * Version 1: number of code lengths to store; default: largest symbol + 1. Must exceed every
   * symbol. Version 2 stores lengths only up to the largest used symbol.
   */
  alphabetSize?: number;
  /** Stream format to write: 2 (compact side information, fixed-width fallback) or 1 (for old readers). */
  formatVersion?: 1 | 2;
}

const defaults = { maxCodeLength: 15, formatVersion: 2 };

export function huffmanEncode(
  symbols: Uint8Array | Uint16Array | Uint32Array,
  options: HuffmanEncodeOptions = {},
): Uint8Array {
  const caller = "huffmanEncode";
  if (!(symbols instanceof Uint8Array || symbols instanceof Uint16Array || symbols instanceof Uint32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: symbols must be a Uint8Array, Uint16Array or Uint32Array`,
      argument: "symbols",
    });
  }
  const { maxCodeLength = defaults.maxCodeLength, formatVersion = defaults.formatVersion } = options;
  assertInteger(maxCodeLength, caller, "options.maxCodeLength", { min: 1, max: maxSupportedCodeLength });
  if (formatVersion !== 1 && formatVersion !== 2) {
    throw new InvalidArgumentError({
      message: `${caller}: options.formatVersion must be 1 or 2, got ${String(formatVersion)}`,
      argument: "options.formatVersion",
      value: formatVersion,
    });
  }
  let largest = -1;
  for (let i = 0; i < symbols.length; i++) if ((symbols[i] as number) > largest) largest = symbols[i] as number;
  const alphabetSize = options.alphabetSize ?? largest + 1;
  assertInteger(alphabetSize, caller, "options.alphabetSize", { min: 0, max: maxEncodeAlphabetSize });
  if (largest >= alphabetSize) {
    throw new InvalidArgumentError({
      message: `${caller}: symbol ${largest} is outside options.alphabetSize ${alphabetSize}`,
      argument: "options.alphabetSize",
      value: alphabetSize,
    });
  }
  if (formatVersion === 1) return encodeVersion1(symbols, alphabetSize, maxCodeLength);
  return encodeVersion2(symbols, largest + 1, maxCodeLength);
}

/** The sizes of one version-2 stream's parts, for callers that report side information. */
export interface HuffmanStreamLayout {
  mode: StreamMode;
  /** Header byte + LEB128 fields + code-length table bits (Huffman modes) or width field (fixed). */
  sideInformationBits: number;
  /** Code bits (Huffman) or symbolCount × width (fixed). */
  payloadBits: number;
  totalBytes: number;
}

/**
 * Writes a version-2 stream. `mode` forces a mode (tests use it to cover every path); by
 * default the smallest of the three is written, fixed width on a tie.
 */
export function encodeVersion2(
  symbols: Uint8Array | Uint16Array | Uint32Array,
  tableSize: number,
  maxCodeLength: number,
  mode?: StreamMode,
): Uint8Array {
  const plan = planVersion2(symbols, tableSize, maxCodeLength, mode);
  const writer = new BitWriter(plan.layout.totalBytes);
  writer.bytes([version2Tag | plan.layout.mode, ...leb128(symbols.length)]);
  if (symbols.length === 0) return writer.finish();
  if (plan.layout.mode === streamModes.fixedWidth) {
    const width = plan.width;
    writer.put(width, lengthFieldBits);
    for (let i = 0; i < symbols.length; i++) writer.put(symbols[i] as number, width);
    return writer.finish();
  }
  const { codeLengths, codes } = plan;
  writer.bytes(leb128(tableSize));
  if (plan.layout.mode === streamModes.flatTable) writeFlatTable(writer, codeLengths);
  else writeDeltaTable(writer, codeLengths);
  const reversed = new Uint32Array(tableSize);
  for (let s = 0; s < tableSize; s++) reversed[s] = reverseBits(codes[s] as number, codeLengths[s] as number);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    writer.put(reversed[s] as number, codeLengths[s] as number);
  }
  return writer.finish();
}

/** The layout `huffmanEncode` would write for these symbols (version 2), without writing it. */
export function huffmanStreamLayout(
  symbols: Uint8Array | Uint16Array | Uint32Array,
  options: { maxCodeLength?: number } = {},
): HuffmanStreamLayout {
  let largest = -1;
  for (let i = 0; i < symbols.length; i++) if ((symbols[i] as number) > largest) largest = symbols[i] as number;
  return planVersion2(symbols, largest + 1, options.maxCodeLength ?? defaults.maxCodeLength).layout;
}

function planVersion2(
  symbols: Uint8Array | Uint16Array | Uint32Array,
  tableSize: number,
  maxCodeLength: number,
  forced?: StreamMode,
): { layout: HuffmanStreamLayout; width: number; codeLengths: Uint8Array; codes: Uint32Array } {
  const countBytes = 1 + leb128(symbols.length).length;
  const empty = new Uint8Array(0);
  if (symbols.length === 0) {
    const layout = {
      mode: streamModes.flatTable,
      sideInformationBits: 8 * countBytes,
      payloadBits: 0,
      totalBytes: countBytes,
    };
    return { layout, width: 0, codeLengths: empty, codes: new Uint32Array(0) };
  }
  const width = Math.max(1, bitLength(tableSize - 1));
  const fixedSide = 8 * countBytes + lengthFieldBits;
  const fixed: HuffmanStreamLayout = {
    mode: streamModes.fixedWidth,
    sideInformationBits: fixedSide,
    payloadBits: symbols.length * width,
    totalBytes: countBytes + Math.ceil((lengthFieldBits + symbols.length * width) / 8),
  };
  if (forced === streamModes.fixedWidth) return { layout: fixed, width, codeLengths: empty, codes: new Uint32Array(0) };

  const frequencies = new Float64Array(tableSize);
  for (let i = 0; i < symbols.length; i++) frequencies[symbols[i] as number]++;
  const { codeLengths, codes, totalBits } = buildHuffmanCode(frequencies, { maxCodeLength });
  const flatBits = flatTableBits(codeLengths);
  const deltaBits = deltaTableBits(codeLengths);
  const mode = forced ?? (deltaBits < flatBits ? streamModes.deltaTable : streamModes.flatTable);
  const tableBits = mode === streamModes.deltaTable ? deltaBits : flatBits;
  const headerBytes = countBytes + leb128(tableSize).length;
  const huffman: HuffmanStreamLayout = {
    mode,
    sideInformationBits: 8 * headerBytes + tableBits,
    payloadBits: totalBits,
    totalBytes: headerBytes + Math.ceil((tableBits + totalBits) / 8),
  };
  const layout = forced === undefined && fixed.totalBytes <= huffman.totalBytes ? fixed : huffman;
  return { layout, width, codeLengths, codes };
}

/** Range of the used lengths and the flat table's field width. */
function flatParameters(codeLengths: Uint8Array): { minLength: number; fieldBits: number; hasUnused: boolean } {
  let minLength = maxSupportedCodeLength;
  let maxLength = 1;
  let hasUnused = false;
  for (const length of codeLengths) {
    if (length === 0) {
      hasUnused = true;
      continue;
    }
    minLength = Math.min(minLength, length);
    maxLength = Math.max(maxLength, length);
  }
  const span = maxLength - minLength + (hasUnused ? 1 : 0);
  // At least one bit per entry keeps the table's size bounded by the stream's.
  return { minLength, fieldBits: Math.max(1, bitLength(span)), hasUnused };
}

function flatTableBits(codeLengths: Uint8Array): number {
  return lengthFieldBits + flatWidthBits + 1 + codeLengths.length * flatParameters(codeLengths).fieldBits;
}

function writeFlatTable(writer: BitWriter, codeLengths: Uint8Array): void {
  const { minLength, fieldBits, hasUnused } = flatParameters(codeLengths);
  writer.put(minLength, lengthFieldBits);
  writer.put(fieldBits, flatWidthBits);
  writer.put(hasUnused ? 1 : 0, 1);
  const offset = hasUnused ? minLength - 1 : minLength;
  for (const length of codeLengths) writer.put(length === 0 ? 0 : length - offset, fieldBits);
}

/** Visits the delta table's tokens; `emit(bits, value)` receives each field in stream order. */
function deltaTokens(codeLengths: Uint8Array, emit: (value: number, bits: number) => void): void {
  let previous = 0;
  for (const length of codeLengths) {
    if (length > 0) {
      previous = length;
      break;
    }
  }
  emit(previous, lengthFieldBits);
  let s = 0;
  while (s < codeLengths.length) {
    const length = codeLengths[s] as number;
    if (length === 0) {
      let run = 0;
      while (s + run < codeLengths.length && codeLengths[s + run] === 0) run++;
      emit(0b011, 3);
      const k = bitLength(run) - 1;
      emit(0, k);
      for (let b = k; b >= 0; b--) emit(Math.floor(run / 2 ** b) % 2, 1);
      s += run;
      continue;
    }
    if (length === previous) emit(0, 1);
    else if (length === previous + 1) emit(0b001, 3);
    else if (length === previous - 1) emit(0b101, 3);
    else {
      emit(0b111, 3);
      emit(length, lengthFieldBits);
    }
    previous = length;
    s++;
  }
}

function deltaTableBits(codeLengths: Uint8Array): number {
  let bits = 0;
  deltaTokens(codeLengths, (_, count) => {
    bits += count;
  });
  return bits;
}

function writeDeltaTable(writer: BitWriter, codeLengths: Uint8Array): void {
  deltaTokens(codeLengths, (value, bits) => writer.put(value, bits));
}

function encodeVersion1(
  symbols: Uint8Array | Uint16Array | Uint32Array,
  alphabetSize: number,
  maxCodeLength: number,
): Uint8Array {
  const header = [1, ...leb128(symbols.length), ...leb128(symbols.length === 0 ? 0 : alphabetSize)];
  if (symbols.length === 0) return Uint8Array.from(header);

  const frequencies = new Float64Array(alphabetSize);
  for (let i = 0; i < symbols.length; i++) frequencies[symbols[i] as number]++;
  const { codeLengths, codes, totalBits } = buildHuffmanCode(frequencies, { maxCodeLength });
  const reversed = new Uint32Array(alphabetSize);
  for (let s = 0; s < alphabetSize; s++) reversed[s] = reverseBits(codes[s] as number, codeLengths[s] as number);

  const tokens = lengthTokens(codeLengths);
  let tableBitCount = 0;
  for (const [token] of tokens) tableBitCount += token === zeroRunToken ? tokenBits + zeroRunBits : tokenBits;
  const writer = new BitWriter(header.length + Math.ceil((tableBitCount + totalBits) / 8));
  writer.bytes(header);
  for (const [token, run] of tokens) {
    writer.put(token, tokenBits);
    if (token === zeroRunToken) writer.put(run - 1, zeroRunBits);
  }
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    writer.put(reversed[s] as number, codeLengths[s] as number);
  }
  return writer.finish();
}

function lengthTokens(codeLengths: Uint8Array): [number, number][] {
  const tokens: [number, number][] = [];
  let s = 0;
  while (s < codeLengths.length) {
    if (codeLengths[s] !== 0) {
      tokens.push([codeLengths[s] as number, 1]);
      s++;
      continue;
    }
    let run = 0;
    while (s + run < codeLengths.length && codeLengths[s + run] === 0 && run < 1 << zeroRunBits) run++;
    // A run token (21 bits) beats single zero tokens (5 bits each) from 5 zeros on.
    if (run >= 5) tokens.push([zeroRunToken, run]);
    else for (let r = 0; r < run; r++) tokens.push([0, 1]);
    s += run;
  }
  return tokens;
}

/** LSB-first bit writer into an exactly sized buffer (sizes are computed before writing). */
class BitWriter {
  private readonly out: Uint8Array;
  private position = 0;
  private buffer = 0;
  private count = 0;

  constructor(byteLength: number) {
    this.out = new Uint8Array(byteLength);
  }

  /** Whole bytes; only before any bits. */
  bytes(values: number[]): void {
    for (const v of values) this.out[this.position++] = v;
  }

  /** `bits` ≤ 24 bits of `value`, least significant first. */
  put(value: number, bits: number): void {
    this.buffer |= value << this.count;
    this.count += bits;
    while (this.count >= 8) {
      this.out[this.position++] = this.buffer & 0xff;
      this.buffer >>>= 8;
      this.count -= 8;
    }
  }

  finish(): Uint8Array {
    if (this.count > 0) this.out[this.position++] = this.buffer & 0xff;
    if (this.position !== this.out.length)
      throw new Error(`BitWriter: wrote ${this.position} of ${this.out.length} bytes`);
    return this.out;
  }
}

/** Number of bits in `value` (< 2^32); 0 for 0. */
function bitLength(value: number): number {
  return 32 - Math.clz32(value);
}

export function leb128(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0);
  return bytes;
}

export function reverseBits(value: number, bits: number): number {
  let out = 0;
  for (let b = 0; b < bits; b++) out |= ((value >>> b) & 1) << (bits - 1 - b);
  return out >>> 0;
}
