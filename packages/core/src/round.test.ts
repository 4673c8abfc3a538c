import { describe, expect, it } from "vitest";
import { roundHalfEven, roundHalfEvenArray } from "./round";

describe("roundHalfEven", () => {
  it("rounds ties to even (the ONNX QuantizeLinear / PyTorch nearbyint rule)", () => {
    const cases: Array<[number, number]> = [
      [-2.5, -2],
      [-1.5, -2],
      [-0.5, -0],
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [3.5, 4],
      [-3.5, -4],
      [126.5, 126],
      [127.5, 128],
      [-128.5, -128],
    ];
    for (const [x, expected] of cases)
      expect(Object.is(roundHalfEven(x), expected), `${x} -> ${roundHalfEven(x)}`).toBe(true);
  });

  it("rounds non-ties to the nearest integer, including values just below a tie", () => {
    expect(roundHalfEven(0.49999999999999994)).toBe(0);
    expect(roundHalfEven(2.5000000000000004)).toBe(3);
    expect(roundHalfEven(-2.5000000000000004)).toBe(-3);
    expect(roundHalfEven(1.4)).toBe(1);
    expect(roundHalfEven(-1.6)).toBe(-2);
  });

  it("passes NaN and infinities through and leaves huge values alone", () => {
    expect(roundHalfEven(Number.NaN)).toBeNaN();
    expect(roundHalfEven(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(roundHalfEven(2 ** 53)).toBe(2 ** 53);
    expect(roundHalfEven(2 ** 52 + 1)).toBe(2 ** 52 + 1);
    expect(roundHalfEven(2 ** 51 + 0.5)).toBe(2 ** 51);
  });

  it("matches an independent rule (floor plus exact-half test) on random values and every half-integer in [-300, 300]", () => {
    const reference = (x: number) => {
      const f = Math.floor(x);
      const d = x - f;
      if (d < 0.5) return f;
      if (d > 0.5) return f + 1;
      return f % 2 === 0 ? f : f + 1;
    };
    for (let h = -600; h <= 600; h++) expect(roundHalfEven(h / 2) + 0).toBe(reference(h / 2) + 0);
    let state = 12345;
    for (let i = 0; i < 10000; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const x = (state / 4294967296 - 0.5) * 1000;
      expect(roundHalfEven(x) + 0).toBe(reference(x) + 0);
    }
  });

  it("array form agrees with the scalar form and writes into an output buffer", () => {
    const input = new Float32Array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.7, -0.7]);
    const out = roundHalfEvenArray(input, new Float32Array(input.length));
    expect(Array.from(out)).toEqual(Array.from(input, roundHalfEven));
    const big = new Float32Array(2_000_000).map((_, i) => (i - 1_000_000) / 4);
    const rounded = roundHalfEvenArray(big, new Int32Array(big.length));
    for (let i = 0; i < big.length; i += 997) expect(rounded[i]).toBe(roundHalfEven(big[i] as number) + 0);
    expect(() => roundHalfEvenArray(input, new Float32Array(2))).toThrow(/output has 2 elements but input has 8/);
  });
});
