import { createRng, FormatError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { huffmanDecodeSymbols, huffmanEncodeSymbols } from "./huffman";

function kraftSum(lengths: Uint8Array): number {
  let sum = 0;
  for (const l of lengths) if (l > 0) sum += 2 ** -l;
  return sum;
}

/** Entropy lower bound and the optimal (unlimited) Huffman cost for comparison. */
function entropyBits(frequencies: number[]): number {
  const total = frequencies.reduce((a, b) => a + b, 0);
  return frequencies.reduce((acc, f) => (f > 0 ? acc - f * Math.log2(f / total) : acc), 0);
}

describe("huffman", () => {
  it("spends the textbook optimum on a known distribution (CLRS 16.3: 224 bits for 100 symbols)", () => {
    const symbols: number[] = [];
    [45, 13, 12, 16, 9, 5].forEach((f, s) => {
      for (let i = 0; i < f; i++) symbols.push(s);
    });
    const { table, bitLength } = huffmanEncodeSymbols(symbols, 6);
    expect(bitLength).toBe(224);
    expect(kraftSum(table.subarray(4))).toBe(1);
  });

  it("limits code lengths to 16 on Fibonacci frequencies while keeping a complete prefix code", () => {
    const symbols: number[] = [];
    let a = 1;
    let b = 1;
    for (let s = 0; s < 24; s++) {
      for (let i = 0; i < a; i++) symbols.push(s);
      [a, b] = [b, a + b];
    }
    const { table, stream } = huffmanEncodeSymbols(symbols, 24);
    expect(Math.max(...table.subarray(4))).toBe(16);
    expect(kraftSum(table.subarray(4))).toBe(1);
    expect([...huffmanDecodeSymbols(table, stream, symbols.length)]).toEqual(symbols);
  });

  it("round-trips random symbol streams of skewed distributions within one bit per symbol of entropy", () => {
    const rng = createRng(4);
    for (const alphabet of [1, 2, 3, 32, 256, 5000]) {
      const count = 3000;
      const symbols = new Uint32Array(count);
      for (let i = 0; i < count; i++)
        symbols[i] = Math.min(alphabet - 1, Math.floor(Math.abs(rng.normal()) * alphabet * 0.1));
      const { table, stream, bitLength } = huffmanEncodeSymbols(symbols, alphabet);
      const decoded = huffmanDecodeSymbols(table, stream, count);
      for (let i = 0; i < count; i++) {
        if (decoded[i] !== symbols[i])
          throw new Error(`alphabet ${alphabet} index ${i}: ${decoded[i]} vs ${symbols[i]}`);
      }
      const frequencies = new Array(alphabet).fill(0);
      for (const s of symbols) frequencies[s]++;
      const h = entropyBits(frequencies);
      expect(bitLength).toBeGreaterThanOrEqual(Math.floor(h));
      if (frequencies.filter((f) => f > 0).length > 1) expect(bitLength).toBeLessThanOrEqual(h + count);
    }
  });

  it("codes an empty stream as an empty byte array", () => {
    const { table, stream } = huffmanEncodeSymbols([], 4);
    expect(stream.length).toBe(0);
    expect(huffmanDecodeSymbols(table, stream, 0).length).toBe(0);
  });

  it("rejects corrupt tables and streams with FormatError", () => {
    const { table, stream } = huffmanEncodeSymbols([0, 1, 2, 2, 2, 3], 4);
    const oversubscribed = table.slice();
    oversubscribed.fill(1, 4);
    const bad: Array<[Uint8Array, Uint8Array, number]> = [
      [oversubscribed, stream, 6],
      [table.subarray(0, 6), stream, 6],
      [table, stream.subarray(0, stream.length - 1), 6],
      [table, stream, 5],
      [table, stream, 1000],
    ];
    for (const [t, s, n] of bad) {
      let error: unknown;
      try {
        huffmanDecodeSymbols(t, s, n);
      } catch (e) {
        error = e;
      }
      expect(FormatError.isInstance(error)).toBe(true);
    }
  });
});
