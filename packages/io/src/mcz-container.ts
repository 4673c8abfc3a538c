import { FormatError } from "@mc/core";
import { crc32 } from "./crc32";
import { isJsonObject, type JsonObject, type JsonValue, parseStrictJson } from "./strict-json";

/**
 * The `.mcz` framing (docs/mcz-format.md): a fixed 20-byte preamble, a JSON header, zero
 * padding to 8 bytes, then the sections, each 8-byte aligned, zero padded, with a CRC-32.
 *
 *   0  8  magic 89 4D 43 5A 0D 0A 1A 0A ("\x89MCZ\r\n\x1a\n")
 *   8  2  major version (u16 LE) = 1
 *  10  2  minor version (u16 LE): 0, or 1 when a 1.1 feature is used
 *  12  4  header length H (u32 LE)
 *  16  4  CRC-32 of bytes 8..15 followed by the H header bytes (u32 LE)
 *  20  H  header: UTF-8 JSON
 */

export const mczMagic = new Uint8Array([0x89, 0x4d, 0x43, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a]);
export const mczMajorVersion = 1;
/**
 * The newest minor version this implementation reads and writes. A file records the lowest minor
 * version that defines everything in it (1.1 added packed sparse-shared indices), so files
 * without 1.1 features stay byte-identical to 1.0 files.
 */
export const mczMinorVersion = 1;
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
  /** The lowest format minor version that defines this tensor's header (default 0). */
  minorVersion?: number;
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
  const minor = tensors.reduce((version, tensor) => Math.max(version, tensor.minorVersion ?? 0), 0);
  const json = new TextEncoder().encode(JSON.stringify({ metadata, tensors: headerTensors }));
  const dataStart = align8(mczPreambleBytes + json.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(mczMagic, 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, mczMajorVersion, true);
  view.setUint16(10, minor, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, crc32(json, crc32(out.subarray(8, 16))), true);
  out.set(json, mczPreambleBytes);
  for (const [at, bytes] of placed) out.set(bytes, dataStart + at);
  return out;
}

export interface ContainerLayout {
  metadata: Record<string, string>;
  /** Tensor header objects (without `sections`) and their section records, in file order. */
  tensors: Array<{ header: JsonObject; records: Map<string, SectionRecord> }>;
  headerLength: number;
  dataStart: number;
  minorVersion: number;
}

export interface ParsedContainer extends ContainerLayout {
  tensors: Array<{ header: JsonObject; sections: Map<string, Uint8Array>; records: Map<string, SectionRecord> }>;
}

function fail(caller: string, message: string, offset?: number): never {
  throw new FormatError({ message: `${caller}: ${message}`, offset });
}

/** Reads the header length from the 20-byte preamble (checking magic, version and bounds). */
export function readPreamble(preamble: Uint8Array, fileSize: number, caller: string): number {
  if (fileSize < mczPreambleBytes || preamble.length < mczPreambleBytes) {
    fail(caller, `file has ${fileSize} bytes, fewer than the ${mczPreambleBytes}-byte preamble`, 0);
  }
  for (let i = 0; i < mczMagic.length; i++) {
    if (preamble[i] !== mczMagic[i]) fail(caller, "bad magic: not an .mcz file", i);
  }
  const view = new DataView(preamble.buffer, preamble.byteOffset, mczPreambleBytes);
  const major = view.getUint16(8, true);
  if (major !== mczMajorVersion) {
    fail(caller, `unsupported major version ${major} (this reader knows ${mczMajorVersion})`, 8);
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength > maxMczHeaderBytes) fail(caller, `header length ${headerLength} exceeds ${maxMczHeaderBytes}`, 12);
  if (mczPreambleBytes + headerLength > fileSize) {
    fail(caller, `header length ${headerLength} runs past the end of the ${fileSize}-byte file`, 12);
  }
  return headerLength;
}

/**
 * Validates everything up to the data start: `prefix` holds the first
 * `min(fileSize, align8(20 + H))` bytes. Checks magic, version, the header CRC, the JSON shape,
 * the header padding, and that the section records tile the data area exactly (each at the
 * next 8-byte boundary, the file ending after the last one). Section contents are not read.
 */
export function readContainerLayout(prefix: Uint8Array, fileSize: number, caller: string): ContainerLayout {
  const headerLength = readPreamble(prefix, fileSize, caller);
  const view = new DataView(prefix.buffer, prefix.byteOffset, mczPreambleBytes);
  const minor = view.getUint16(10, true);
  const headerBytes = prefix.subarray(mczPreambleBytes, mczPreambleBytes + headerLength);
  const expectedCrc = view.getUint32(16, true);
  // The checksum also covers the version and length fields, so no preamble bit can change unnoticed.
  const actualCrc = crc32(headerBytes, crc32(prefix.subarray(8, 16)));
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
  for (let i = mczPreambleBytes + headerLength; i < Math.min(dataStart, fileSize); i++) {
    if (prefix[i] !== 0) fail(caller, `header padding byte at ${i} is ${prefix[i]}, not 0`, i);
  }
  const dataLength = fileSize - dataStart;
  let expected = 0;
  const tensors: ContainerLayout["tensors"] = [];
  for (let t = 0; t < tensorList.length; t++) {
    const header = tensorList[t] as JsonValue;
    if (!isJsonObject(header)) fail(caller, `tensor ${t} must be an object`);
    const label = typeof header.name === "string" ? `tensor ${JSON.stringify(header.name)}` : `tensor ${t}`;
    const sectionsValue = header.sections;
    if (!isJsonObject(sectionsValue)) fail(caller, `${label} "sections" must be an object`);
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
        fail(
          caller,
          `${label} section "${role}" starts at ${offset}; the previous section ends at ${expected}, so it must start at ${aligned}`,
        );
      }
      if (offset > dataLength || length > dataLength - offset) {
        fail(
          caller,
          `${label} section "${role}" [${offset}, +${length}] runs past the ${dataLength}-byte data area`,
          dataStart + offset,
        );
      }
      records.set(role, { offset, length, crc32: crc });
      expected = offset + length;
    }
    const { sections: _dropped, ...rest } = header;
    tensors.push({ header: rest as JsonObject, records });
  }
  if (dataStart + expected !== fileSize) {
    fail(
      caller,
      dataStart + expected > fileSize
        ? `file is truncated: ${fileSize} bytes, the header describes ${dataStart + expected}`
        : `file has ${fileSize - dataStart - expected} bytes after its last section`,
    );
  }
  return { metadata, tensors, headerLength, dataStart, minorVersion: minor };
}

/**
 * Checks one tensor's sections inside `region`, the data-area bytes from `regionStart` (the
 * end of the previous tensor's last section) through its own last section: zero padding and
 * CRC-32s. Returns role → section bytes (views into `region`).
 */
export function checkTensorSections(
  region: Uint8Array,
  regionStart: number,
  records: Map<string, SectionRecord>,
  label: string,
  dataStart: number,
  caller: string,
): Map<string, Uint8Array> {
  const sections = new Map<string, Uint8Array>();
  let expected = regionStart;
  for (const [role, { offset, length, crc32: crc }] of records) {
    for (let i = expected; i < offset; i++) {
      if (region[i - regionStart] !== 0) {
        fail(caller, `padding byte at ${dataStart + i} is ${region[i - regionStart]}, not 0`, dataStart + i);
      }
    }
    const section = region.subarray(offset - regionStart, offset - regionStart + length);
    const actual = crc32(section);
    if (actual !== crc) {
      fail(
        caller,
        `${label} section "${role}" CRC-32 is ${hex(actual)} but the header records ${hex(crc)}`,
        dataStart + offset,
      );
    }
    sections.set(role, section);
    expected = offset + length;
  }
  return sections;
}

/** Byte range [start, end) of the data area a tensor's sections (and the padding before them) occupy. */
export function tensorRegion(records: Map<string, SectionRecord>, previousEnd: number): [number, number] {
  let end = previousEnd;
  for (const { offset, length } of records.values()) end = offset + length;
  return [previousEnd, end];
}

/** Validates a whole in-memory file: layout, padding and every CRC. Any single changed bit fails here. */
export function readContainer(bytes: Uint8Array, caller: string): ParsedContainer {
  const layout = readContainerLayout(bytes, bytes.length, caller);
  const data = bytes.subarray(Math.min(layout.dataStart, bytes.length));
  let previousEnd = 0;
  const tensors = layout.tensors.map(({ header, records }, t) => {
    const label = typeof header.name === "string" ? `tensor ${JSON.stringify(header.name)}` : `tensor ${t}`;
    const [start, end] = tensorRegion(records, previousEnd);
    const sections = checkTensorSections(data.subarray(start, end), start, records, label, layout.dataStart, caller);
    previousEnd = end;
    return { header, sections, records };
  });
  return { ...layout, tensors };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
