import { FormatError, InvalidArgumentError } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packBits, unpackBits } from "./pack-bits";

describe("packBits / unpackBits", () => {
  it("round-trips random values at every width 1-16", () => {
    for (let bits = 1; bits <= 16; bits++) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), { maxLength: 200 }), (values) => {
          const packed = packBits(values, bits);
          expect(packed.length).toBe(Math.ceil((values.length * bits) / 8));
          const back = unpackBits(packed, bits, values.length);
          for (let i = 0; i < values.length; i++) {
            if (back[i] !== values[i])
              throw new Error(`bits ${bits} index ${i}: ${back[i]} != ${values[i]} (length ${values.length})`);
          }
        }),
        { numRuns: 40 },
      );
    }
  });

  it("lays bits out LSB-first (matches a bit-by-bit reference)", () => {
    const values = [5, 0, 7, 3, 1];
    const packed = packBits(values, 3);
    const bitsOut: number[] = [];
    for (const v of values) for (let b = 0; b < 3; b++) bitsOut.push((v >> b) & 1);
    for (let i = 0; i < bitsOut.length; i++) expect(((packed[i >> 3] as number) >> (i & 7)) & 1).toBe(bitsOut[i]);
    expect(packed[1]! >> 7).toBe(0); // padding is zero
  });

  it("rejects widths outside 1-16, values that do not fit, and short input", () => {
    expect(() => packBits([1], 0)).toThrow(/packBits: bits must be an integer in \[1, 16\], got 0/);
    expect(() => packBits([1], 17)).toThrow(InvalidArgumentError);
    expect(() => packBits([0, 8], 3)).toThrow(/values\[1\] = 8 does not fit in 3 bits/);
    expect(() => packBits([-1], 3)).toThrow(InvalidArgumentError);
    expect(() => packBits([1.5], 3)).toThrow(InvalidArgumentError);
    expect(() => unpackBits(new Uint8Array(1), 0, 1)).toThrow(InvalidArgumentError);
    expect(() => unpackBits(new Uint8Array(1), 5, 2)).toThrow(FormatError);
    expect(() => unpackBits(new Uint8Array(1), 5, -1)).toThrow(InvalidArgumentError);
  });
});
