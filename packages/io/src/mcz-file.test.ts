import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError, McError } from "@mc/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleModel } from "../test/model-fixtures";
import { decodeMcz, encodeMcz, writeMcz } from "./mcz";
import { openMcz } from "./mcz-file";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "mc-io-mczfile-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("openMcz", () => {
  const model = sampleModel(12);
  const bytes = encodeMcz(model);

  it("lists tensors from the header and decodes each on demand exactly like decodeMcz", async () => {
    const path = join(folder, "lazy.mcz");
    await writeFile(path, bytes);
    const file = await openMcz(path);
    try {
      expect(file.names()).toEqual(model.entries.map((e) => e.name));
      expect(file.metadata).toEqual(model.metadata);
      expect(file.tensors.map((t) => t.encoding)).toEqual(model.entries.map((e) => e.encoding));
      const all = decodeMcz(bytes).entries;
      const lazy = [];
      for await (const entry of file) lazy.push(entry);
      expect(encodeMcz({ entries: lazy, metadata: file.metadata })).toEqual(bytes);
      expect(await file.read("fc3.weight")).toEqual(all[3]);
      await expect(file.read("nope")).rejects.toThrow(/no tensor named "nope"/);
    } finally {
      await file.close();
    }
  });

  it("finds truncation at open and a flipped data bit when that tensor is read", async () => {
    const truncated = join(folder, "truncated.mcz");
    await writeFile(truncated, bytes.subarray(0, bytes.length - 1));
    expect(FormatError.isInstance(await openMcz(truncated).catch((e: unknown) => e))).toBe(true);
    const flipped = join(folder, "flipped.mcz");
    const copy = bytes.slice();
    copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x10;
    await writeFile(flipped, copy);
    const file = await openMcz(flipped);
    try {
      await file.read("fc1.weight"); // untouched tensor still reads
      const error = await file.read("norm").catch((e: unknown) => e);
      expect(FormatError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/tensor "norm" section "values" CRC-32/);
    } finally {
      await file.close();
    }
  });

  it("keeps writers off an .mcz file while it is open", async () => {
    const path = join(folder, "open.mcz");
    await writeMcz(path, model);
    const file = await openMcz(path);
    try {
      const error = await writeMcz(path, model, { overwrite: true }).catch((e: unknown) => e);
      expect(McError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/open for reading/);
    } finally {
      await file.close();
    }
  });
});
