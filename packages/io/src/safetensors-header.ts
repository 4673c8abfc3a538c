import { FormatError, formatShape } from "@mc/core";
import { isJsonObject, type JsonValue, parseStrictJson } from "./strict-json";

/**
 * The safetensors layout (huggingface/safetensors): 8 bytes little-endian u64 header length
 * N, N bytes of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__":
 * { str: str } }`, then the data section, which the offsets index from its first byte.
 * Everything here treats the bytes as hostile.
 */

export type SafetensorsDtype =
  | "BOOL"
  | "U8"
  | "I8"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "F64"
  | "I64"
  | "U64";

export const safetensorsDtypeSize: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

export const safetensorsDtypes = Object.keys(safetensorsDtypeSize) as SafetensorsDtype[];

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range within the data section, `[begin, end)`. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Entries in data order (sorted by offset). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** N, the JSON header's byte length. */
  headerLength: number;
  /** File offset of the data section: 8 + N. */
  dataStart: number;
}

/** Largest header accepted; the reference implementation uses the same 100 MB bound. */
export const maxSafetensorsHeaderBytes = 100_000_000;

const metadataKey = "__metadata__";

/** Reads N from the first 8 bytes and checks it against the file size and the bound. */
export function readSafetensorsHeaderLength(prefix: Uint8Array, fileSize: number, caller: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new FormatError({
      message: `${caller}: file has ${fileSize} bytes; a safetensors file needs at least the 8-byte header length`,
      offset: 0,
    });
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(maxSafetensorsHeaderBytes)) {
    throw new FormatError({
      message: `${caller}: header length ${length} exceeds the limit of ${maxSafetensorsHeaderBytes} bytes`,
      offset: 0,
    });
  }
  const n = Number(length);
  if (n > fileSize - 8) {
    throw new FormatError({
      message: `${caller}: header length ${n} runs past the end of the ${fileSize}-byte file`,
      offset: 0,
    });
  }
  if (n < 2) {
    throw new FormatError({ message: `${caller}: header length ${n} is too short for a JSON object`, offset: 0 });
  }
  return n;
}

function fail(caller: string, message: string, offset = 8): never {
  throw new FormatError({ message: `${caller}: ${message}`, offset });
}

function checkSafeCount(value: JsonValue, caller: string, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(caller, `${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Parses and validates the JSON header. `headerBytes` are the N bytes after the length;
 * `dataLength` is the byte length of the data section (file size − 8 − N).
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  caller = "parseSafetensorsHeader",
): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (cause) {
    throw new FormatError({ message: `${caller}: header is not valid UTF-8`, offset: 8, cause });
  }
  const root = parseStrictJson(text, { caller, maxDepth: 8 });
  if (!isJsonObject(root)) fail(caller, "header must be a JSON object");

  const metadata: Record<string, string> = Object.create(null);
  const entries: SafetensorsEntry[] = [];
  for (const name of Object.keys(root)) {
    const value = root[name] as JsonValue;
    if (name === metadataKey) {
      if (!isJsonObject(value)) fail(caller, `"${metadataKey}" must be an object of strings`);
      for (const key of Object.keys(value)) {
        const item = value[key];
        if (typeof item !== "string") {
          fail(
            caller,
            `"${metadataKey}" value for ${JSON.stringify(key)} must be a string, got ${JSON.stringify(item)}`,
          );
        }
        metadata[key] = item;
      }
      continue;
    }
    const label = `tensor ${JSON.stringify(name)}`;
    if (!isJsonObject(value)) fail(caller, `${label} must be an object { dtype, shape, data_offsets }`);
    for (const key of Object.keys(value)) {
      if (key !== "dtype" && key !== "shape" && key !== "data_offsets")
        fail(caller, `${label} has an unknown field "${key}"`);
    }
    const dtype = value.dtype;
    if (typeof dtype !== "string" || !Object.hasOwn(safetensorsDtypeSize, dtype)) {
      fail(caller, `${label} has unknown dtype ${JSON.stringify(dtype)}; known: ${safetensorsDtypes.join(", ")}`);
    }
    const rawShape = value.shape;
    if (!Array.isArray(rawShape)) fail(caller, `${label} shape must be an array, got ${JSON.stringify(rawShape)}`);
    const shape = rawShape.map((d, i) => checkSafeCount(d, caller, `${label} shape dimension ${i}`));
    const size = safetensorsDtypeSize[dtype as SafetensorsDtype];
    let count = 1;
    for (const d of shape) {
      count *= d;
      if (!Number.isSafeInteger(count * size)) {
        fail(caller, `${label} shape ${formatShape(shape)} overflows: its byte size exceeds 2^53`);
      }
    }
    const offsets = value.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      fail(caller, `${label} data_offsets must be [begin, end], got ${JSON.stringify(offsets)}`);
    }
    const begin = checkSafeCount(offsets[0] as JsonValue, caller, `${label} data_offsets[0]`);
    const end = checkSafeCount(offsets[1] as JsonValue, caller, `${label} data_offsets[1]`);
    if (end < begin) fail(caller, `${label} data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) {
      fail(caller, `${label} data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section`);
    }
    if (end - begin !== count * size) {
      fail(
        caller,
        `${label} data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} shape ${formatShape(shape)} needs ${count * size}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape, dataOffsets: [begin, end] });
  }

  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let expected = 0;
  for (const entry of entries) {
    const [begin, end] = entry.dataOffsets;
    if (begin !== expected) {
      fail(
        caller,
        begin < expected
          ? `tensor ${JSON.stringify(entry.name)} data_offsets [${begin}, ${end}] overlap the previous tensor, which ends at ${expected}`
          : `tensor ${JSON.stringify(entry.name)} data_offsets [${begin}, ${end}] leave a gap after byte ${expected}`,
      );
    }
    expected = end;
  }
  if (expected !== dataLength) {
    fail(caller, `tensors cover ${expected} bytes but the data section has ${dataLength}`);
  }
  return { entries, metadata, headerLength: headerBytes.length, dataStart: 8 + headerBytes.length };
}
