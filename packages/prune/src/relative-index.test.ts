import { createRng, FormatError } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRelativeIndices, encodeRelativeIndices, relativeIndexByteLength } from "./relative-index";

function randomSparse(length: number, density: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) if (rng.uniform() < density) out[i] = rng.normal() || 1;
  return out;
}

function expectExact(actual: Float32Array, expected: Float32Array, label: string) {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${label}: index ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

describe("encodeRelativeIndices", () => {
  it("reproduces Deep Compression's Figure 2 with 3-bit codes (code = gap − 1)", () => {
    const values = new Float32Array(16);
    values[1] = 3.4;
    values[4] = 0.9;
    values[15] = 1.7;
    const encoded = encodeRelativeIndices(values, { indexBits: 3 });
    // Positions 1, 4, (filler at 12), 15 → gaps 2, 3, 8, 3 from the start position −1.
    expect(Array.from(encoded.gaps)).toEqual([1, 2, 7, 2]);
    expect(Array.from(encoded.values)).toEqual([Math.fround(3.4), Math.fround(0.9), 0, Math.fround(1.7)]);
    expect(encoded.fillerCount).toBe(1);
    expect(encoded.length).toBe(16);
    expectExact(decodeRelativeIndices(encoded), values, "figure 2");
    expect(relativeIndexByteLength(encoded)).toEqual({ indexBytes: 2, valueBytes: 16, totalBytes: 18 });
  });

  it("needs exactly ceil(gap / 2^bits) entries per nonzero", () => {
    const values = new Float32Array(1000);
    values[999] = 1; // gap 1000 from −1
    for (const bits of [1, 2, 3, 5, 8, 10]) {
      const encoded = encodeRelativeIndices(values, { indexBits: bits });
      expect(encoded.gaps.length).toBe(Math.ceil(1000 / 2 ** bits));
      expect(encoded.fillerCount).toBe(Math.ceil(1000 / 2 ** bits) - 1);
    }
  });

  it("round-trips exactly on random masks at many sparsities and index widths", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom(0, 0.001, 0.01, 0.08, 0.3, 0.7, 1),
        fc.integer({ min: 1, max: 16 }),
        fc.integer(),
        (length, density, indexBits, seed) => {
          const values = randomSparse(length, density, seed);
          const encoded = encodeRelativeIndices(values, { indexBits });
          const tooWide = encoded.gaps.findIndex((code) => code >= 2 ** indexBits);
          if (tooWide >= 0)
            throw new Error(`code ${encoded.gaps[tooWide]} at entry ${tooWide} exceeds ${indexBits} bits`);
          let nonzeros = 0;
          for (const v of values) if (v !== 0) nonzeros++;
          expect(encoded.gaps.length - encoded.fillerCount).toBe(nonzeros);
          expectExact(decodeRelativeIndices(encoded), values, `length ${length} bits ${indexBits}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips long runs of zeros, at both ends and in the middle", () => {
    for (const bits of [1, 4, 5, 8]) {
      const values = new Float32Array(5000);
      values[0] = -1;
      values[2600] = 2;
      values[2601] = 3;
      values[4999] = 4;
      expectExact(decodeRelativeIndices(encodeRelativeIndices(values, { indexBits: bits })), values, `bits ${bits}`);
      const leadingOnly = new Float32Array(4000);
      leadingOnly[3999] = 5;
      expectExact(decodeRelativeIndices(encodeRelativeIndices(leadingOnly, { indexBits: bits })), leadingOnly, "lead");
      const all = new Float32Array(3000);
      const encoded = encodeRelativeIndices(all, { indexBits: bits });
      expect(encoded.gaps.length).toBe(0);
      expectExact(decodeRelativeIndices(encoded), all, "all zero");
    }
  });

  it("keeps explicit zeros chosen by a mask", () => {
    const values = Float32Array.from([0, 0, 7, 0]);
    const encoded = encodeRelativeIndices(values, { indexBits: 2, mask: Uint8Array.from([1, 0, 1, 0]) });
    expect(Array.from(encoded.gaps)).toEqual([0, 1]);
    expect(encoded.fillerCount).toBe(0);
  });

  it("counts bytes with bit-packed codes and chosen value widths", () => {
    const values = randomSparse(10_000, 0.08, 9);
    const encoded = encodeRelativeIndices(values, { indexBits: 5 });
    const entries = encoded.gaps.length;
    expect(relativeIndexByteLength(encoded).indexBytes).toBe(Math.ceil((entries * 5) / 8));
    expect(relativeIndexByteLength(encoded, { bytesPerValue: 0.5 }).valueBytes).toBe(Math.ceil(entries / 2));
  });

  it("rejects bad index widths", () => {
    expect(() => encodeRelativeIndices(new Float32Array(4), { indexBits: 0 })).toThrowError(/options.indexBits/);
    expect(() => encodeRelativeIndices(new Float32Array(4), { indexBits: 17 })).toThrowError(/options.indexBits/);
  });
});

describe("decodeRelativeIndices on untrusted input", () => {
  const good = encodeRelativeIndices(Float32Array.from([0, 1, 0, 0, 2]), { indexBits: 2 });
  it.each([
    ["a code wider than indexBits", { ...good, gaps: Uint16Array.from([1, 4]) }, /does not fit in 2 bits/],
    ["a position past length", { ...good, length: 3 }, /past length 3/],
    ["mismatched arrays", { ...good, values: new Float32Array(1) }, /gaps has 2 codes but values has 1/],
    ["a bad indexBits", { ...good, indexBits: 40 }, /indexBits must be an integer in \[1, 16\]/],
    ["a negative length", { ...good, length: -1 }, /length must be/],
  ])("gives FormatError for %s", (_name, encoded, message) => {
    expect(() => decodeRelativeIndices(encoded)).toThrowError(FormatError);
    expect(() => decodeRelativeIndices(encoded)).toThrowError(message);
  });
});
