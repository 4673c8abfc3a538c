import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError } from "@mc/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSafetensors } from "./safetensors";
import { createSafetensorsWriter } from "./safetensors-writer";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "mc-io-writer-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("SafetensorsWriter", () => {
  it("streams tensors into the same bytes encodeSafetensors builds in memory", async () => {
    const a = new Float32Array([1, 2, 3, 4]);
    const b = new Int8Array([-1, 1]);
    const path = join(folder, "w.safetensors");
    const writer = await createSafetensorsWriter(
      path,
      [
        { name: "a", dtype: "F16", shape: [2, 2] },
        { name: "b", dtype: "I8", shape: [2] },
      ],
      { metadata: { m: "1" } },
    );
    await writer.write("a", { shape: [2, 2], data: a });
    await writer.write("b", { shape: [2], data: b });
    await writer.close();
    const expected = encodeSafetensors(
      { a: { dtype: "F16", shape: [2, 2], data: a }, b: { shape: [2], data: b } },
      { metadata: { m: "1" } },
    );
    expect(new Uint8Array(await readFile(path))).toEqual(expected);
  });

  it("rejects out-of-order or mismatched tensors and leaves no file when closed early", async () => {
    const path = join(folder, "partial.safetensors");
    const writer = await createSafetensorsWriter(path, [
      { name: "a", dtype: "F32", shape: [2] },
      { name: "b", dtype: "F32", shape: [1] },
    ]);
    await expect(writer.write("b", { shape: [1], data: new Float32Array(1) })).rejects.toThrow(
      /expected tensor "a", got "b"/,
    );
    await expect(writer.write("a", { shape: [3], data: new Float32Array(3) })).rejects.toThrow(/declared F32 \[2\]/);
    await writer.write("a", { shape: [2], data: new Float32Array(2) });
    const error = await writer.close().catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/only 1 of 2 declared tensors/);
    expect((await readdir(folder)).filter((f) => f.includes("partial"))).toEqual([]);
  });
});
