import { assertInteger, InvalidArgumentError } from "@mc/core";
import { buildHuffmanCode, maxSupportedCodeLength } from "./huffman-code";

/**
 * Self-describing Huffman stream, version 1 (all bit fields LSB-first, as in DEFLATE):
 *
 *   byte 0        format version, 1
 *   LEB128        symbolCount (number of encoded symbols)
 *   LEB128        alphabetSize (number of code lengths that follow; 0 when symbolCount is 0)
 *   bit stream    code lengths as 5-bit tokens: 0..24 is one symbol's length (0 = unused);
 *                 31 is a run of unused symbols whose length − 1 follows in 16 bits
 *   bit stream    symbolCount canonical codes, each sent most significant bit first
 *   padding       zero bits up to the byte boundary; nothing after it
 *
 * The lengths must form a complete prefix code (Kraft sum exactly 1), except that a single
 * used symbol has length 1. Every code is at least one bit long, which bounds symbolCount by
 * 8 × the byte length: the decoder checks that before it allocates anything.
 */
export const huffmanFormatVersion = 1;

export const zeroRunToken = 31;
export const zeroRunBits = 16;
export const tokenBits = 5;
/** Encoders refuse larger alphabets: their frequency and code tables are alphabet-sized. */
export const maxEncodeAlphabetSize = 1 << 24;

export interface HuffmanEncodeOptions {
  /** Longest allowed code (1–24 bits). */
  maxCodeLength?: number;
  /** Number of code lengths to store; default: largest symbol + 1. Must exceed every symbol. */
  alphabetSize?: number;
}

const defaults = { maxCodeLength: 15 };

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
  const { maxCodeLength = defaults.maxCodeLength } = options;
  assertInteger(maxCodeLength, caller, "options.maxCodeLength", { min: 1, max: maxSupportedCodeLength });
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
  const header = [huffmanFormatVersion, ...leb128(symbols.length), ...leb128(symbols.length === 0 ? 0 : alphabetSize)];
  if (symbols.length === 0) return Uint8Array.from(header);

  const frequencies = new Float64Array(alphabetSize);
  for (let i = 0; i < symbols.length; i++) frequencies[symbols[i] as number]++;
  const { codeLengths, codes, totalBits } = buildHuffmanCode(frequencies, { maxCodeLength });
  const reversed = new Uint32Array(alphabetSize);
  for (let s = 0; s < alphabetSize; s++) reversed[s] = reverseBits(codes[s] as number, codeLengths[s] as number);

  const tokens = lengthTokens(codeLengths);
  let tableBitCount = 0;
  for (const [token] of tokens) tableBitCount += token === zeroRunToken ? tokenBits + zeroRunBits : tokenBits;
  const out = new Uint8Array(header.length + Math.ceil((tableBitCount + totalBits) / 8));
  out.set(header);
  let position = header.length;
  let buffer = 0;
  let count = 0;
  const put = (value: number, bits: number): void => {
    buffer |= value << count;
    count += bits;
    while (count >= 8) {
      out[position++] = buffer & 0xff;
      buffer >>>= 8;
      count -= 8;
    }
  };
  for (const [token, run] of tokens) {
    put(token, tokenBits);
    if (token === zeroRunToken) put(run - 1, zeroRunBits);
  }
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    put(reversed[s] as number, codeLengths[s] as number);
  }
  if (count > 0) out[position++] = buffer & 0xff;
  return out;
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

function leb128(value: number): number[] {
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
