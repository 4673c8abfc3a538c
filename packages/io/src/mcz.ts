import { elementCount, FormatError, formatShape, InvalidArgumentError, type Tensor } from "@mc/core";
import { assertWritableTarget, loadFs, type WriteTargetOptions, withAtomicFile, writeFully } from "./atomic-write";
import { readContainer, writeContainer } from "./mcz-container";
import { decodeEntry, encodeEntry } from "./mcz-encodings";
import type { McEntry, McModel } from "./mcz-entries";
import { dequantizeLike } from "./quantized";
import { sparseSharedToDense } from "./sparse-shared";

/** Serializes a model to `.mcz` bytes (format: docs/mcz-format.md). */
export function encodeMcz(model: McModel): Uint8Array {
  const caller = "encodeMcz";
  if (typeof model !== "object" || model === null || !Array.isArray(model.entries)) {
    throw new InvalidArgumentError({
      message: `${caller}: model must be { entries: McEntry[], metadata? }`,
      argument: "model",
      value: model,
    });
  }
  const seen = new Set<string>();
  for (const entry of model.entries) {
    if (typeof entry?.name !== "string") {
      throw new InvalidArgumentError({
        message: `${caller}: every entry needs a string name`,
        argument: "model.entries",
        value: entry,
      });
    }
    if (seen.has(entry.name)) {
      throw new InvalidArgumentError({
        message: `${caller}: duplicate tensor name ${JSON.stringify(entry.name)}`,
        argument: "model.entries",
        value: entry.name,
      });
    }
    seen.add(entry.name);
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    if (typeof value !== "string") {
      throw new InvalidArgumentError({
        message: `${caller}: metadata value for ${JSON.stringify(key)} must be a string, got ${typeof value}`,
        argument: "model.metadata",
        value,
      });
    }
    Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return writeContainer(metadata, model.entries.map(encodeEntry));
}

export interface DecodedMcz extends McModel {
  metadata: Record<string, string>;
}

/**
 * Parses and fully validates `.mcz` bytes (untrusted input → `FormatError`). Entries come back
 * in their stored encoding; `expandMczEntry` or `decodeMczTensors` give dense fp32, and
 * `toKernelPack` gives kernel-ready data without the dense detour.
 */
export function decodeMcz(bytes: Uint8Array): DecodedMcz {
  const caller = "decodeMcz";
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: bytes must be a Uint8Array`,
      argument: "bytes",
      value: bytes,
    });
  }
  const container = readContainer(bytes, caller);
  const names = new Set<string>();
  const entries = container.tensors.map(({ header, sections }, index) => {
    const entry = decodeEntry(header, sections, index, container.minorVersion);
    if (names.has(entry.name))
      throw new FormatError({ message: `${caller}: duplicate tensor name ${JSON.stringify(entry.name)}` });
    names.add(entry.name);
    return entry;
  });
  return { entries, metadata: container.metadata };
}

export interface ExpandOptions {
  /** Refuse to expand tensors with more elements than this (a tiny sparse file can describe a huge tensor). */
  maxElements?: number;
}

const expandDefaults = { maxElements: 2 ** 31 - 1 } as const;

/**
 * The dense fp32 value of one entry. Dense: the stored values; quantized: `(q - zeroPoint) *
 * scale` in fp32; sparse-shared: codebook values at the stored positions, +0 elsewhere;
 * low-rank: `left · right` accumulated in float64 over the rank, rounded once to fp32.
 */
export function expandMczEntry(entry: McEntry, options: ExpandOptions = {}): Tensor<Float32Array> {
  const { maxElements } = { ...expandDefaults, ...options };
  const shape =
    entry.encoding === "dense"
      ? entry.tensor.shape
      : entry.encoding === "quantized"
        ? entry.quantized.shape
        : entry.encoding === "sparse-shared"
          ? entry.sparse.shape
          : entry.shape;
  const count = elementCount(shape, "expandMczEntry");
  if (count > maxElements) {
    throw new InvalidArgumentError({
      message: `expandMczEntry: ${JSON.stringify(entry.name)} of shape ${formatShape(shape)} has ${count} elements, more than maxElements ${maxElements}`,
      argument: "options.maxElements",
      value: count,
    });
  }
  switch (entry.encoding) {
    case "dense":
      return { data: new Float32Array(entry.tensor.data), shape: [...entry.tensor.shape] };
    case "quantized":
      return dequantizeLike(entry.quantized, "expandMczEntry");
    case "sparse-shared":
      return sparseSharedToDense(entry.sparse);
    case "low-rank": {
      const [rows, rank] = entry.left.shape as [number, number];
      const columns = entry.right.shape[1] as number;
      const out = new Float32Array(rows * columns);
      const row = new Float64Array(columns);
      for (let i = 0; i < rows; i++) {
        row.fill(0);
        for (let r = 0; r < rank; r++) {
          const a = entry.left.data[i * rank + r] as number;
          const offset = r * columns;
          for (let j = 0; j < columns; j++) row[j] += a * (entry.right.data[offset + j] as number);
        }
        out.set(row, i * columns);
      }
      return { data: out, shape: [...entry.shape] };
    }
  }
}

/** Decodes `.mcz` bytes and expands every entry to a dense fp32 tensor, by name. */
export function decodeMczTensors(bytes: Uint8Array, options: ExpandOptions = {}): Map<string, Tensor<Float32Array>> {
  const { entries } = decodeMcz(bytes);
  return new Map(entries.map((entry) => [entry.name, expandMczEntry(entry, options)]));
}

export interface WriteMczOptions extends WriteTargetOptions {}

/** Writes a model to `path` atomically; refuses existing files unless `overwrite`, and never an input. */
export async function writeMcz(
  path: string,
  model: McModel,
  options: WriteMczOptions = {},
): Promise<{ path: string; byteLength: number }> {
  const bytes = encodeMcz(model);
  await assertWritableTarget("writeMcz", path, options);
  await withAtomicFile(path, (handle) => writeFully(handle, bytes, 0));
  return { path, byteLength: bytes.length };
}

/** Reads and validates a `.mcz` file. */
export async function readMcz(path: string): Promise<DecodedMcz> {
  const fs = await loadFs();
  return decodeMcz(new Uint8Array(await fs.readFile(path)));
}
