import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { FormatError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { loadIdx, loadMnist, parseIdx } from "./mnist";

function idxBytes(rank: number, dims: number[], payload: number[]): Uint8Array {
  const header = [0, 0, 8, rank];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return new Uint8Array([...header, ...payload]);
}

describe("loadMnist", () => {
  it("gives the documented deterministic 8,000 / 2,000 split of real digits", () => {
    const { train, test } = loadMnist();
    expect(train.count).toBe(8000);
    expect(test.count).toBe(2000);
    expect(train.images.length).toBe(8000 * 784);
    expect(train.shape).toEqual([1, 28, 28]);
    // every class present in both parts, pixels in [0, 1], images not blank
    for (const part of [train, test]) {
      const counts = new Array(10).fill(0);
      for (const label of part.labels) counts[label]++;
      expect(Math.min(...counts)).toBeGreaterThan(part.count / 20);
    }
    let min = 1;
    let max = 0;
    for (const v of train.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
    // the split is a fixed function of the seed
    const again = loadMnist();
    expect(again.test.labels).toEqual(test.labels);
    expect(loadMnist({ seed: 1 }).test.labels).not.toEqual(test.labels);
  });

  it("rejects counts above the 10,000 digits", () => {
    expect(() => loadMnist({ trainCount: 9000, testCount: 2000 })).toThrowError(/exceeds the 10000 digits/);
  });
});

describe("loadIdx / parseIdx", () => {
  it("reads images and labels written as IDX files", () => {
    const dir = mkdtempSync(join(tmpdir(), "mc-nn-idx-"));
    const pixels = Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20);
    writeFileSync(join(dir, "images"), idxBytes(3, [2, 2, 3], pixels));
    writeFileSync(join(dir, "labels"), idxBytes(1, [2], [7, 3]));
    const data = loadIdx(join(dir, "images"), join(dir, "labels"));
    expect(data.count).toBe(2);
    expect(data.shape).toEqual([1, 2, 3]);
    expect(Array.from(data.labels)).toEqual([7, 3]);
    expect(data.images[5]).toBeCloseTo(100 / 255, 7);
    writeFileSync(join(dir, "images.gz"), gzipSync(idxBytes(3, [2, 2, 3], pixels)));
    writeFileSync(join(dir, "labels.gz"), gzipSync(idxBytes(1, [2], [7, 3])));
    expect(loadIdx(join(dir, "images.gz"), join(dir, "labels.gz")).images).toEqual(data.images);
    writeFileSync(join(dir, "broken.gz"), new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
    expect(() => loadIdx(join(dir, "broken.gz"), join(dir, "labels"))).toThrowError(/does not inflate/);
    expect(() => loadIdx(join(dir, "missing"), join(dir, "labels"))).toThrowError(/cannot read/);
  });

  it("corrupt or truncated headers give a FormatError", () => {
    const labels = idxBytes(1, [1], [0]);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0, 0]), /too short/],
      [new Uint8Array([1, 0, 8, 3, 0, 0, 0, 0]), /magic/],
      [idxBytes(3, [1, 1, 1], [0]).map((v, i) => (i === 2 ? 0x0d : v)), /type 0xd/],
      [idxBytes(2, [1, 1], [0]), /2 dimensions, expected 3/],
      [new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), /truncated inside its header/],
      [idxBytes(3, [1, 2, 2], [0, 0, 0]), /needs 20 bytes, file has 19/],
      [idxBytes(3, [2, 1, 1], [0, 0]), /2 images but labels file holds 1/],
    ];
    for (const [bytes, pattern] of cases) {
      try {
        parseIdx(bytes, labels);
        expect.fail(`no error for ${pattern}`);
      } catch (error) {
        expect(FormatError.isInstance(error), String(error)).toBe(true);
        expect(String(error)).toMatch(pattern);
      }
    }
  });
});
