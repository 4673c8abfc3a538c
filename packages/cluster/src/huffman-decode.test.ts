import { createRng, FormatError, InvalidArgumentError, McError } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { huffmanDecode } from "./huffman-decode";
import { huffmanEncode } from "./huffman-encode";

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
          const bytes = huffmanEncode(symbols, { maxCodeLength: 17 });
          expectSame(huffmanDecode(bytes), symbols, `alphabet ${alphabet} n ${n}`);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("skewed streams, including codes longer than the 11-bit lookup table", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 12, max: 24 }),
        fc.nat(),
        (alphabet, ratio, maxCodeLength, seed) => {
          const symbols = skewed(1500, alphabet, ratio, seed);
          const bytes = huffmanEncode(symbols, { maxCodeLength });
          expectSame(huffmanDecode(bytes), symbols, `alphabet ${alphabet} ratio ${ratio} L ${maxCodeLength}`);
        },
      ),
      { numRuns: 30 },
    );
    // A guaranteed deep code: weights 2^-1, 2^-2, ..., so rare symbols get 20+ bit codes.
    const symbols: number[] = [];
    for (let s = 0; s < 22; s++) for (let r = 0; r < 2 ** (21 - s); r++) symbols.push(s);
    symbols.push(22);
    const deep = Uint32Array.from(createRng(3).shuffleInPlace(symbols));
    expectSame(huffmanDecode(huffmanEncode(deep, { maxCodeLength: 24 })), deep, "deep code");
  });

  it("one symbol only, all symbols of a byte alphabet, empty, and the 1-bit length limit", () => {
    const one = new Uint8Array(1000).fill(42);
    const oneBytes = huffmanEncode(one);
    expectSame(huffmanDecode(oneBytes), one, "one symbol");
    expect(oneBytes.length).toBeLessThan(1000 / 8 + 20);
    const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
    expectSame(huffmanDecode(huffmanEncode(all, { maxCodeLength: 8 })), all, "all symbols");
    expectSame(huffmanDecode(huffmanEncode(new Uint16Array(0))), [], "empty");
    const two = Uint8Array.of(0, 1, 1, 0, 1);
    expectSame(huffmanDecode(huffmanEncode(two, { maxCodeLength: 1 })), two, "two symbols at L=1");
    const sparse = Uint32Array.of(3, 1_000_000, 3, 3);
    expectSame(huffmanDecode(huffmanEncode(sparse)), sparse, "sparse large alphabet");
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
  const sample = huffmanEncode(skewed(3000, 20, 0.6, 1), { maxCodeLength: 15 });

  it("every truncation gives a FormatError", () => {
    for (let length = 0; length < sample.length; length++) {
      expect(() => huffmanDecode(sample.subarray(0, length)), `truncated to ${length}`).toThrow(FormatError);
    }
  });

  it("random corruption either decodes or throws FormatError, never anything else", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const bytes = sample.slice();
          for (const [position, value] of edits) bytes[position % bytes.length] = value;
          try {
            const out = huffmanDecode(bytes);
            expect(out.length).toBeLessThanOrEqual(bytes.length * 8);
          } catch (error) {
            if (!FormatError.isInstance(error)) throw error;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("arbitrary byte strings either decode or throw FormatError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (random, versioned) => {
        const bytes = random.slice();
        if (versioned && bytes.length > 0) bytes[0] = 1;
        try {
          huffmanDecode(bytes);
        } catch (error) {
          if (!McError.isInstance(error) || !FormatError.isInstance(error)) throw error;
        }
      }),
      { numRuns: 1000 },
    );
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
