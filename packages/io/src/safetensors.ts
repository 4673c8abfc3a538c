import {
  FormatError,
  float32ToBfloat16Array,
  float32ToFloat16Array,
  formatShape,
  InvalidArgumentError,
} from "@mc/core";
import { assertWritableTarget, loadFs, type WriteTargetOptions, withAtomicFile, writeFully } from "./atomic-write";
import {
  parseSafetensorsHeader,
  readSafetensorsHeaderLength,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
  safetensorsDtypeSize,
  safetensorsDtypes,
} from "./safetensors-header";
import { alignedCopy, hostIsLittleEndian, littleEndianBytes } from "./typed-bytes";

/**
 * Raw element storage per dtype. F16 and BF16 stay as their 16-bit patterns (`Uint16Array`)
 * so nothing is rounded on the way through; `safetensorsToFloat32` widens them.
 */
export type SafetensorsData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

/** What the writers accept: `dtype` defaults from the array type; fp32 data may be written as F16/BF16. */
export interface SafetensorsInputTensor {
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: SafetensorsData;
}

export type NamedTensors<T> = Record<string, T> | Map<string, T> | ReadonlyArray<readonly [string, T]>;

const arrayTypes: Record<SafetensorsDtype, new (buffer: ArrayBuffer) => SafetensorsData> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
};

/** Builds the typed array for one entry from its data bytes (copied, so it is aligned). */
export function decodeSafetensorsData(
  entry: SafetensorsEntry,
  bytes: Uint8Array,
  caller: string,
  { owned = false }: { owned?: boolean } = {},
): SafetensorsTensor {
  const size = safetensorsDtypeSize[entry.dtype];
  // A buffer read just for this tensor is adopted as is (no second copy) when its bytes are already native.
  const adopt = owned && hostIsLittleEndian && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const data = new arrayTypes[entry.dtype](adopt ? (bytes.buffer as ArrayBuffer) : alignedCopy(bytes, size));
  if (entry.dtype === "BOOL") {
    for (let i = 0; i < data.length; i++) {
      if ((data[i] as number) > 1) {
        throw new FormatError({
          message: `${caller}: tensor ${JSON.stringify(entry.name)} is BOOL but element ${i} is ${data[i]}, not 0 or 1`,
        });
      }
    }
  }
  return { dtype: entry.dtype, shape: [...entry.shape], data };
}

export interface ReadSafetensorsResult {
  /** Tensors by name, in file data order. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
  header: SafetensorsHeader;
}

/** Parses a whole safetensors file held in memory. */
export function readSafetensors(bytes: Uint8Array): ReadSafetensorsResult {
  const caller = "readSafetensors";
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: bytes must be a Uint8Array`,
      argument: "bytes",
      value: bytes,
    });
  }
  const n = readSafetensorsHeaderLength(bytes, bytes.length, caller);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, caller);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of header.entries) {
    const [begin, end] = entry.dataOffsets;
    tensors.set(
      entry.name,
      decodeSafetensorsData(entry, bytes.subarray(header.dataStart + begin, header.dataStart + end), caller),
    );
  }
  return { tensors, metadata: header.metadata, header };
}

/** Reads a safetensors file fully into memory. For files larger than memory use `openSafetensors`. */
export async function readSafetensorsFile(path: string): Promise<ReadSafetensorsResult> {
  const fs = await loadFs();
  return readSafetensors(new Uint8Array(await fs.readFile(path)));
}

function defaultDtype(data: SafetensorsData): SafetensorsDtype | undefined {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Int8Array) return "I8";
  if (data instanceof Uint8Array) return "U8";
  if (data instanceof Int16Array) return "I16";
  if (data instanceof Uint16Array) return "U16";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Uint32Array) return "U32";
  if (data instanceof BigInt64Array) return "I64";
  if (data instanceof BigUint64Array) return "U64";
  return undefined;
}

const compatibleArrays: Record<SafetensorsDtype, ReadonlyArray<new (...args: never[]) => SafetensorsData>> = {
  BOOL: [Uint8Array],
  U8: [Uint8Array],
  I8: [Int8Array],
  I16: [Int16Array],
  U16: [Uint16Array],
  F16: [Uint16Array, Float32Array],
  BF16: [Uint16Array, Float32Array],
  I32: [Int32Array],
  U32: [Uint32Array],
  F32: [Float32Array],
  F64: [Float64Array],
  I64: [BigInt64Array],
  U64: [BigUint64Array],
};

export interface PreparedTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Little-endian data bytes. */
  bytes: Uint8Array;
}

export function toNamedList<T>(tensors: NamedTensors<T>, caller: string): Array<readonly [string, T]> {
  let list: Array<readonly [string, T]>;
  if (tensors instanceof Map) list = [...tensors.entries()];
  else if (Array.isArray(tensors)) list = [...(tensors as ReadonlyArray<readonly [string, T]>)];
  else if (typeof tensors === "object" && tensors !== null) list = Object.entries(tensors as Record<string, T>);
  else {
    throw new InvalidArgumentError({
      message: `${caller}: tensors must be a Record, a Map or an array of [name, tensor] pairs`,
      argument: "tensors",
      value: tensors,
    });
  }
  const seen = new Set<string>();
  for (const [name] of list) {
    if (typeof name !== "string") {
      throw new InvalidArgumentError({
        message: `${caller}: tensor names must be strings, got ${typeof name}`,
        argument: "tensors",
        value: name,
      });
    }
    if (seen.has(name)) {
      throw new InvalidArgumentError({
        message: `${caller}: duplicate tensor name ${JSON.stringify(name)}`,
        argument: "tensors",
        value: name,
      });
    }
    seen.add(name);
  }
  return list;
}

/** Checks one input tensor and returns its dtype, shape and little-endian bytes. */
export function prepareSafetensorsTensor(name: string, tensor: SafetensorsInputTensor, caller: string): PreparedTensor {
  const label = `tensor ${JSON.stringify(name)}`;
  if (name === "__metadata__") {
    throw new InvalidArgumentError({
      message: `${caller}: "__metadata__" is reserved and cannot name a tensor`,
      argument: "tensors",
      value: name,
    });
  }
  if (typeof tensor !== "object" || tensor === null || !ArrayBuffer.isView(tensor.data)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${label} must be { dtype?, shape, data: TypedArray }`,
      argument: "tensors",
      value: tensor,
    });
  }
  const dtype = tensor.dtype ?? defaultDtype(tensor.data);
  if (dtype === undefined || !Object.hasOwn(safetensorsDtypeSize, dtype)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${label} has unknown dtype ${JSON.stringify(dtype)}; known: ${safetensorsDtypes.join(", ")}`,
      argument: "tensors",
      value: dtype,
    });
  }
  if (!compatibleArrays[dtype].some((type) => tensor.data instanceof type)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${label} has dtype ${dtype} but its data is a ${tensor.data.constructor.name}`,
      argument: "tensors",
      value: dtype,
    });
  }
  if (!Array.isArray(tensor.shape)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${label} shape must be an array`,
      argument: "tensors",
      value: tensor.shape,
    });
  }
  let count = 1;
  for (let i = 0; i < tensor.shape.length; i++) {
    const d = tensor.shape[i] as number;
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgumentError({
        message: `${caller}: ${label} dimension ${i} of shape ${formatShape(tensor.shape)} is ${d}; dimensions must be non-negative integers`,
        argument: "tensors",
        value: tensor.shape,
      });
    }
    count *= d;
    if (!Number.isSafeInteger(count * safetensorsDtypeSize[dtype])) {
      throw new InvalidArgumentError({
        message: `${caller}: ${label} shape ${formatShape(tensor.shape)} overflows: its byte size exceeds 2^53`,
        argument: "tensors",
        value: tensor.shape,
      });
    }
  }
  if (tensor.data.length !== count) {
    throw new InvalidArgumentError({
      message: `${caller}: ${label} has ${tensor.data.length} elements but shape ${formatShape(tensor.shape)} needs ${count}`,
      argument: "tensors",
      value: tensor.shape,
    });
  }
  let data = tensor.data;
  if (data instanceof Float32Array && dtype === "F16") data = float32ToFloat16Array(alignedFloat32(data));
  else if (data instanceof Float32Array && dtype === "BF16") data = float32ToBfloat16Array(alignedFloat32(data));
  if (dtype === "BOOL") {
    const index = (data as Uint8Array).findIndex((v) => v > 1);
    if (index >= 0) {
      throw new InvalidArgumentError({
        message: `${caller}: ${label} is BOOL but element ${index} is ${data[index]}, not 0 or 1`,
        argument: "tensors",
        value: data[index],
      });
    }
  }
  return { name, dtype, shape: [...tensor.shape], bytes: littleEndianBytes(data) };
}

function alignedFloat32(data: Float32Array): Float32Array {
  return data.byteOffset % 4 === 0 ? data : new Float32Array(data);
}

/** Builds the header bytes (length prefix + JSON padded with spaces to a multiple of 8). */
export function buildSafetensorsHeader(
  specs: ReadonlyArray<{ name: string; dtype: SafetensorsDtype; shape: readonly number[]; byteLength: number }>,
  metadata: Record<string, string> | undefined,
  caller: string,
): Uint8Array {
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) {
    const clean: Record<string, string> = Object.create(null);
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new InvalidArgumentError({
          message: `${caller}: metadata value for ${JSON.stringify(key)} must be a string, got ${typeof value}`,
          argument: "options.metadata",
          value,
        });
      }
      clean[key] = value;
    }
    if (Object.keys(clean).length > 0) header.__metadata__ = clean;
  }
  let offset = 0;
  for (const spec of specs) {
    header[spec.name] = { dtype: spec.dtype, shape: spec.shape, data_offsets: [offset, offset + spec.byteLength] };
    offset += spec.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

export interface EncodeSafetensorsOptions {
  /** `__metadata__`: string keys to string values. */
  metadata?: Record<string, string>;
}

/** Serializes named tensors to safetensors bytes; data is laid out in the given order. */
export function encodeSafetensors(
  tensors: NamedTensors<SafetensorsInputTensor>,
  options: EncodeSafetensorsOptions = {},
): Uint8Array {
  const caller = "encodeSafetensors";
  const prepared = toNamedList(tensors, caller).map(([name, t]) => prepareSafetensorsTensor(name, t, caller));
  const header = buildSafetensorsHeader(
    prepared.map((p) => ({ ...p, byteLength: p.bytes.length })),
    options.metadata,
    caller,
  );
  let total = header.length;
  for (const p of prepared) total += p.bytes.length;
  const out = new Uint8Array(total);
  out.set(header, 0);
  let offset = header.length;
  for (const p of prepared) {
    out.set(p.bytes, offset);
    offset += p.bytes.length;
  }
  return out;
}

export interface WriteSafetensorsOptions extends EncodeSafetensorsOptions, WriteTargetOptions {}

/**
 * Writes named tensors to `path` atomically (temporary file, then rename). Refuses to replace
 * an existing file unless `overwrite`, and never replaces a file this process is reading.
 * Tensors are written one at a time, so no second copy of the whole model is built.
 */
export async function writeSafetensors(
  path: string,
  tensors: NamedTensors<SafetensorsInputTensor>,
  options: WriteSafetensorsOptions = {},
): Promise<{ path: string; byteLength: number }> {
  const caller = "writeSafetensors";
  const prepared = toNamedList(tensors, caller).map(([name, t]) => prepareSafetensorsTensor(name, t, caller));
  const header = buildSafetensorsHeader(
    prepared.map((p) => ({ ...p, byteLength: p.bytes.length })),
    options.metadata,
    caller,
  );
  await assertWritableTarget(caller, path, options);
  return withAtomicFile(path, async (handle) => {
    await writeFully(handle, header, 0);
    let offset = header.length;
    for (const p of prepared) {
      await writeFully(handle, p.bytes, offset);
      offset += p.bytes.length;
    }
    return { path, byteLength: offset };
  });
}
