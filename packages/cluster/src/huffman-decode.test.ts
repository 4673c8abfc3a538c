import { createRng, FormatError, InvalidArgumentError, McError } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { huffmanDecode } from "./huffman-decode";
import { encodeVersion2, huffmanEncode, streamModes } from "./huffman-encode";

function expectSame(actual: Uint32Array, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i])
      throw new Error(`${label}: index ${i} decoded ${actual[i]} expected ${expected[i]} (length ${expected.length})`);
  }
}

/** Symbols drawn from a geometric-like law: P(s) ∝ ratio^s. */
function skewed(n: number, alphabet: number, ratio: number, seed: number): Uint16Array {
  const rng = createRng(seed);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    while (s < alphabet - 1 && rng.uniform() > 1 - ratio) s++;
    out[i] = s;
  }
  return out;
}

type Symbols = Uint8Array | Uint16Array | Uint32Array;
type Encoder = (symbols: Symbols, maxCodeLength?: number) => Uint8Array;

function largestPlusOne(symbols: Symbols): number {
  let largest = -1;
  for (const s of symbols) largest = Math.max(largest, s);
  return largest + 1;
}

/** Every writer of the formats: version 1, version 2 as chosen, and each version-2 mode forced. */
const encoders: [string, Encoder][] = [
  ["v1", (symbols, maxCodeLength = 15) => huffmanEncode(symbols, { maxCodeLength, formatVersion: 1 })],
  ["v2", (symbols, maxCodeLength = 15) => huffmanEncode(symbols, { maxCodeLength })],
  ["v2 flat", (symbols, L = 15) => encodeVersion2(symbols, largestPlusOne(symbols), L, streamModes.flatTable)],
  ["v2 delta", (symbols, L = 15) => encodeVersion2(symbols, largestPlusOne(symbols), L, streamModes.deltaTable)],
];
const fixedWidth: [string, Encoder] = [
  "v2 fixed",
  (symbols) => encodeVersion2(symbols, largestPlusOne(symbols), 15, streamModes.fixedWidth),
];

describe("huffmanEncode / huffmanDecode round trip", () => {
  it("uniform streams over random alphabets", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.nat(),
        (alphabet, n, seed) => {
          const rng = createRng(seed);
          const symbols = Uint32Array.from({ length: n }, () => rng.integer(0, alphabet - 1));
          for (const [label, encode] of [...encoders, fixedWidth]) {
            expectSame(huffmanDecode(encode(symbols, 17)), symbols, `${label} alphabet ${alphabet} n ${n}`);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("skewed streams, including codes longer than both lookup-table levels", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 12, max: 24 }),
        fc.nat(),
        (alphabet, ratio, maxCodeLength, seed) => {
          const symbols = skewed(1500, alphabet, ratio, seed);
          for (const [label, encode] of encoders) {
            const bytes = encode(symbols, maxCodeLength);
            expectSame(
              huffmanDecode(bytes),
              symbols,
              `${label} alphabet ${alphabet} ratio ${ratio} L ${maxCodeLength}`,
            );
          }
        },
      ),
      { numRuns: 30 },
    );
    // A guaranteed deep code: weights 2^-1, 2^-2, ..., so rare symbols get 20+ bit codes.
    const symbols: number[] = [];
    for (let s = 0; s < 22; s++) for (let r = 0; r < 2 ** (21 - s); r++) symbols.push(s);
    symbols.push(22);
    const deep = Uint32Array.from(createRng(3).shuffleInPlace(symbols));
    for (const [label, encode] of encoders) expectSame(huffmanDecode(encode(deep, 24)), deep, `${label} deep code`);
    // The same deep code over symbols ≥ 4096, which the direct (pair) table cannot hold.
    const large = deep.map((s) => (s % 2 === 0 ? s : 5000 + s));
    for (const [label, encode] of encoders) expectSame(huffmanDecode(encode(large, 24)), large, `${label} large deep`);
  });

  it("one symbol only, all symbols of a byte alphabet, empty, odd lengths and the 1-bit length limit", () => {
    for (const [label, encode] of [...encoders, fixedWidth]) {
      const one = new Uint8Array(1000).fill(42);
      const oneBytes = encode(one);
      expectSame(huffmanDecode(oneBytes), one, `${label} one symbol`);
      if (label !== "v2 fixed") expect(oneBytes.length).toBeLessThan(1000 / 8 + 20);
      const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
      expectSame(huffmanDecode(encode(all, 8)), all, `${label} all symbols`);
      expectSame(huffmanDecode(encode(new Uint16Array(0))), [], `${label} empty`);
      const two = Uint8Array.of(0, 1, 1, 0, 1);
      expectSame(huffmanDecode(encode(two, 1)), two, `${label} two symbols at L=1`);
      // Stream lengths around the pair loop's end (it stops one symbol early) and odd widths.
      for (let n = 1; n <= 9; n++) {
        const short = skewed(n, 7, 0.5, n);
        expectSame(huffmanDecode(encode(short)), short, `${label} ${n} symbols`);
      }
    }
    const sparse = Uint32Array.of(3, 1_000_000, 3, 3);
    for (const [label, encode] of encoders) {
      // Version 2's flat table spends a bit per unused symbol; the others run-length them.
      if (label === "v2 flat") continue;
      expectSame(huffmanDecode(encode(sparse)), sparse, `${label} sparse large alphabet`);
    }
    expectSame(huffmanDecode(encoders[2]![1](Uint32Array.of(3, 70_000, 3, 3))), [3, 70_000, 3, 3], "v2 flat sparse");
    expect(huffmanEncode(sparse).length, "run-length table keeps a sparse alphabet small").toBeLessThan(20);
  });

  it("stays within 1% of the Shannon bound plus the stored table on skewed index streams", () => {
    for (const [alphabet, ratio] of [
      [32, 0.85],
      [16, 0.7],
      [256, 0.97],
    ] as const) {
      const symbols = skewed(200_000, alphabet, ratio, 7);
      const counts = new Float64Array(alphabet);
      for (const s of symbols) counts[s]++;
      let entropyBits = 0;
      for (const c of counts) if (c > 0) entropyBits -= c * Math.log2(c / symbols.length);
      const bytes = huffmanEncode(symbols);
      const tableBytes = Math.ceil((alphabet * 5) / 8) + 8; // 5-bit lengths + header
      expect(bytes.length, `alphabet ${alphabet} ratio ${ratio}`).toBeLessThanOrEqual(
        (entropyBits / 8) * 1.01 + tableBytes,
      );
    }
  });

  it("rejects symbols outside alphabetSize and bad options", () => {
    expect(() => huffmanEncode(Uint8Array.of(1, 5), { alphabetSize: 5 })).toThrow(
      /symbol 5 is outside options.alphabetSize 5/,
    );
    expect(() => huffmanEncode(Uint8Array.of(1), { maxCodeLength: 0 })).toThrow(InvalidArgumentError);
    expect(() => huffmanEncode([1, 2] as unknown as Uint8Array)).toThrow(InvalidArgumentError);
  });
});

describe("huffmanDecode on untrusted bytes", () => {
  const symbols = skewed(3000, 20, 0.6, 1);
  // Every stream layout: v1, both v2 tables (one with unused symbols, so runs appear), fixed width.
  const gappy = symbols.map((s) => (s < 3 ? s : s * 3));
  const samples: [string, Uint8Array][] = [
    ["v1", huffmanEncode(symbols, { maxCodeLength: 15, formatVersion: 1 })],
    ["v2 flat", encodeVersion2(symbols, 20, 15, streamModes.flatTable)],
    ["v2 flat, unused symbols", encodeVersion2(gappy, largestPlusOne(gappy), 15, streamModes.flatTable)],
    ["v2 delta", encodeVersion2(gappy, largestPlusOne(gappy), 15, streamModes.deltaTable)],
    ["v2 fixed", encodeVersion2(symbols, 20, 15, streamModes.fixedWidth)],
  ];

  it("every truncation gives a FormatError", () => {
    for (const [label, sample] of samples) {
      expectSame(huffmanDecode(sample), label.includes("unused") || label === "v2 delta" ? gappy : symbols, label);
      for (let length = 0; length < sample.length; length++) {
        expect(() => huffmanDecode(sample.subarray(0, length)), `${label} truncated to ${length}`).toThrow(FormatError);
      }
    }
  });

  it("random corruption either decodes or throws FormatError, never anything else", () => {
    for (const [label, sample] of samples) {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
          (edits) => {
            const bytes = sample.slice();
            // Half of the edits land in the header and table, where the parsing is.
            for (const [position, value] of edits) bytes[position % (position % 2 ? 40 : bytes.length)] = value;
            try {
              const out = huffmanDecode(bytes);
              expect(out.length, label).toBeLessThanOrEqual(bytes.length * 8);
            } catch (error) {
              if (!FormatError.isInstance(error)) throw error;
            }
          },
        ),
        { numRuns: 300 },
      );
    }
  });

  it("arbitrary byte strings either decode or throw FormatError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(-1, 0x01, 0x20, 0x21, 0x22), (random, tag) => {
        const bytes = random.slice();
        if (tag >= 0 && bytes.length > 0) bytes[0] = tag;
        try {
          const out = huffmanDecode(bytes);
          expect(out.length).toBeLessThanOrEqual(bytes.length * 8);
        } catch (error) {
          if (!McError.isInstance(error) || !FormatError.isInstance(error)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("names the problem in version-2 streams: modes, widths, lengths, runs, counts", () => {
    expect(() => huffmanDecode(Uint8Array.of(0x23, 1, 0))).toThrow(/unknown version-2 mode 3/);
    expect(() => huffmanDecode(Uint8Array.of(0x35))).toThrow(/unknown format version 3 \(header byte 0x35/);
    // Fixed width: width 0 and 25 are invalid; 4 symbols of 8 bits cannot fit in 2 bytes.
    expect(() => huffmanDecode(Uint8Array.of(0x22, 1, 0))).toThrow(/invalid fixed width 0/);
    expect(() => huffmanDecode(Uint8Array.of(0x22, 1, 25, 0))).toThrow(/invalid fixed width 25/);
    expect(() => huffmanDecode(Uint8Array.of(0x22, 4, 8, 0))).toThrow(/cannot fit/);
    // symbolCount 2^34 refused before allocating, in both Huffman modes.
    expect(() => huffmanDecode(Uint8Array.of(0x20, 0x80, 0x80, 0x80, 0x80, 0x10, 2, 0, 0))).toThrow(/cannot fit/);
    expect(() => huffmanDecode(Uint8Array.of(0x21, 0x80, 0x80, 0x80, 0x80, 0x10, 2, 0, 0))).toThrow(/cannot fit/);
    // A flat table of 2^20 entries cannot fit in 3 bytes (one bit per entry at least).
    expect(() => huffmanDecode(Uint8Array.of(0x20, 1, 0x80, 0x80, 0x40, 0, 0, 0))).toThrow(/tableSize 1048576/);
    // Flat table, minLength 0: bits 00000 (min) 001 (width 1) 0 (no unused) → invalid length 0.
    expect(() => huffmanDecode(Uint8Array.of(0x20, 1, 2, 0b00100000, 0))).toThrow(/invalid code length 0/);
    // Flat table: min 24, width 1, values 1 → length 25.
    expect(() => huffmanDecode(Uint8Array.of(0x20, 1, 2, 0b00111000, 0b00000110))).toThrow(/invalid code length 25/);
    // Flat table, two symbols of length 2 (min 2, width 1, values 0 0): incomplete.
    expect(() => huffmanDecode(Uint8Array.of(0x20, 1, 2, 0b00100010, 0, 0))).toThrow(/incomplete/);
    // Delta table: initial 1, then "1 1 0" run token with gamma run 3 ("0 1 1") past tableSize 2.
    expect(() => huffmanDecode(Uint8Array.of(0x21, 1, 2, 0b01100001, 0b00000110, 0))).toThrow(/passes tableSize 2/);
    // Delta table: initial 1, "0" (length 1), "1 0 1" (length 0) → invalid.
    expect(() => huffmanDecode(Uint8Array.of(0x21, 1, 2, 0b10100001, 0, 0))).toThrow(/invalid code length 0/);
    // Delta table: three length-1 codes (initial 1, "0" "0" "0") → oversubscribed.
    expect(() => huffmanDecode(Uint8Array.of(0x21, 1, 3, 0b00000001, 0))).toThrow(/oversubscribed/);
    // A delta table may cover a 2^32-symbol alphabet with one run: decoded without a 2^32 loop
    // or allocation. Symbols 0 and 2^32 − 1 get length 1; one symbol, code "1".
    const bits: number[] = [1, 0, 0, 0, 0, 0]; // initial length 1; "0" = symbol 0, length 1
    const run = 2 ** 32 - 2;
    bits.push(1, 1, 0, ...new Array<number>(31).fill(0)); // run token, gamma: 31 zeros ...
    for (let b = 31; b >= 0; b--) bits.push(Math.floor(run / 2 ** b) % 2); // ... then the run's 32 bits
    bits.push(0, 1); // symbol 2^32 − 1, length 1; then the one code
    const packed = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((bit, i) => {
      packed[i >> 3] |= bit << (i & 7);
    });
    const huge = Uint8Array.of(0x21, 1, 0x80, 0x80, 0x80, 0x80, 0x10, ...packed);
    expect(Array.from(huffmanDecode(huge))).toEqual([2 ** 32 - 1]);
    // Empty streams: mode must be 0 and nothing may follow.
    expect(Array.from(huffmanDecode(Uint8Array.of(0x20, 0)))).toEqual([]);
    expect(() => huffmanDecode(Uint8Array.of(0x22, 0))).toThrow(/empty stream/);
    expect(() => huffmanDecode(Uint8Array.of(0x20, 0, 0))).toThrow(/empty stream/);
    // Fixed width: trailing byte and non-zero padding.
    const fixed = encodeVersion2(Uint8Array.of(1, 2, 3), 4, 15, streamModes.fixedWidth);
    expect(Array.from(huffmanDecode(fixed))).toEqual([1, 2, 3]);
    expect(() => huffmanDecode(Uint8Array.of(...fixed, 0))).toThrow(/trailing bytes/);
    const dirty = fixed.slice();
    dirty[dirty.length - 1] |= 0x80;
    expect(() => huffmanDecode(dirty)).toThrow(/padding/);
  });

  it("names the problem: absurd counts, bad lengths, trailing bytes, padding", () => {
    // symbolCount 2^34 with a 3-byte payload must be refused before allocating.
    expect(() => huffmanDecode(Uint8Array.of(1, 0x80, 0x80, 0x80, 0x80, 0x10, 2, 0, 0, 0))).toThrow(/cannot fit/);
    // Two symbols both of length 2: Kraft sum 1/2 → incomplete.
    expect(() => huffmanDecode(Uint8Array.of(1, 1, 2, 0b01000010, 0, 0))).toThrow(/incomplete/);
    // Three symbols of length 1: oversubscribed. Tokens 1,1,1 = 00001 00001 00001.
    expect(() => huffmanDecode(Uint8Array.of(1, 1, 3, 0b00100001, 0b00000100, 0))).toThrow(/oversubscribed/);
    // Invalid token 25.
    expect(() => huffmanDecode(Uint8Array.of(1, 1, 1, 25, 0))).toThrow(/invalid code-length token 25/);
    expect(() => huffmanDecode(Uint8Array.of(7))).toThrow(/unknown format version 7/);
    expect(() => huffmanDecode(new Uint8Array(0))).toThrow(FormatError);
    const good = huffmanEncode(Uint8Array.of(0, 1, 1, 2));
    expect(() => huffmanDecode(Uint8Array.of(...good, 0))).toThrow(/trailing bytes/);
    const padded = good.slice();
    padded[padded.length - 1] |= 0x80;
    expect(() => huffmanDecode(padded)).toThrow(/padding|trailing|invalid/);
    expect(() => huffmanDecode(Uint8Array.of(1, 0, 3))).toThrow(/empty stream/);
  });
});
