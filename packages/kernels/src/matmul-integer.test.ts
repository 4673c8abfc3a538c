import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectExact, randomBytes, withTier } from "../test/helpers";
import { matmulInteger } from "./matmul-integer";
import { matmul_x8x8s32__ref } from "./ref/reference-kernels";
import { availableTiers } from "./select-kernel";

describe("matmulInteger", () => {
  it("subtracts scalar zero points before multiplying (ONNX MatMulInteger example)", () => {
    // The example of the ONNX operator documentation.
    const a = new Uint8Array([11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0]);
    const b = new Uint8Array([1, 4, 2, 5, 3, 6]);
    const c = matmulInteger(a, b, { m: 4, k: 3, n: 2, aZeroPoint: 12, bZeroPoint: 0 });
    expect(Array.from(c)).toEqual([-38, -83, -44, -98, -50, -113, -56, -128]);
  });

  it("uses per-row a zero points and per-column b zero points", () => {
    const a = new Int8Array([1, 2, 3, 4]);
    const b = new Uint8Array([10, 20, 30, 40]);
    const c = matmulInteger(a, b, { m: 2, k: 2, n: 2, aZeroPoint: [1, 3], bZeroPoint: new Uint8Array([10, 20]) });
    // row0: a-z = [0, 1]; row1: [0, 1]; b-z = [[0, 0], [20, 20]]
    expect(Array.from(c)).toEqual([20, 20, 20, 20]);
  });

  it("wraps around in 32 bits like an int32 accumulator", () => {
    const k = 70000;
    const a = new Uint8Array(k).fill(255);
    const b = new Int8Array(k).fill(-128);
    const exact = 255 * -128 * k;
    expect(matmulInteger(a, b, { m: 1, k, n: 1 })[0]).toBe(exact | 0);
    expect(exact | 0).not.toBe(exact);
  });

  it("rejects zero points outside the dtype range, and of the wrong length", () => {
    const a = new Uint8Array(4);
    const b = new Int8Array(4);
    expect(() => matmulInteger(a, b, { m: 2, k: 2, n: 2, aZeroPoint: 256 })).toThrow(
      /aZeroPoint must be an integer in \[0, 255\], got 256/,
    );
    expect(() => matmulInteger(a, b, { m: 2, k: 2, n: 2, bZeroPoint: 128 })).toThrow(InvalidArgumentError);
    expect(() => matmulInteger(a, b, { m: 2, k: 2, n: 2, bZeroPoint: [0, -129] })).toThrow(
      /bZeroPoint\[1\] = -129 is outside the int8 range \[-128, 127\]/,
    );
    expect(() => matmulInteger(a, b, { m: 2, k: 2, n: 2, aZeroPoint: [1, 2, 3] })).toThrow(ShapeMismatchError);
    expect(() => matmulInteger(a, b, { m: 2, k: 2, n: 2, aZeroPoint: 1.5 })).toThrow(InvalidArgumentError);
  });

  it("rejects mismatched lengths and non-int8 arrays", () => {
    expect(() => matmulInteger(new Uint8Array(3), new Uint8Array(4), { m: 2, k: 2, n: 2 })).toThrow(
      /matmulInteger: a has 3 elements but shape \[2, 2\] needs 4/,
    );
    expect(() =>
      matmulInteger(new Int16Array(4) as unknown as Int8Array, new Uint8Array(4), { m: 2, k: 2, n: 2 }),
    ).toThrow(InvalidArgumentError);
    expect(() => matmulInteger(new Uint8Array(4), new Uint8Array(4), { m: -2, k: -2, n: 1 })).toThrow(
      InvalidArgumentError,
    );
  });

  it("zero-sized dimensions give an empty or all-zero result", () => {
    expect(matmulInteger(new Uint8Array(0), new Uint8Array(0), { m: 0, k: 3, n: 0 }).length).toBe(0);
    expect(
      Array.from(matmulInteger(new Uint8Array(0), new Uint8Array(0), { m: 2, k: 0, n: 1, aZeroPoint: 3 })),
    ).toEqual([0, 0]);
  });

  for (const tier of availableTiers()) {
    it(`on tier ${tier} is bit-exact where row blocks, 4-row panels and 8-panel B groups end`, () => {
      // k = 8191 (odd) makes the wasm tier's row block 16 rows, so m = 18 ends a block inside
      // the A panels and leaves 2 row-major rows; n = 75 is 9 whole B panels (a group of 8 and
      // one more) plus a partial one.
      let seed = 300;
      for (const [m, k, n] of [
        [18, 8191, 75],
        [7, 130, 130],
      ] as const) {
        const a = randomBytes(Uint8Array, m * k, seed++);
        const b = randomBytes(Int8Array, k * n, seed++);
        const aZero = Int32Array.from({ length: m }, (_, i) => (i * 37) % 256);
        const bZero = Int32Array.from({ length: n }, (_, j) => ((j * 53) % 256) - 128);
        const expected = new Int32Array(m * n);
        matmul_x8x8s32__ref(a, b, expected, m, k, n, aZero, bZero);
        const c = withTier(tier, () => matmulInteger(a, b, { m, k, n, aZeroPoint: aZero, bZeroPoint: bZero }));
        expectExact(c, expected, [m, k, n], `matmulInteger ${tier}`);
      }
    });
  }
});
