import { getFloat16, setFloat16 } from "@petamoriken/float16";
import { describe, expect, it } from "vitest";
import {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToBfloat16Bits,
  float32ToFloat16Array,
  float32ToFloat16Bits,
  roundToFloat16,
} from "./float16";
import { createRng } from "./rng";

// Dev-only oracle: @petamoriken/float16 writes and reads half bits through a DataView.
const view = new DataView(new ArrayBuffer(2));
function oracleBits(value: number): number {
  setFloat16(view, 0, value, true);
  return view.getUint16(0, true);
}
function oracleValue(bits: number): number {
  view.setUint16(0, bits, true);
  return getFloat16(view, 0, true);
}

describe("fp16", () => {
  it("round-trips all 65,536 half bit patterns (NaNs stay NaN) and decodes like the oracle", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const asFloat = float16ToFloat32Array(all);
    const back = float32ToFloat16Array(asFloat);
    for (let h = 0; h < 65536; h++) {
      const value = asFloat[h] as number;
      const expected = oracleValue(h);
      if (Number.isNaN(expected)) {
        expect(Number.isNaN(value), `bits 0x${h.toString(16)}`).toBe(true);
        expect(Number.isNaN(float16BitsToFloat32(back[h] as number))).toBe(true);
      } else {
        if (!Object.is(value, expected)) expect.fail(`bits 0x${h.toString(16)}: got ${value}, oracle ${expected}`);
        if (back[h] !== h) expect.fail(`bits 0x${h.toString(16)} came back as 0x${(back[h] as number).toString(16)}`);
      }
    }
  });

  it("encodes float32 values exactly like the oracle: random, ties, subnormals, overflow", () => {
    const rng = createRng(2026);
    const values = new Float32Array(200_000);
    const bits = new Uint32Array(values.buffer);
    for (let i = 0; i < bits.length; i++) bits[i] = rng.nextUint32();
    // Ties and near-ties around representable halves, subnormal halfway points, overflow edge.
    const special = [
      0,
      -0,
      1,
      -1,
      65504,
      65519.99,
      65520,
      -65520,
      1e9,
      2 ** -24,
      2 ** -25,
      2 ** -25 * 1.0000001,
      2 ** -26,
      3 * 2 ** -25,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      2 ** -14 - 2 ** -25,
      6.1e-5,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    const all = Float32Array.from([...values, ...special]);
    const ours = float32ToFloat16Array(all);
    for (let i = 0; i < all.length; i++) {
      const x = all[i] as number;
      if (Number.isNaN(x)) {
        expect(Number.isNaN(float16BitsToFloat32(ours[i] as number))).toBe(true);
        continue;
      }
      const expected = oracleBits(x);
      if (ours[i] !== expected)
        expect.fail(
          `index ${i}: value ${x} gave 0x${(ours[i] as number).toString(16)}, oracle 0x${expected.toString(16)}`,
        );
    }
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → even (0)
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 subnormal steps → even (2)
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
  });

  it("roundToFloat16 is idempotent", () => {
    const x = createRng(1).fillNormal(new Float32Array(1000), 0, 100);
    const once = roundToFloat16(x);
    expect(roundToFloat16(once)).toEqual(once);
  });
});

describe("bf16", () => {
  it("round-trips every bf16 pattern except NaN payloads, which stay NaN", () => {
    for (let h = 0; h < 65536; h++) {
      const value = bfloat16BitsToFloat32(h);
      if (Number.isNaN(value)) expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(value)))).toBe(true);
      else if (float32ToBfloat16Bits(value) !== h) expect.fail(`bits 0x${h.toString(16)}`);
    }
  });

  it("rounds to nearest even on the 16 dropped bits and overflows to Infinity", () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    u[0] = 0x3f808000; // exactly halfway between 0x3f80 and 0x3f81 → even 0x3f80
    expect(float32ToBfloat16Bits(f[0] as number)).toBe(0x3f80);
    u[0] = 0x3f818000; // halfway between 0x3f81 and 0x3f82 → even 0x3f82
    expect(float32ToBfloat16Bits(f[0] as number)).toBe(0x3f82);
    u[0] = 0x3f808001;
    expect(float32ToBfloat16Bits(f[0] as number)).toBe(0x3f81);
    u[0] = 0x7f7fffff; // float32 max rounds up to Infinity
    expect(float32ToBfloat16Bits(f[0] as number)).toBe(0x7f80);
    const arr = float32ToBfloat16Array(new Float32Array([1, -2, 0.5]));
    expect(Array.from(bfloat16ToFloat32Array(arr))).toEqual([1, -2, 0.5]);
  });
});
