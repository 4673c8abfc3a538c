import { describe, expect, it } from "vitest";
import { quantizeNBits, quantizeWeight, sqnrDb } from "./weight-quant";

describe("quantizeWeight", () => {
  it("int8 symmetric: zero point 0, levels within [-127, 127], ties rounded half to even", () => {
    // absmax 127 gives scale 1, so 0.5 and 2.5 are exact ties: they go to 0 and 2, -1.5 to -2.
    const values = Float32Array.of(0.5, 2.5, -1.5, 127, -127, 3.49);
    const q = quantizeWeight(values, [6], undefined, "int8");
    expect(Array.from(q.data)).toEqual([0, 2, -2, 127, -127, 3]);
    expect(Array.from(q.zeroPoint)).toEqual([0]);
    expect(q.scale[0]).toBe(1);
  });

  it("uint8 per-channel keeps 0 exact and each value within half a step", () => {
    const values = Float32Array.of(0, 0.2, 1, -3, 0, 4);
    const q = quantizeWeight(values, [2, 3], 0, "uint8");
    expect(q.scale).toHaveLength(2);
    for (let i = 0; i < values.length; i++) {
      const step = q.scale[Math.floor(i / 3)] as number;
      expect(
        Math.abs((q.dequantized[i] as number) - (values[i] as number)),
        `index ${i} of [2, 3]`,
      ).toBeLessThanOrEqual(step / 2 + 1e-7);
    }
    expect(q.dequantized[0]).toBe(0);
    expect(q.dequantized[4]).toBe(0);
  });

  it("an all-zero channel gets a positive scale and dequantizes to zeros", () => {
    const q = quantizeWeight(new Float32Array(8), [2, 4], 0, "int8");
    expect(Array.from(q.scale).every((s) => s > 0)).toBe(true);
    expect(Array.from(q.dequantized)).toEqual(new Array(8).fill(0));
    expect(sqnrDb(new Float32Array(8), q.dequantized)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("quantizeNBits", () => {
  it("packs low nibble first in [n][blocks][blockSize/2] and pads k to whole blocks", () => {
    const k = 20;
    const n = 2;
    const weight = new Float32Array(k * n);
    for (let i = 0; i < weight.length; i++) weight[i] = Math.sin(i);
    const q = quantizeNBits(weight, k, n, 16, true);
    expect(q.blocks).toBe(2);
    expect(q.packed).toHaveLength(n * 2 * 8);
    // Element (row 0, col 1) is the low nibble of column 1's first byte.
    const scale = q.scales[2] as number;
    const low = ((q.packed[16] as number) & 0xf) - 8;
    expect(low * scale).toBeCloseTo(q.dequantized[1] as number, 6);
    // Padding rows 20..31 of the last block quantize to the zero level 8.
    expect((q.packed[15] as number) >> 4).toBe(8);
    for (let i = 0; i < weight.length; i++) {
      const step = q.scales[(i % n) * 2 + Math.floor(Math.floor(i / n) / 16)] as number;
      expect(Math.abs((q.dequantized[i] as number) - (weight[i] as number)), `index ${i}`).toBeLessThanOrEqual(
        step / 2 + 1e-6,
      );
    }
  });
});
