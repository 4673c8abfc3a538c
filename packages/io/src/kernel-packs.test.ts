import { UnsupportedError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { toKernelPack } from "./kernel-packs";
import { sparseSharedFromWeights } from "./sparse-shared";

describe("toKernelPack", () => {
  it("builds CSR + codebook from relative indices, leaving filler zeros out", () => {
    // 2 × 8 matrix, 2-bit gaps: the run of zeros between (0,1) and (1,7) needs fillers.
    const dense = new Float32Array(16);
    dense[1] = 0.5;
    dense[15] = -1;
    const sparse = sparseSharedFromWeights({ data: dense, shape: [2, 8] }, { indexBits: 2 });
    expect(sparse.gaps.length).toBeGreaterThan(2); // fillers were stored
    const pack = toKernelPack({ name: "w", encoding: "sparse-shared", sparse });
    if (pack.type !== "sparse-codebook") throw new Error(pack.type);
    expect([...pack.weight.rowPointers]).toEqual([0, 1, 2]);
    expect([...pack.weight.columnIndices]).toEqual([1, 7]);
    expect([...pack.weight.codeIndices].map((c) => pack.weight.codebook[c])).toEqual([0.5, -1]);
  });

  it("repacks int4 blockwise rows into MatMulNBits blocks, shifting int4 by 8 and padding the last block", () => {
    // One row, k = 3, blockSize 2: values [-8, 7, -1], zero points [1, -2].
    const data = Uint8Array.from([0x78, 0x0f]); // nibbles: 8(-8), 7, f(-1)
    const pack = toKernelPack({
      name: "w",
      encoding: "quantized",
      quantized: {
        data,
        dtype: "int4",
        shape: [1, 3],
        scale: Float32Array.from([1, 2]),
        zeroPoint: Int32Array.from([1, -2]),
        axis: 1,
        blockSize: 2,
      },
    });
    if (pack.type !== "nbits") throw new Error(pack.type);
    // Shifted: [0, 15, 7] and zero points [9, 6]; the missing 4th value is padded with zero point 6.
    expect([...pack.options.weight]).toEqual([0xf0, 0x67]);
    expect([...pack.options.zeroPoints]).toEqual([0x69]);
    expect(pack.options.k).toBe(3);
    expect(pack.options.n).toBe(1);
  });

  it("refuses layouts no kernel takes, with UnsupportedError", () => {
    const quantized = {
      data: new Uint8Array(4),
      dtype: "uint8" as const,
      shape: [2, 2],
      scale: Float32Array.from([1]),
      zeroPoint: Int32Array.from([0]),
    };
    let error: unknown;
    try {
      toKernelPack({ name: "u", encoding: "quantized", quantized });
    } catch (e) {
      error = e;
    }
    expect(UnsupportedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/"u" has dtype uint8/);
  });
});
