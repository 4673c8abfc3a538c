import { FormatError } from "@mc/core";
import { crc32 } from "./crc32";
import { isJsonObject, type JsonObject, type JsonValue, parseStrictJson } from "./strict-json";

/**
 * The `.mcz` framing (docs/mcz-format.md): a fixed 20-byte preamble, a JSON header, zero
 * padding to 8 bytes, then the sections, each 8-byte aligned, zero padded, with a CRC-32.
 *
 *   0  8  magic 89 4D 43 5A 0D 0A 1A 0A ("\x89MCZ\r\n\x1a\n")
 *   8  2  major version (u16 LE) = 1
 *  10  2  minor version (u16 LE) = 0
 *  12  4  header length H (u32 LE)
 *  16  4  CRC-32 of bytes 8..15 followed by the H header bytes (u32 LE)
 *  20  H  header: UTF-8 JSON
 */

export const mczMagic = new Uint8Array([0x89, 0x4d, 0x43, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a]);
export const mczMajorVersion = 1;
export const mczMinorVersion = 0;
export const mczPreambleBytes = 20;
/** Largest accepted JSON header. */
export const maxMczHeaderBytes = 64 * 1024 * 1024;

export const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** One section as written: its bytes, and where they land relative to the data start. */
export interface SectionRecord {
  offset: number;
  length: number;
  crc32: number;
}

export interface ContainerTensor {
  /** The tensor's header object without `sections`. */
  header: JsonObject;
  /** Sections in file order: role → bytes. */
  sections: Array<[string, Uint8Array]>;
}

/** Lays out and serializes a container: header JSON with section records, then the sections. */
export function writeContainer(metadata: Record<string, string>, tensors: readonly ContainerTensor[]): Uint8Array {
  let offset = 0;
  const headerTensors: JsonValue[] = [];
  const placed: Array<[number, Uint8Array]> = [];
  for (const tensor of tensors) {
    const sections: JsonObject = {};
    for (const [role, bytes] of tensor.sections) {
      offset = align8(offset);
      sections[role] = [offset, bytes.length, crc32(bytes)];
      placed.push([offset, bytes]);
      offset += bytes.length;
    }
    headerTensors.push({ ...tensor.header, sections });
  }
  const json = new TextEncoder().encode(JSON.stringify({ metadata, tensors: headerTensors }));
  const dataStart = align8(mczPreambleBytes + json.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(mczMagic, 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, mczMajorVersion, true);
  view.setUint16(10, mczMinorVersion, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, crc32(json, crc32(out.subarray(8, 16))), true);
  out.set(json, mczPreambleBytes);
  for (const [at, bytes] of placed) out.set(bytes, dataStart + at);
  return out;
}

export interface ParsedContainer {
  metadata: Record<string, string>;
  /** Tensor header objects (validated `sections` removed into `sections`). */
  tensors: Array<{ header: JsonObject; sections: Map<string, Uint8Array>; records: Map<string, SectionRecord> }>;
  headerLength: number;
  dataStart: number;
  minorVersion: number;
}

function fail(caller: string, message: string, offset?: number): never {
  throw new FormatError({ message: `${caller}: ${message}`, offset });
}

/**
 * Checks magic, version, header CRC, the JSON shape, and that the sections tile the data
 * area exactly (each at the next 8-byte boundary, zero padding, the file ending after the
 * last one), with every section's CRC-32 matching. Any single changed bit fails here.
 */
export function readContainer(bytes: Uint8Array, caller: string): ParsedContainer {
  if (bytes.length < mczPreambleBytes) fail(caller, `file has ${bytes.length} bytes, fewer than the ${mczPreambleBytes}-byte preamble`, 0);
  for (let i = 0; i < mczMagic.length; i++) {
    if (bytes[i] !== mczMagic[i]) fail(caller, "bad magic: not an .mcz file", i);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = view.getUint16(8, true);
  const minor = view.getUint16(10, true);
  if (major !== mczMajorVersion) fail(caller, `unsupported major version ${major} (this reader knows ${mczMajorVersion})`, 8);
  const headerLength = view.getUint32(12, true);
  if (headerLength > maxMczHeaderBytes) fail(caller, `header length ${headerLength} exceeds ${maxMczHeaderBytes}`, 12);
  if (mczPreambleBytes + headerLength > bytes.length) {
    fail(caller, `header length ${headerLength} runs past the end of the ${bytes.length}-byte file`, 12);
  }
  const headerBytes = bytes.subarray(mczPreambleBytes, mczPreambleBytes + headerLength);
  const expectedCrc = view.getUint32(16, true);
  // The checksum also covers the version and length fields, so no preamble bit can change unnoticed.
  const actualCrc = crc32(headerBytes, crc32(bytes.subarray(8, 16)));
  if (expectedCrc !== actualCrc) {
    fail(caller, `header CRC-32 is ${hex(actualCrc)} but the file records ${hex(expectedCrc)}`, 16);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (cause) {
    throw new FormatError({ message: `${caller}: header is not valid UTF-8`, offset: mczPreambleBytes, cause });
  }
  const root = parseStrictJson(text, { caller, maxDepth: 8 });
  if (!isJsonObject(root)) fail(caller, "header must be a JSON object");
  const metadataValue = root.metadata;
  if (!isJsonObject(metadataValue)) fail(caller, 'header "metadata" must be an object of strings');
  const metadata: Record<string, string> = Object.create(null);
  for (const key of Object.keys(metadataValue)) {
    const value = metadataValue[key];
    if (typeof value !== "string") fail(caller, `metadata value for ${JSON.stringify(key)} must be a string`);
    metadata[key] = value;
  }
  const tensorList = root.tensors;
  if (!Array.isArray(tensorList)) fail(caller, 'header "tensors" must be an array');

  const dataStart = align8(mczPreambleBytes + headerLength);
  for (let i = mczPreambleBytes + headerLength; i < Math.min(dataStart, bytes.length); i++) {
    if (bytes[i] !== 0) fail(caller, `header padding byte at ${i} is ${bytes[i]}, not 0`, i);
  }
  const dataLength = bytes.length - dataStart;
  let expected = 0;
  const tensors: ParsedContainer["tensors"] = [];
  for (let t = 0; t < tensorList.length; t++) {
    const header = tensorList[t] as JsonValue;
    if (!isJsonObject(header)) fail(caller, `tensor ${t} must be an object`);
    const label = typeof header.name === "string" ? `tensor ${JSON.stringify(header.name)}` : `tensor ${t}`;
    const sectionsValue = header.sections;
    if (!isJsonObject(sectionsValue)) fail(caller, `${label} "sections" must be an object`);
    const sections = new Map<string, Uint8Array>();
    const records = new Map<string, SectionRecord>();
    for (const role of Object.keys(sectionsValue)) {
      const record = sectionsValue[role] as JsonValue;
      if (
        !Array.isArray(record) ||
        record.length !== 3 ||
        !record.every((v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0)
      ) {
        fail(caller, `${label} section "${role}" must be [offset, length, crc32] of non-negative integers`);
      }
      const [offset, length, crc] = record as [number, number, number];
      const aligned = align8(expected);
      if (offset !== aligned) {
        fail(caller, `${label} section "${role}" starts at ${offset}; the previous section ends at ${expected}, so it must start at ${aligned}`);
      }
      if (offset > dataLength || length > dataLength - offset) {
        fail(caller, `${label} section "${role}" [${offset}, +${length}] runs past the ${dataLength}-byte data area`, dataStart + offset);
      }
      for (let i = dataStart + expected; i < dataStart + offset; i++) {
        if (bytes[i] !== 0) fail(caller, `padding byte at ${i} is ${bytes[i]}, not 0`, i);
      }
      const section = bytes.subarray(dataStart + offset, dataStart + offset + length);
      const actual = crc32(section);
      if (actual !== crc) {
        fail(caller, `${label} section "${role}" CRC-32 is ${hex(actual)} but the header records ${hex(crc)}`, dataStart + offset);
      }
      sections.set(role, section);
      records.set(role, { offset, length, crc32: crc });
      expected = offset + length;
    }
    const { sections: _dropped, ...rest } = header;
    tensors.push({ header: rest as JsonObject, sections, records });
  }
  if (dataStart + expected !== bytes.length) {
    fail(
      caller,
      dataStart + expected > bytes.length
        ? `file is truncated: ${bytes.length} bytes, the header describes ${dataStart + expected}`
        : `file has ${bytes.length - dataStart - expected} bytes after its last section`,
    );
  }
  return { metadata, tensors, headerLength, dataStart, minorVersion: minor };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
