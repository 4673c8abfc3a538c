import { createRng, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { reconstructWeights, shareWeights } from "./share-weights";

function prunedWeight(rows: number, cols: number, sparsity: number, seed: number) {
  const rng = createRng(seed);
  const data = rng.fillNormal(new Float32Array(rows * cols), 0, 0.1) as Float32Array;
  for (let i = 0; i < data.length; i++) if (rng.uniform() < sparsity) data[i] = 0;
  return { data, shape: [rows, cols] };
}

describe("shareWeights", () => {
  it("keeps pruned zeros exactly zero at the reserved entry 0 and clusters only the rest", () => {
    const weight = prunedWeight(60, 50, 0.7, 1);
    const shared = shareWeights(weight, { clusters: 16 });
    expect(shared.codebook.length).toBe(17);
    expect(shared.codebook[0]).toBe(0);
    expect(shared.zeroIndex).toBe(0);
    expect(shared.clusters).toBe(16);
    const dense = reconstructWeights(shared).data;
    for (let i = 0; i < weight.data.length; i++) {
      const w = weight.data[i] as number;
      if ((w === 0) !== (shared.indices[i] === 0))
        throw new Error(`index ${i}: weight ${w} index ${shared.indices[i]}`);
      if (w === 0 && dense[i] !== 0) throw new Error(`index ${i}: pruned weight became ${dense[i]}`);
    }
    for (let j = 1; j < 17; j++) expect(shared.codebook[j]).not.toBe(0);
    expect(shared.sparsity).toBeCloseTo(0.7, 1);
    // The reported inertia is the squared error of the reconstruction.
    let acc = 0;
    for (let i = 0; i < dense.length; i++) acc += ((weight.data[i] as number) - (dense[i] as number)) ** 2;
    expect(shared.inertia).toBeCloseTo(acc, 10);
    expect(weight.data.some((v) => v !== 0)).toBe(true); // input untouched
  });

  it("without preserveZeros, zeros are ordinary values and every entry is a centroid", () => {
    const weight = prunedWeight(20, 20, 0.5, 2);
    const shared = shareWeights(weight, { clusters: 4, preserveZeros: false });
    expect(shared.codebook.length).toBe(4);
    expect(shared.zeroIndex).toBe(-1);
    for (let j = 1; j < 4; j++) expect(shared.codebook[j]).toBeGreaterThan(shared.codebook[j - 1] as number);
  });

  it("uses Uint16 indices past 256 codebook entries and handles all-zero and few-distinct layers", () => {
    const dense = prunedWeight(50, 60, 0, 3);
    expect(shareWeights(dense, { clusters: 256, refine: false }).indices).toBeInstanceOf(Uint16Array);
    expect(shareWeights(dense, { clusters: 255, refine: false }).indices).toBeInstanceOf(Uint8Array);
    const allZero = shareWeights({ data: new Float32Array(6), shape: [2, 3] }, { clusters: 4 });
    expect(Array.from(allZero.codebook)).toEqual([0]);
    expect(allZero.clusters).toBe(0);
    const few = shareWeights({ data: Float32Array.of(0, 1, 2, 1), shape: [4] }, { clusters: 8 });
    expect(Array.from(few.codebook)).toEqual([0, 1, 2]);
    expect(Array.from(few.indices)).toEqual([0, 1, 2, 1]);
    expect(few.inertia).toBe(0);
  });

  it("rejects bad input naming the argument", () => {
    const weight = prunedWeight(4, 4, 0, 4);
    expect(() => shareWeights(weight, { clusters: 0 })).toThrow(
      /shareWeights: options.clusters must be an integer in \[1, 65535\]/,
    );
    expect(() => shareWeights({ data: Float32Array.of(1, Number.NaN), shape: [2] })).toThrow(
      /weight.data has a non-finite value NaN at index 1/,
    );
    expect(() => shareWeights({ data: new Float32Array(3), shape: [2, 2] })).toThrow(ShapeMismatchError);
    expect(() => shareWeights({ data: new Float32Array(0), shape: [0, 3] })).toThrow(/weight is empty/);
    expect(() =>
      reconstructWeights({ codebook: Float32Array.of(0, 1), indices: Uint8Array.of(0, 2), shape: [2] }),
    ).toThrow(/indices\[1\] = 2 is out of range for a codebook of 2 entries/);
    expect(() => reconstructWeights({ codebook: Float32Array.of(0), indices: Uint8Array.of(0), shape: [2] })).toThrow(
      ShapeMismatchError,
    );
    expect(() => shareWeights(weight, { init: "nope" as "linear" })).toThrow(InvalidArgumentError);
  });
});
