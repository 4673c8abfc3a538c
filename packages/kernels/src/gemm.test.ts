import { InvalidArgumentError, McError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectClose, randomFloats, withTier } from "../test/helpers";
import { gemm } from "./gemm";
import { gemm_f32__ref } from "./ref/reference-kernels";
import { availableTiers } from "./select-kernel";

describe("gemm", () => {
  it("computes a 2×3·3×2 product equal to the hand-computed result", () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([7, 8, 9, 10, 11, 12]);
    expect(Array.from(gemm(a, b, { m: 2, k: 3, n: 2 }))).toEqual([58, 64, 139, 154]);
  });

  it("transposeB reads B as n×k (the Linear weight layout)", () => {
    const a = new Float32Array([1, 2, 3]);
    const bT = new Float32Array([7, 9, 11, 8, 10, 12]);
    expect(Array.from(gemm(a, bT, { m: 1, k: 3, n: 2, transposeB: true }))).toEqual([58, 64]);
  });

  it("beta = 0 ignores NaN in c, beta ≠ 0 adds beta·c", () => {
    const a = new Float32Array([1, 2]);
    const b = new Float32Array([3, 4]);
    expect(Array.from(gemm(a, b, { m: 1, k: 2, n: 1, c: new Float32Array([Number.NaN]) }))).toEqual([11]);
    expect(Array.from(gemm(a, b, { m: 1, k: 2, n: 1, alpha: 2, beta: 0.5, c: new Float32Array([4]) }))).toEqual([24]);
  });

  it("returns the given c and writes into it", () => {
    const c = new Float32Array(1);
    expect(gemm(new Float32Array([2]), new Float32Array([3]), { m: 1, k: 1, n: 1, c })).toBe(c);
    expect(c[0]).toBe(6);
  });

  it("zero-sized dimensions give empty output, k = 0 gives beta·c", () => {
    expect(gemm(new Float32Array(0), new Float32Array(0), { m: 0, k: 5, n: 0 }).length).toBe(0);
    expect(Array.from(gemm(new Float32Array(0), new Float32Array(0), { m: 1, k: 0, n: 2 }))).toEqual([0, 0]);
    const c = new Float32Array([1, 2]);
    expect(Array.from(gemm(new Float32Array(0), new Float32Array(0), { m: 1, k: 0, n: 2, beta: 3, c }))).toEqual([
      3, 6,
    ]);
  });

  it("rejects lengths that do not match the shape, naming the argument and shape", () => {
    expect(() => gemm(new Float32Array(5), new Float32Array(6), { m: 2, k: 3, n: 2 })).toThrow(
      /gemm: a has 5 elements but shape \[2, 3\] needs 6/,
    );
    expect(() => gemm(new Float32Array(6), new Float32Array(6), { m: 2, k: 3, n: 2, c: new Float32Array(3) })).toThrow(
      ShapeMismatchError,
    );
  });

  it("rejects non-integer, negative and non-number dimensions and wrong array types", () => {
    for (const m of [1.5, -1, Number.NaN, "2"]) {
      expect(() => gemm(new Float32Array(2), new Float32Array(2), { m: m as number, k: 1, n: 2 })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() =>
      gemm(new Float64Array(2) as unknown as Float32Array, new Float32Array(2), { m: 1, k: 2, n: 1 }),
    ).toThrow(/gemm: a must be a Float32Array, got Float64Array/);
    try {
      gemm(new Float32Array(1), new Float32Array(1), { m: 1, k: 1, n: 1, alpha: Number.NaN });
      expect.fail("no error");
    } catch (error) {
      expect(McError.isInstance(error)).toBe(true);
    }
  });

  for (const tier of availableTiers()) {
    it(`on tier ${tier} matches the reference where k blocks, row blocks, A panels and B panel groups end`, () => {
      // k = 300 spans two k blocks of 256 (the second accumulates onto the first, beta once),
      // m = 70 is a 64-row block plus a 6-row one ending in a half-empty 4-row A panel, and
      // n = 75 is 9 whole B panels (a group of 8 and one more) plus a partial one.
      let seed = 400;
      const [m, k, n] = [70, 300, 75];
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = randomFloats(m * k, seed++);
          const b = randomFloats(k * n, seed++);
          const c0 = randomFloats(m * n, seed++);
          const expected = c0.slice();
          gemm_f32__ref(a, b, expected, m, k, n, transposeA, transposeB, 0.5, 2);
          const c = withTier(tier, () =>
            gemm(a, b, { m, k, n, transposeA, transposeB, alpha: 0.5, beta: 2, c: c0.slice() }),
          );
          expectClose(c, expected, [m, k, n], {
            rtol: 1e-5,
            atol: 1e-5 * Math.sqrt(k),
            what: `gemm ${tier} tA=${transposeA} tB=${transposeB}`,
          });
        }
      }
    });
  }
});
