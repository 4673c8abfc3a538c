import { createRng, FormatError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { huffmanCodeLengths, huffmanDecodeSymbols, huffmanEncodeSymbols } from "./huffman";

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
  it("gives the textbook code lengths for a known distribution", () => {
    // Frequencies 45,13,12,16,9,5 (CLRS 16.3): optimal lengths 1,3,3,3,4,4.
    expect([...huffmanCodeLengths([45, 13, 12, 16, 9, 5])]).toEqual([1, 3, 3, 3, 4, 4]);
  });

  it("limits code lengths to 16 on Fibonacci frequencies while keeping a complete prefix code", () => {
    const fib = [1, 1];
    while (fib.length < 30) fib.push((fib.at(-1) as number) + (fib.at(-2) as number));
    const unlimited = huffmanCodeLengths(fib, 64);
    expect(Math.max(...unlimited)).toBe(29);
    const limited = huffmanCodeLengths(fib);
    expect(Math.max(...limited)).toBe(16);
    expect(kraftSum(limited)).toBe(1);
  });

  it("round-trips random symbol streams of skewed distributions within one bit per symbol of entropy", () => {
    const rng = createRng(4);
    for (const alphabet of [1, 2, 3, 32, 256, 5000]) {
      const count = 3000;
      const symbols = new Uint32Array(count);
      for (let i = 0; i < count; i++) symbols[i] = Math.min(alphabet - 1, Math.floor(Math.abs(rng.normal()) * alphabet * 0.1));
      const { table, stream, bitLength } = huffmanEncodeSymbols(symbols, alphabet);
      const decoded = huffmanDecodeSymbols(table, stream, count);
      for (let i = 0; i < count; i++) {
        if (decoded[i] !== symbols[i]) throw new Error(`alphabet ${alphabet} index ${i}: ${decoded[i]} vs ${symbols[i]}`);
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
