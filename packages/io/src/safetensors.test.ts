import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, FormatError, InvalidArgumentError, McError } from "@mc/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSafetensors, readSafetensors, readSafetensorsFile, writeSafetensors } from "./safetensors";
import { openSafetensors, transformSafetensors } from "./safetensors-file";

function fileWithHeader(header: string, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    if (FormatError.isInstance(error)) return error;
    throw new Error(`expected FormatError, got ${String(error)}`);
  }
  throw new Error("expected FormatError, nothing was thrown");
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "mc-io-safetensors-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("readSafetensors on hostile headers", () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ["unknown dtype", '{"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', 1, /tensor "w" has unknown dtype "F8"/],
    [
      "byte length not dtype size × elements",
      '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}',
      12,
      /tensor "w" data_offsets \[0, 12\] span 12 bytes but F32 shape \[2, 2\] needs 16/,
    ],
    [
      "shape product overflow",
      '{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}',
      0,
      /tensor "w" shape \[4294967296, 4294967296\] overflows/,
    ],
    [
      "duplicate names",
      '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
      2,
      /duplicate key "w"/,
    ],
    [
      "overlapping tensors",
      '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}',
      3,
      /tensor "b" data_offsets \[1, 3\] overlap the previous tensor, which ends at 2/,
    ],
    [
      "gap between tensors",
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}',
      3,
      /leave a gap after byte 1/,
    ],
    [
      "offsets past the end",
      '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}',
      2,
      /run past the 2-byte data section/,
    ],
    [
      "uncovered trailing data",
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
      5,
      /cover 1 bytes but the data section has 5/,
    ],
    ["end before begin", '{"a":{"dtype":"U8","shape":[0],"data_offsets":[3,1]}}', 3, /end before they begin/],
    [
      "negative dimension",
      '{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}',
      0,
      /shape dimension 0 must be a non-negative integer/,
    ],
    [
      "fractional offset",
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}',
      1,
      /data_offsets\[1\] must be a non-negative integer/,
    ],
    ["metadata not strings", '{"__metadata__":{"k":1}}', 0, /"__metadata__" value for "k" must be a string/],
    [
      "unknown field",
      '{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":1}}',
      0,
      /tensor "a" has an unknown field "x"/,
    ],
    ["header not an object", "[1,2]", 0, /header must be a JSON object/],
  ];
  for (const [label, header, dataLength, pattern] of cases) {
    it(`gives FormatError naming the tensor and numbers: ${label}`, () => {
      expect(formatErrorOf(() => readSafetensors(fileWithHeader(header, dataLength))).message).toMatch(pattern);
    });
  }

  it("bounds the header length by the file size and by 100 MB before allocating", () => {
    const file = new Uint8Array(16);
    new DataView(file.buffer).setBigUint64(0, 9n, true);
    expect(formatErrorOf(() => readSafetensors(file)).message).toMatch(
      /header length 9 runs past the end of the 16-byte file/,
    );
    new DataView(file.buffer).setBigUint64(0, 2n ** 63n, true);
    expect(formatErrorOf(() => readSafetensors(file)).message).toMatch(/exceeds the limit of 100000000 bytes/);
    expect(formatErrorOf(() => readSafetensors(new Uint8Array(5))).message).toMatch(
      /at least the 8-byte header length/,
    );
  });

  it("rejects invalid UTF-8 and BOOL bytes other than 0 and 1", () => {
    const bad = fileWithHeader('{"a":1}', 0);
    bad[9] = 0xff;
    expect(formatErrorOf(() => readSafetensors(bad)).message).toMatch(/not valid UTF-8/);
    const bool = fileWithHeader('{"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', 2);
    bool[bool.length - 1] = 2;
    expect(formatErrorOf(() => readSafetensors(bool)).message).toMatch(/tensor "b" is BOOL but element 1 is 2/);
  });

  it("treats a __proto__ tensor name as data and does not pollute Object.prototype", () => {
    const file = fileWithHeader('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1);
    const { tensors } = readSafetensors(file);
    expect(tensors.get("__proto__")?.shape).toEqual([1]);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});

describe("encodeSafetensors / readSafetensors", () => {
  it("round-trips every written dtype bit for bit, including empty and scalar tensors", () => {
    const rng = createRng(1);
    const f32 = new Float32Array(37).map(() => rng.normal());
    f32[3] = Number.NaN;
    f32[4] = -0;
    const input = {
      f32: { shape: [37], data: f32 },
      f16: { dtype: "F16" as const, shape: [3], data: new Uint16Array([0x7e00, 0x8000, 0x3555]) },
      bf16: { dtype: "BF16" as const, shape: [2], data: new Uint16Array([0xff80, 0x0001]) },
      i8: { shape: [2, 2], data: new Int8Array([-128, 127, 0, 1]) },
      u8: { shape: [], data: new Uint8Array([255]) },
      i32: { shape: [0], data: new Int32Array(0) },
    };
    const { tensors } = readSafetensors(encodeSafetensors(input));
    for (const [name, tensor] of Object.entries(input)) {
      const read = tensors.get(name);
      expect(read?.shape).toEqual(tensor.shape);
      const a = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      const b = new Uint8Array(read!.data.buffer, read!.data.byteOffset, read!.data.byteLength);
      expect(b).toEqual(a);
    }
  });

  it("rounds fp32 data to F16 and BF16 with round-half-even when asked", () => {
    const { tensors } = readSafetensors(
      encodeSafetensors({
        h: { dtype: "F16", shape: [2], data: new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11]) },
        b: { dtype: "BF16", shape: [1], data: new Float32Array([1 + 2 ** -8]) },
      }),
    );
    expect([...(tensors.get("h")!.data as Uint16Array)]).toEqual([0x3c00, 0x3c02]);
    expect([...(tensors.get("b")!.data as Uint16Array)]).toEqual([0x3f80]);
  });

  it("rejects bad input tensors with InvalidArgumentError", () => {
    const bad: Array<[unknown, RegExp]> = [
      [
        [
          ["a", { shape: [1], data: new Float32Array(1) }],
          ["a", { shape: [1], data: new Float32Array(1) }],
        ],
        /duplicate tensor name "a"/,
      ],
      [{ a: { dtype: "F8", shape: [1], data: new Uint8Array(1) } }, /unknown dtype "F8"/],
      [{ a: { shape: [2, 2], data: new Float32Array(3) } }, /has 3 elements but shape \[2, 2\] needs 4/],
      [{ a: { shape: [2 ** 40, 2 ** 40], data: new Float32Array(0) } }, /overflows/],
      [{ a: { dtype: "I32", shape: [1], data: new Float32Array(1) } }, /dtype I32 but its data is a Float32Array/],
      [{ __metadata__: { shape: [1], data: new Float32Array(1) } }, /reserved/],
    ];
    for (const [tensors, pattern] of bad) {
      let error: unknown;
      try {
        encodeSafetensors(tensors as never);
      } catch (e) {
        error = e;
      }
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(pattern);
    }
  });
});

describe("safetensors files", () => {
  it("writes atomically, reads back, and refuses to overwrite unless asked", async () => {
    const path = join(folder, "model.safetensors");
    const tensors = { w: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) } };
    const { byteLength } = await writeSafetensors(path, tensors, { metadata: { a: "b" } });
    expect((await stat(path)).size).toBe(byteLength);
    const read = await readSafetensorsFile(path);
    expect([...(read.tensors.get("w")!.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(read.metadata).toEqual({ a: "b" });
    await expect(writeSafetensors(path, tensors)).rejects.toThrow(/already exists; pass \{ overwrite: true \}/);
    await writeSafetensors(path, { w: { shape: [1], data: new Float32Array([9]) } }, { overwrite: true });
    expect((await readSafetensorsFile(path)).tensors.get("w")!.shape).toEqual([1]);
  });

  it("never writes over a file that is open for reading, even with overwrite", async () => {
    const path = join(folder, "input.safetensors");
    await writeSafetensors(path, { w: { shape: [1], data: new Float32Array([1]) } });
    const before = await readFile(path);
    const file = await openSafetensors(path);
    try {
      const error = await writeSafetensors(
        path,
        { w: { shape: [1], data: new Float32Array([2]) } },
        { overwrite: true },
      ).catch((e: unknown) => e);
      expect(McError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/refusing to write over .*input.safetensors.*open for reading/);
    } finally {
      await file.close();
    }
    expect(await readFile(path)).toEqual(before);
  });

  it("reads tensors lazily one at a time in file order, by name or by async iteration", async () => {
    const path = join(folder, "lazy.safetensors");
    const rng = createRng(2);
    const a = new Float32Array(1000).map(() => rng.normal());
    const b = new Int8Array([1, -2, 3]);
    await writeSafetensors(path, [
      ["a", { shape: [10, 100], data: a }],
      ["b", { shape: [3], data: b }],
    ]);
    const file = await openSafetensors(path);
    try {
      expect(file.names()).toEqual(["a", "b"]);
      expect((await file.read("b")).data).toEqual(b);
      const seen: string[] = [];
      for await (const { name, tensor } of file) {
        seen.push(name);
        if (name === "a") expect(tensor.data).toEqual(a);
      }
      expect(seen).toEqual(["a", "b"]);
      await expect(file.read("c")).rejects.toThrow(/no tensor named "c"/);
    } finally {
      await file.close();
    }
    await expect(file.read("a")).rejects.toThrow(/is closed/);
  });

  it("reports a file truncated after open as FormatError on read, and a bad header at open", async () => {
    const path = join(folder, "bad.safetensors");
    await writeFile(path, fileWithHeader('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', 2));
    const error = await openSafetensors(path).catch((e: unknown) => e);
    expect(FormatError.isInstance(error)).toBe(true);
  });

  it("transforms a file tensor by tensor into a new file and refuses the input as output", async () => {
    const input = join(folder, "t-in.safetensors");
    const output = join(folder, "t-out.safetensors");
    await writeSafetensors(input, {
      w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      drop: { shape: [1], data: new Float32Array([0]) },
      b: { shape: [2], data: new Float32Array([0.5, -0.5]) },
    });
    const progress: number[] = [];
    const result = await transformSafetensors(
      input,
      output,
      (tensor, entry) =>
        entry.name === "drop" ? null : { dtype: "F16", shape: tensor.shape, data: tensor.data as Float32Array },
      { onProgress: ({ done }) => progress.push(done) },
    );
    expect(result.tensorCount).toBe(2);
    expect(progress).toEqual([1, 2, 3]);
    const read = readSafetensors(new Uint8Array(await readFile(output)));
    expect([...read.tensors.keys()]).toEqual(["w", "b"]);
    expect([...(read.tensors.get("w")!.data as Uint16Array)]).toEqual([0x3c00, 0x4000, 0x4200, 0x4400]);
    const before = await readFile(input);
    const error = await transformSafetensors(input, input, (t) => t, { overwrite: true }).catch((e: unknown) => e);
    expect(McError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/refusing to write over/);
    expect(await readFile(input)).toEqual(before);
  });
});
