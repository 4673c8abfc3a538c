import { createRng, InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { sparseSharedFromIndices, sparseSharedFromWeights, sparseSharedToDense } from "./sparse-shared";

describe("sparse shared storage", () => {
  it("reproduces Deep Compression Fig. 2: 3-bit gaps with a filler zero when a span exceeds 8", () => {
    // Positions 1, 4 and 15 hold weights; 15 - 4 = 11 > 8 forces one filler 8 positions after 4.
    const dense = new Float32Array(16);
    dense[1] = 3.4;
    dense[4] = 0.9;
    dense[15] = 1.7;
    const sparse = sparseSharedFromWeights({ data: dense, shape: [16] }, { indexBits: 3 });
    expect([...sparse.gaps]).toEqual([1, 2, 7, 2]);
    const values = [...sparse.codes].map((c) => sparse.codebook[c]);
    expect(values).toEqual([Math.fround(3.4), Math.fround(0.9), 0, Math.fround(1.7)]);
    expect(sparseSharedToDense(sparse).data).toEqual(dense);
  });

  it("round-trips random pruned, shared tensors for every index width, fillers included", () => {
    const rng = createRng(3);
    const codebook = new Float32Array([0, -0.5, 0.25, 1.5]);
    for (const indexBits of [1, 2, 3, 5, 8, 16]) {
      for (const sparsity of [0, 0.5, 0.95, 1]) {
        const count = 500;
        const indices = new Uint8Array(count).map(() => (rng.uniform() < sparsity ? 0 : rng.integer(1, 3)));
        const sparse = sparseSharedFromIndices({ shape: [20, 25], codebook, indices }, { indexBits });
        const dense = sparseSharedToDense(sparse).data;
        for (let i = 0; i < count; i++) {
          if (dense[i] !== codebook[indices[i] as number]) {
            throw new Error(
              `bits ${indexBits} sparsity ${sparsity} index ${i}: ${dense[i]} vs ${codebook[indices[i] as number]}`,
            );
          }
        }
        for (const gap of sparse.gaps) expect(gap).toBeLessThan(2 ** indexBits);
      }
    }
  });

  it("stores every element when the codebook has no zero, and fillers point at the zero entry", () => {
    const noZero = new Float32Array([1, 2]);
    const dense = sparseSharedFromIndices(
      { shape: [40], codebook: noZero, indices: new Uint8Array(40) },
      { indexBits: 1 },
    );
    expect(dense.gaps.length).toBe(40);
    expect(dense.gaps.every((g) => g === 0)).toBe(true);
    const indices = new Uint8Array(40).fill(2);
    indices[39] = 1;
    const filled = sparseSharedFromIndices(
      { shape: [40], codebook: new Float32Array([1, 2, 0]), indices },
      { indexBits: 2 },
    );
    // 39 skipped positions at most 3 per gap: 9 fillers of gap 3 (36 positions), then gap 3 to reach 39.
    expect([...filled.gaps]).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect([...filled.codes]).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 1]);
  });

  it("rejects indices outside the codebook and bad index widths", () => {
    const codebook = new Float32Array([0, 1]);
    expect(() => sparseSharedFromIndices({ shape: [2], codebook, indices: [0, 2] })).toThrow(/index 2 at position 1/);
    expect(() => sparseSharedFromIndices({ shape: [2], codebook, indices: [0, 1] }, { indexBits: 17 })).toThrow(
      InvalidArgumentError,
    );
  });
});
