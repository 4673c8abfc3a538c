import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectClose, randomBytes, randomFloats, withTier } from "../test/helpers";
import { matmulNBits } from "./matmul-nbits";
import { matmul_f32u4f32__ref } from "./ref/reference-kernels";
import { availableTiers } from "./select-kernel";

describe("matmulNBits", () => {
  it("dequantizes low nibble first with the default zero point 8", () => {
    const k = 16;
    const weight = new Uint8Array(8);
    weight[0] = 0x9a; // q0 = 10 → 2, q1 = 9 → 1; the rest 0 → -8
    const x = new Float32Array(k);
    x[0] = 1;
    x[1] = 10;
    x[2] = 100;
    const y = matmulNBits(x, { m: 1, k, n: 1, weight, scales: new Float32Array([0.5]), blockSize: 16 });
    expect(y[0]).toBe((2 * 1 + 1 * 10 - 8 * 100) * 0.5);
  });

  it("reads packed zero points per block, padding k up to whole blocks", () => {
    const k = 20; // 2 blocks of 16, the second one partly used
    const weight = new Uint8Array(16).fill(0x33); // all q = 3
    const zeroPoints = new Uint8Array([0x21]); // block0 zp 1, block1 zp 2
    const x = new Float32Array(k).fill(1);
    const y = matmulNBits(x, {
      m: 1,
      k,
      n: 1,
      weight,
      scales: new Float32Array([1, 10]),
      zeroPoints,
      blockSize: 16,
      bias: new Float32Array([0.5]),
    });
    expect(y[0]).toBe(16 * 2 + 4 * 10 + 0.5);
  });

  it("rejects bad block sizes and mismatched buffers", () => {
    const base = { m: 1, k: 16, n: 1, weight: new Uint8Array(8), scales: new Float32Array(1) };
    expect(() => matmulNBits(new Float32Array(16), { ...base, blockSize: 24 })).toThrow(
      /blockSize must be a power of two >= 16, got 24/,
    );
    expect(() => matmulNBits(new Float32Array(16), { ...base, blockSize: 8 })).toThrow(InvalidArgumentError);
    expect(() => matmulNBits(new Float32Array(16), { ...base, blockSize: 16, weight: new Uint8Array(7) })).toThrow(
      ShapeMismatchError,
    );
    expect(() => matmulNBits(new Float32Array(16), { ...base, blockSize: 16, zeroPoints: new Uint8Array(2) })).toThrow(
      ShapeMismatchError,
    );
    expect(() => matmulNBits(new Float32Array(15), { ...base, blockSize: 16 })).toThrow(/input has 15 elements/);
  });

  it("zero-sized shapes give empty output; k = 0 gives the bias", () => {
    expect(
      matmulNBits(new Float32Array(0), {
        m: 0,
        k: 0,
        n: 3,
        weight: new Uint8Array(0),
        scales: new Float32Array(0),
        blockSize: 16,
      }).length,
    ).toBe(0);
    const y = matmulNBits(new Float32Array(0), {
      m: 2,
      k: 0,
      n: 1,
      weight: new Uint8Array(0),
      scales: new Float32Array(0),
      blockSize: 16,
      bias: new Float32Array([3]),
    });
    expect(Array.from(y)).toEqual([3, 3]);
  });

  for (const tier of availableTiers()) {
    it(`on tier ${tier} matches the reference over many row chunks, every block size and extreme zero points`, () => {
      // k = 4096 with blockSize 32 is 2 KiB a row, so n = 71 crosses the wasm tier's 64 KiB
      // row chunks (32 + 32 + 7 rows, an odd tail). x ≥ 0 makes Σ x·q and zp·Σ x large and
      // alike, the worst case for the kernel's Σ x·q − zp·Σ x per block.
      let seed = 70;
      for (const [m, k, n, blockSize] of [
        [2, 4096, 71, 32],
        [1, 1000, 9, 16],
        [1, 1000, 9, 64],
        [3, 333, 5, 128],
      ] as const) {
        const blocks = Math.ceil(k / blockSize);
        const weight = randomBytes(Uint8Array, n * blocks * (blockSize / 2), seed++);
        const scales = randomFloats(n * blocks, seed++).map((s) => s * 0.05);
        const x = randomFloats(m * k, seed++).map((v) => Math.abs(v));
        const zeroBytes = n * Math.ceil(blocks / 2);
        for (const zeroPoints of [
          undefined,
          new Uint8Array(zeroBytes),
          new Uint8Array(zeroBytes).fill(0xff),
          randomBytes(Uint8Array, zeroBytes, seed++),
        ]) {
          const expected = new Float32Array(m * n);
          matmul_f32u4f32__ref(x, m, k, n, weight, scales, zeroPoints, blockSize, undefined, expected);
          const y = withTier(tier, () => matmulNBits(x, { m, k, n, weight, scales, zeroPoints, blockSize }));
          expectClose(y, expected, [m, k, n], {
            rtol: 1e-5,
            atol: 1e-5 * Math.sqrt(k),
            what: `matmulNBits ${tier} block ${blockSize} zp ${zeroPoints?.[0] ?? "none"}`,
          });
        }
      }
    });
  }
});
