import { InvalidArgumentError } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildHuffmanCode } from "./huffman-code";

/** Plain (unlimited) Huffman total cost by repeated merging of the two lightest weights. */
function huffmanCost(frequencies: number[]): number {
  const heap = frequencies.filter((f) => f > 0).sort((a, b) => a - b);
  if (heap.length <= 1) return heap.length === 1 ? heap[0]! : 0;
  let cost = 0;
  while (heap.length > 1) {
    const a = heap.shift()!;
    const b = heap.shift()!;
    cost += a + b;
    let i = 0;
    while (i < heap.length && heap[i]! < a + b) i++;
    heap.splice(i, 0, a + b);
  }
  return cost;
}

/** Brute force: the cheapest lengths <= L satisfying Kraft, by search over sorted lengths. */
function bestLimitedCost(frequencies: number[], maxLength: number): number {
  const f = frequencies.filter((x) => x > 0).sort((a, b) => b - a);
  let best = Number.POSITIVE_INFINITY;
  const lengths: number[] = [];
  const search = (i: number, kraft: number, cost: number, minLength: number) => {
    if (kraft > 1 + 1e-12 || cost >= best) return;
    if (i === f.length) {
      best = cost;
      return;
    }
    for (let l = minLength; l <= maxLength; l++) {
      lengths.push(l);
      search(i + 1, kraft + 2 ** -l, cost + f[i]! * l, l);
      lengths.pop();
    }
  };
  search(0, 0, 0, 1);
  return best;
}

describe("buildHuffmanCode", () => {
  it("satisfies Kraft's equality and the length limit for random frequencies", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1_000_000 }), { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 9, max: 24 }),
        (frequencies, maxCodeLength) => {
          const used = frequencies.filter((f) => f > 0).length;
          fc.pre(used >= 2 && used <= 2 ** maxCodeLength);
          const { codeLengths } = buildHuffmanCode(frequencies, { maxCodeLength });
          let kraft = 0;
          for (let s = 0; s < frequencies.length; s++) {
            const l = codeLengths[s]!;
            if (frequencies[s]! > 0 !== l > 0) throw new Error(`symbol ${s}: frequency ${frequencies[s]} length ${l}`);
            expect(l).toBeLessThanOrEqual(maxCodeLength);
            if (l > 0) kraft += 2 ** -l;
          }
          expect(kraft).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("equals plain Huffman's cost when the limit does not bind", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 2, maxLength: 60 }), (frequencies) => {
        const { totalBits } = buildHuffmanCode(frequencies, { maxCodeLength: 24 });
        expect(totalBits).toBe(huffmanCost(frequencies));
      }),
      { numRuns: 200 },
    );
  });

  it("is optimal under a binding limit (brute force over all length sets)", () => {
    // Fibonacci-like weights force deep unlimited trees, so a limit of 4-5 binds.
    const cases = [
      [1, 1, 2, 3, 5, 8, 13, 21],
      [1, 1, 1, 2, 4, 8, 16, 32, 64],
      [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
    ];
    for (const frequencies of cases) {
      for (const maxCodeLength of [4, 5]) {
        const { totalBits, codeLengths } = buildHuffmanCode(frequencies, { maxCodeLength });
        expect(Math.max(...codeLengths)).toBeLessThanOrEqual(maxCodeLength);
        expect(totalBits, `${frequencies} L=${maxCodeLength}`).toBe(bestLimitedCost(frequencies, maxCodeLength));
      }
    }
  });

  it("builds canonical codes: same length codes are consecutive in symbol order and prefix-free", () => {
    const { codeLengths, codes } = buildHuffmanCode([10, 1, 1, 5, 0, 3, 3]);
    const entries = [...codeLengths.keys()].filter((s) => codeLengths[s]! > 0);
    for (const a of entries) {
      for (const b of entries) {
        if (a === b) continue;
        const la = codeLengths[a]!;
        const lb = codeLengths[b]!;
        if (la <= lb) expect(codes[b]! >>> (lb - la), `code of ${a} is a prefix of ${b}`).not.toBe(codes[a]);
        if (la === lb && a < b) expect(codes[a]).toBeLessThan(codes[b]!);
      }
    }
  });

  it("gives a single used symbol length 1 and no symbol length 0", () => {
    expect(Array.from(buildHuffmanCode([0, 7, 0]).codeLengths)).toEqual([0, 1, 0]);
    expect(buildHuffmanCode([]).usedSymbols).toBe(0);
  });

  it("rejects bad frequencies and impossible limits", () => {
    expect(() => buildHuffmanCode([1, -1])).toThrow(/frequencies\[1\] = -1/);
    expect(() => buildHuffmanCode([1, Number.NaN])).toThrow(InvalidArgumentError);
    expect(() => buildHuffmanCode([1, 1, 1], { maxCodeLength: 1 })).toThrow(
      /3 used symbols cannot have codes of at most 1 bits/,
    );
    expect(() => buildHuffmanCode([1, 1], { maxCodeLength: 25 })).toThrow(InvalidArgumentError);
  });
});
