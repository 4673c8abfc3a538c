import { FormatError } from "@mc/core";
import type { BitReader } from "./bit-reader";
import { canonicalCodes, maxSupportedCodeLength } from "./huffman-code";
import { reverseBits } from "./huffman-encode";

/**
 * Table-driven canonical Huffman decoding, shared by both stream versions.
 *
 * The root table is indexed by the next `rootBits` bits. Two tables are built:
 *   rank table    (any alphabet) leaf = rank << 6 | length, rank into the canonical symbol list;
 *   direct table  (every used symbol < 4096) leaf = symbol2 << 18 | symbol1 << 6 | pair << 5 |
 *                 length: the symbol itself, and in root entries a second whole code wherever
 *                 two codes fit in the root bits together (pair = 1, length = both), so one
 *                 lookup writes two outputs — short codes are the common case on skewed streams.
 * Entries (Int32): > 0 a leaf (bits 0-4: bits consumed); < 0 a second-level table for codes of
 * rootBits + 1 .. rootBits + subBitsLimit bits, −entry = offset << 3 | its index bits, whose
 * entries are single leaves or 0; 0 = no table answer: a code longer than both levels (bounded
 * bit-by-bit slow path) or no code at all (only with a single length-1 symbol) → FormatError.
 * Second-level tables are capped at 2^subBitsLimit entries each, so the whole table has at most
 * 2^rootBits · (1 + 2^subBitsLimit) entries whatever the input says: memory is bounded.
 */
const rootBits = 12;
const subBitsLimit = 4;
const directSymbolLimit = 1 << 12;
const pairFlag = 32;

export interface HuffmanTableDecoder {
  /** Fills `out` from `reader`; FormatError on a truncated stream or an invalid code. */
  decodeInto(reader: BitReader, out: Uint32Array): void;
}

/**
 * Checks that the lengths form a complete prefix code (Kraft sum exactly 1, or one symbol of
 * length 1) and builds the lookup tables. `usedSymbols[r]` has length `usedLengths[r]` ≥ 1.
 */
export function buildHuffmanDecoder(usedSymbols: number[], usedLengths: number[]): HuffmanTableDecoder {
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
  const singleTable = buildSingleTable(sortedLengths, codes);
  const directTable = buildDirectTable(singleTable, sortedSymbols);

  return {
    decodeInto(reader: BitReader, out: Uint32Array): void {
      const state = reader.state();
      const position = decodeSymbols(
        reader.bytes,
        out,
        directTable,
        singleTable,
        sortedSymbols,
        countPerLength,
        maxLength,
        state,
      );
      reader.setState(state.buffer, state.count, position);
    },
  };
}

function buildSingleTable(sortedLengths: Uint8Array, codes: Uint32Array): Int32Array {
  const rootSize = 1 << rootBits;
  const rootMask = rootSize - 1;
  const subBits = new Uint8Array(rootSize);
  for (let r = 0; r < sortedLengths.length; r++) {
    const length = sortedLengths[r] as number;
    if (length <= rootBits) continue;
    const prefix = reverseBits((codes[r] as number) >>> (length - rootBits), rootBits);
    subBits[prefix] = Math.max(subBits[prefix] as number, Math.min(length - rootBits, subBitsLimit));
  }
  const offsets = new Int32Array(rootSize);
  let total = rootSize;
  for (let prefix = 0; prefix < rootSize; prefix++) {
    if (subBits[prefix] === 0) continue;
    offsets[prefix] = total;
    total += 1 << (subBits[prefix] as number);
  }
  const table = new Int32Array(total);
  for (let prefix = 0; prefix < rootSize; prefix++) {
    if (subBits[prefix] !== 0) table[prefix] = -(((offsets[prefix] as number) << 3) | (subBits[prefix] as number));
  }
  for (let r = 0; r < sortedLengths.length; r++) {
    const length = sortedLengths[r] as number;
    const reversed = reverseBits(codes[r] as number, length);
    const leaf = (r << 6) | length;
    if (length <= rootBits) {
      for (let fill = reversed; fill < rootSize; fill += 1 << length) table[fill] = leaf;
      continue;
    }
    const prefix = reversed & rootMask;
    const rest = length - rootBits;
    const bits = subBits[prefix] as number;
    // Codes longer than the second level stay 0: the slow path decodes them.
    if (rest > bits) continue;
    const base = offsets[prefix] as number;
    for (let fill = reversed >>> rootBits; fill < 1 << bits; fill += 1 << rest) table[base + fill] = leaf;
  }
  return table;
}

/**
 * The fast table for alphabets whose used symbols are all below 4096: every leaf holds its
 * symbols directly (no rank lookup), and root entries hold two symbols wherever two codes fit.
 * Returns undefined for larger symbols (the rank-based single table is used then).
 */
function buildDirectTable(singleTable: Int32Array, sortedSymbols: Uint32Array): Int32Array | undefined {
  for (const symbol of sortedSymbols) if (symbol >= directSymbolLimit) return undefined;
  const table = new Int32Array(singleTable.length);
  for (let x = 0; x < singleTable.length; x++) {
    const entry = singleTable[x] as number;
    table[x] = entry > 0 ? ((sortedSymbols[entry >>> 6] as number) << 6) | (entry & 31) : entry;
  }
  const singles = table.slice(0, 1 << rootBits);
  for (let x = 0; x < 1 << rootBits; x++) {
    const first = singles[x] as number;
    if (first <= 0) continue;
    const firstLength = first & 31;
    // The remaining root bits; the second code must lie entirely within them.
    const second = singles[x >>> firstLength] as number;
    if (second <= 0) continue;
    const length = firstLength + (second & 31);
    if (length > rootBits) continue;
    table[x] = ((second >>> 6) << 18) | (((first >>> 6) & (directSymbolLimit - 1)) << 6) | pairFlag | length;
  }
  return table;
}

/**
 * Runs the table loops, leaving them only for the rare code longer than both table levels.
 * With a direct table the pair loop stops one symbol early (it writes two slots per lookup)
 * and the rank-based loop decodes the rest. Reads past the end of `bytes` see zeros; the
 * caller checks the bit count after.
 */
function decodeSymbols(
  bytes: Uint8Array,
  out: Uint32Array,
  directTable: Int32Array | undefined,
  singleTable: Int32Array,
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
  const total = out.length;
  for (;;) {
    const i0 = registers[3] as number;
    const status =
      directTable !== undefined && i0 < total - 1
        ? directLoop(padded, limit, out, directTable, registers, total - 1)
        : rankLoop(padded, limit, out, singleTable, sortedSymbols, registers, total);
    const i = registers[3] as number;
    if (status === loopDone) {
      if (i >= total) break;
      continue;
    }
    if (status === loopTruncated) {
      throw new FormatError({
        message: `huffmanDecode: stream is truncated at symbol ${i} of ${out.length}`,
        offset: bytes.length,
      });
    }
    // The direct loop refills below 16 bits; the slow path may need all 24.
    let buffer = registers[0] as number;
    let count = registers[1] as number;
    let position = registers[2] as number;
    while (count < 24) {
      buffer |= (padded[position++] as number) << count;
      count += 8;
    }
    registers[1] = count;
    registers[2] = position;
    const entry = slowDecode(buffer, countPerLength, maxLength);
    if (entry < 0)
      throw new FormatError({ message: `huffmanDecode: invalid code at symbol ${i}`, offset: bytes.length });
    const length = entry & 31;
    out[i] = sortedSymbols[entry >>> 6] as number;
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
 * The hot loop, a top-level function over plain locals so the JIT keeps everything in
 * registers. Every lookup writes two slots and advances by one or two (a single leaf's second
 * slot is overwritten next), so no branch depends on the data; `stop` ≤ out.length − 1.
 * Ends at `stop`, at a code the tables cannot answer, or at a truncated stream.
 */
function directLoop(
  padded: Uint8Array,
  limit: number,
  out: Uint32Array,
  table: Int32Array,
  registers: Int32Array,
  stop: number,
): number {
  let buffer = registers[0] as number;
  let count = registers[1] as number;
  let position = registers[2] as number;
  let i = registers[3] as number;
  const rootMask = (1 << rootBits) - 1;
  let status = loopDone;
  while (i < stop) {
    // Refilled below 16 bits (both table levels), to 24-31 bits: the buffer never reaches bit 31,
    // so it stays a non-negative int. Refilling less often than at 24 measured ~10% faster.
    if (count < 16) {
      if (position > limit) {
        status = loopTruncated;
        break;
      }
      do {
        buffer |= (padded[position++] as number) << count;
        count += 8;
      } while (count < 24);
    }
    let entry = table[buffer & rootMask] as number;
    if (entry < 0) {
      const link = -entry;
      entry = table[(link >>> 3) + ((buffer >>> rootBits) & ((1 << (link & 7)) - 1))] as number;
    }
    if (entry === 0) {
      status = loopLongCode;
      break;
    }
    out[i] = (entry >>> 6) & (directSymbolLimit - 1);
    out[i + 1] = entry >>> 18;
    i += 1 + ((entry >>> 5) & 1);
    const length = entry & 31;
    buffer >>= length;
    count -= length;
  }
  registers[0] = buffer;
  registers[1] = count;
  registers[2] = position;
  registers[3] = i;
  return status;
}

/** The same loop over the rank-based single table: one symbol per lookup, any symbol value. */
function rankLoop(
  padded: Uint8Array,
  limit: number,
  out: Uint32Array,
  table: Int32Array,
  sortedSymbols: Uint32Array,
  registers: Int32Array,
  stop: number,
): number {
  let buffer = registers[0] as number;
  let count = registers[1] as number;
  let position = registers[2] as number;
  let i = registers[3] as number;
  const rootMask = (1 << rootBits) - 1;
  let status = loopDone;
  while (i < stop) {
    if (count < 16) {
      if (position > limit) {
        status = loopTruncated;
        break;
      }
      do {
        buffer |= (padded[position++] as number) << count;
        count += 8;
      } while (count < 24);
    }
    let entry = table[buffer & rootMask] as number;
    if (entry < 0) {
      const link = -entry;
      entry = table[(link >>> 3) + ((buffer >>> rootBits) & ((1 << (link & 7)) - 1))] as number;
    }
    if (entry === 0) {
      status = loopLongCode;
      break;
    }
    out[i] = sortedSymbols[entry >>> 6] as number;
    i++;
    const length = entry & 31;
    buffer >>= length;
    count -= length;
  }
  registers[0] = buffer;
  registers[1] = count;
  registers[2] = position;
  registers[3] = i;
  return status;
}

/** Canonical decoding one bit at a time (as zlib's puff.c) for codes beyond both tables; returns rank << 6 | length or −1. */
function slowDecode(buffer: number, countPerLength: Uint32Array, maxLength: number): number {
  let code = 0;
  let first = 0;
  let index = 0;
  let b = buffer;
  for (let length = 1; length <= maxLength; length++) {
    code |= b & 1;
    b >>>= 1;
    const count = countPerLength[length] as number;
    if (code - first < count) return ((index + code - first) << 6) | length;
    index += count;
    first = (first + count) * 2;
    code *= 2;
  }
  return -1;
}
