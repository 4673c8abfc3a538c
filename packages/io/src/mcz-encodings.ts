import { packBits, unpackBits } from "@mc/cluster";
import {
  elementCount,
  FormatError,
  float16ToFloat32Array,
  float32ToFloat16Array,
  formatShape,
  InvalidArgumentError,
  type Tensor,
} from "@mc/core";
import { huffmanDecodeSymbols, huffmanEncodeSymbols, maxHuffmanAlphabet } from "./huffman";
import type { ContainerTensor } from "./mcz-container";
import {
  type McDenseEntry,
  type McEntry,
  type McFloatDtype,
  type McLowRankEntry,
  type McQuantizedEntry,
  type McSparseSharedEntry,
  mcEntropyCodings,
} from "./mcz-entries";
import { type QuantDtype, type QuantizedTensorLike, quantLayout, quantRanges } from "./quantized";
import { clusterIndexBits, type SparseSharedTensor, sparseSharedPositions } from "./sparse-shared";
import type { JsonObject, JsonValue } from "./strict-json";
import { float32FromLittleEndian, littleEndianBytes, uint16FromLittleEndian } from "./typed-bytes";

/** Per-encoding conversion between entries and (header params, sections). */

const encodeCaller = "encodeMcz";

function invalid(message: string, argument: string, value?: unknown): InvalidArgumentError {
  return new InvalidArgumentError({ message: `${encodeCaller}: ${message}`, argument, value });
}

function floatBytes(values: Float32Array, dtype: McFloatDtype): Uint8Array {
  const aligned = values.byteOffset % 4 === 0 ? values : new Float32Array(values);
  return dtype === "f32" ? littleEndianBytes(aligned) : littleEndianBytes(float32ToFloat16Array(aligned));
}

function checkFloatTensor(tensor: Tensor<Float32Array>, label: string, argument: string): number {
  if (
    typeof tensor !== "object" ||
    tensor === null ||
    !(tensor.data instanceof Float32Array) ||
    !Array.isArray(tensor.shape)
  ) {
    throw invalid(`${label} must be a Float32Array tensor { data, shape }`, argument, tensor);
  }
  const count = elementCount(tensor.shape, encodeCaller);
  if (tensor.data.length !== count) {
    throw invalid(
      `${label} has ${tensor.data.length} elements but shape ${formatShape(tensor.shape)} needs ${count}`,
      argument,
    );
  }
  return count;
}

function checkFloatDtype(dtype: unknown, label: string): McFloatDtype {
  if (dtype !== "f32" && dtype !== "f16")
    throw invalid(`${label} must be "f32" or "f16", got ${JSON.stringify(dtype)}`, "entries");
  return dtype;
}

function packQuantParams(zeroPoint: Int32Array, dtype: QuantDtype): Uint8Array {
  if (dtype === "int8" || dtype === "uint8") return Uint8Array.from(zeroPoint, (z) => z & 0xff);
  const out = new Uint8Array(Math.ceil(zeroPoint.length / 2));
  for (let i = 0; i < zeroPoint.length; i++) out[i >> 1] |= ((zeroPoint[i] as number) & 0x0f) << (i & 1 ? 4 : 0);
  return out;
}

function unpackQuantParams(bytes: Uint8Array, dtype: QuantDtype, count: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === "int8") out[i] = ((bytes[i] as number) << 24) >> 24;
    else if (dtype === "uint8") out[i] = bytes[i] as number;
    else {
      const nibble = ((bytes[i >> 1] as number) >> (i & 1 ? 4 : 0)) & 0x0f;
      out[i] = dtype === "int4" ? (nibble << 28) >> 28 : nibble;
    }
  }
  return out;
}

/** Turns one entry into its header object and sections. */
export function encodeEntry(entry: McEntry): ContainerTensor {
  const label = `entry ${JSON.stringify(entry.name)}`;
  const kind = entry.kind ?? "other";
  if (typeof kind !== "string") throw invalid(`${label} kind must be a string`, "entries", kind);
  const base = { name: entry.name, kind, encoding: entry.encoding };
  switch (entry.encoding) {
    case "dense": {
      const dtype = checkFloatDtype(entry.dtype ?? "f32", `${label} dtype`);
      checkFloatTensor(entry.tensor, `${label} tensor`, "entries");
      return {
        header: { ...base, shape: [...entry.tensor.shape], dtype },
        sections: [["values", floatBytes(entry.tensor.data, dtype)]],
      };
    }
    case "quantized": {
      const q = entry.quantized;
      if (typeof q !== "object" || q === null)
        throw invalid(`${label} quantized must be a QuantizedTensor`, "entries", q);
      const layout = quantLayout(q, encodeCaller, (message) => invalid(`${label}: ${message}`, "entries"));
      const header: JsonObject = { ...base, shape: [...q.shape], dtype: q.dtype, scheme: layout.scheme };
      if (layout.scheme !== "per-tensor") header.axis = q.axis ?? q.shape.length - 1;
      if (layout.scheme === "blockwise") header.blockSize = q.blockSize as number;
      const sections: Array<[string, Uint8Array]> = [
        ["data", new Uint8Array(q.data.buffer, q.data.byteOffset, q.data.length)],
        ["scale", littleEndianBytes(q.scale.byteOffset % 4 === 0 ? q.scale : new Float32Array(q.scale))],
      ];
      // Symmetric quantization (all zero points 0) stores no zero-point section.
      if (q.zeroPoint.some((z) => z !== 0)) sections.push(["zeroPoint", packQuantParams(q.zeroPoint, q.dtype)]);
      return { header, sections };
    }
    case "sparse-shared": {
      const s = entry.sparse;
      if (typeof s !== "object" || s === null)
        throw invalid(`${label} sparse must be a SparseSharedTensor`, "entries", s);
      const codebookDtype = checkFloatDtype(entry.codebookDtype ?? "f32", `${label} codebookDtype`);
      elementCount(s.shape, encodeCaller);
      if (!(s.codebook instanceof Float32Array) || s.codebook.length < 1 || s.codebook.length > maxHuffmanAlphabet) {
        throw invalid(`${label} codebook must be a Float32Array of 1..${maxHuffmanAlphabet} values`, "entries");
      }
      if (!Number.isSafeInteger(s.indexBits) || s.indexBits < 1 || s.indexBits > 16) {
        throw invalid(`${label} indexBits must be an integer in [1, 16], got ${s.indexBits}`, "entries", s.indexBits);
      }
      if (s.gaps.length !== s.codes.length) {
        throw invalid(
          `${label} has ${s.gaps.length} relative indices but ${s.codes.length} cluster indices`,
          "entries",
        );
      }
      try {
        sparseSharedPositions(s, encodeCaller);
      } catch (error) {
        throw invalid(`${label}: ${(error as Error).message}`, "entries");
      }
      const entropyCoding = entry.entropyCoding ?? "huffman";
      if (!mcEntropyCodings.includes(entropyCoding)) {
        throw invalid(
          `${label} entropyCoding must be one of ${mcEntropyCodings.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(entropyCoding)}`,
          "entries",
          entropyCoding,
        );
      }
      const header: JsonObject = {
        ...base,
        shape: [...s.shape],
        indexBits: s.indexBits,
        entryCount: s.gaps.length,
        codebookSize: s.codebook.length,
        codebookDtype,
      };
      const codebook: [string, Uint8Array] = ["codebook", floatBytes(s.codebook, codebookDtype)];
      if (entropyCoding === "none") {
        // Huffman is the default and is written by omission, so 1.0 files keep their bytes.
        return {
          header: { ...header, entropyCoding },
          sections: [
            codebook,
            ["indexStream", packBits(s.gaps, s.indexBits)],
            ["clusterStream", packBits(s.codes, clusterIndexBits(s.codebook.length))],
          ],
          minorVersion: 1,
        };
      }
      const gaps = huffmanEncodeSymbols(s.gaps, 2 ** s.indexBits);
      const codes = huffmanEncodeSymbols(s.codes, s.codebook.length);
      return {
        header,
        sections: [
          codebook,
          ["indexTable", gaps.table],
          ["indexStream", gaps.stream],
          ["clusterTable", codes.table],
          ["clusterStream", codes.stream],
        ],
      };
    }
    case "low-rank": {
      const factorDtype = checkFloatDtype(entry.factorDtype ?? "f32", `${label} factorDtype`);
      elementCount(entry.shape, encodeCaller);
      checkFloatTensor(entry.left, `${label} left`, "entries");
      checkFloatTensor(entry.right, `${label} right`, "entries");
      const rows = entry.shape.length === 0 ? 1 : (entry.shape[0] as number);
      const columns = entry.shape.slice(1).reduce((a, b) => a * b, 1);
      const rank = entry.left.shape[1];
      if (
        entry.left.shape.length !== 2 ||
        entry.right.shape.length !== 2 ||
        entry.left.shape[0] !== rows ||
        entry.right.shape[0] !== rank ||
        entry.right.shape[1] !== columns
      ) {
        throw invalid(
          `${label} factors ${formatShape(entry.left.shape)} · ${formatShape(entry.right.shape)} do not give shape ${formatShape(entry.shape)} (as [${rows}, ${columns}])`,
          "entries",
        );
      }
      return {
        header: { ...base, shape: [...entry.shape], rank: rank as number, factorDtype },
        sections: [
          ["left", floatBytes(entry.left.data, factorDtype)],
          ["right", floatBytes(entry.right.data, factorDtype)],
        ],
      };
    }
    default:
      throw invalid(
        `${label} has unknown encoding ${JSON.stringify((entry as { encoding: unknown }).encoding)}`,
        "entries",
      );
  }
}

// ---------------------------------------------------------------- decoding (untrusted)

const decodeCaller = "decodeMcz";

function bad(label: string, message: string): never {
  throw new FormatError({ message: `${decodeCaller}: ${label} ${message}` });
}

function expectKeys(header: JsonObject, keys: readonly string[], label: string): void {
  for (const key of Object.keys(header)) if (!keys.includes(key)) bad(label, `has an unknown field "${key}"`);
  for (const key of keys) if (!Object.hasOwn(header, key)) bad(label, `lacks the field "${key}"`);
}

function expectSections(sections: Map<string, Uint8Array>, roles: readonly string[], label: string): void {
  const got = [...sections.keys()];
  if (got.length !== roles.length || got.some((r, i) => r !== roles[i])) {
    bad(label, `has sections [${got.join(", ")}], expected [${roles.join(", ")}]`);
  }
}

function readShape(value: JsonValue | undefined, label: string): { shape: number[]; count: number } {
  if (!Array.isArray(value) || value.length > 16) bad(label, "shape must be an array of at most 16 dimensions");
  let count = 1;
  const shape = value.map((d, i) => {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
      bad(label, `shape dimension ${i} is ${JSON.stringify(d)}`);
    count *= d;
    if (!Number.isSafeInteger(count * 4)) bad(label, `shape ${formatShape(value as number[])} overflows`);
    return d;
  });
  return { shape, count };
}

function readFloats(bytes: Uint8Array, dtype: McFloatDtype, count: number, label: string, role: string): Float32Array {
  const size = dtype === "f32" ? 4 : 2;
  if (bytes.length !== count * size)
    bad(label, `section "${role}" has ${bytes.length} bytes, ${dtype} × ${count} needs ${count * size}`);
  return dtype === "f32" ? float32FromLittleEndian(bytes) : float16ToFloat32Array(uint16FromLittleEndian(bytes));
}

function readFloatDtype(value: JsonValue | undefined, label: string, field: string): McFloatDtype {
  if (value !== "f32" && value !== "f16") bad(label, `${field} must be "f32" or "f16", got ${JSON.stringify(value)}`);
  return value;
}

function readInteger(value: JsonValue | undefined, label: string, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    bad(label, `${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Unpacks `count` fixed-width values after checking the section is exactly as long as they need
 * (so the allocation is bounded by the file) and that the bits after the last value are zero.
 */
function readPacked(bytes: Uint8Array, bits: number, count: number, label: string, role: string): Uint16Array {
  const needed = Math.ceil((count * bits) / 8);
  if (bytes.length !== needed)
    bad(label, `section "${role}" has ${bytes.length} bytes, ${count} values of ${bits} bits need ${needed}`);
  const usedBits = (count * bits) % 8;
  if (usedBits !== 0 && (bytes[needed - 1] as number) >> usedBits !== 0)
    bad(label, `section "${role}" has nonzero padding bits after its last value`);
  return unpackBits(bytes, bits, count);
}

/** Rebuilds one entry from its validated header object and CRC-checked sections. */
export function decodeEntry(
  header: JsonObject,
  sections: Map<string, Uint8Array>,
  index: number,
  minorVersion: number,
): McEntry {
  const name = header.name;
  if (typeof name !== "string") bad(`tensor ${index}`, "has no string name");
  const label = `tensor ${JSON.stringify(name)}`;
  const kind = header.kind;
  if (typeof kind !== "string") bad(label, "kind must be a string");
  const encoding = header.encoding;
  const section = (role: string) => sections.get(role) as Uint8Array;
  switch (encoding) {
    case "dense": {
      expectKeys(header, ["name", "kind", "encoding", "shape", "dtype"], label);
      expectSections(sections, ["values"], label);
      const { shape, count } = readShape(header.shape, label);
      const dtype = readFloatDtype(header.dtype, label, "dtype");
      const entry: McDenseEntry = {
        name,
        kind,
        encoding,
        dtype,
        tensor: { data: readFloats(section("values"), dtype, count, label, "values"), shape },
      };
      return entry;
    }
    case "quantized": {
      const scheme = header.scheme;
      const keys = ["name", "kind", "encoding", "shape", "dtype", "scheme"];
      if (scheme === "per-channel") keys.push("axis");
      else if (scheme === "blockwise") keys.push("axis", "blockSize");
      else if (scheme !== "per-tensor") bad(label, `has unknown scheme ${JSON.stringify(scheme)}`);
      expectKeys(header, keys, label);
      const hasZeroPoint = sections.has("zeroPoint");
      expectSections(sections, hasZeroPoint ? ["data", "scale", "zeroPoint"] : ["data", "scale"], label);
      const { shape, count } = readShape(header.shape, label);
      const dtype = header.dtype;
      if (typeof dtype !== "string" || !Object.hasOwn(quantRanges, dtype))
        bad(label, `has unknown quantized dtype ${JSON.stringify(dtype)}`);
      const qdtype = dtype as QuantDtype;
      const axis =
        scheme === "per-tensor" ? undefined : readInteger(header.axis, label, "axis", 0, Math.max(0, shape.length - 1));
      const blockSize =
        scheme === "blockwise"
          ? readInteger(header.blockSize, label, "blockSize", 1, Number.MAX_SAFE_INTEGER)
          : undefined;
      if (axis !== undefined && axis >= shape.length)
        bad(label, `axis ${axis} is out of range for shape ${formatShape(shape)}`);
      const nibbles = qdtype === "int4" || qdtype === "uint4";
      const dataBytes = section("data");
      const expectedBytes = nibbles ? Math.ceil(count / 2) : count;
      if (dataBytes.length !== expectedBytes)
        bad(label, `section "data" has ${dataBytes.length} bytes, ${qdtype} × ${count} needs ${expectedBytes}`);
      if (nibbles && count % 2 === 1 && ((dataBytes[dataBytes.length - 1] as number) & 0xf0) !== 0) {
        bad(label, "has a nonzero unused high nibble in its last data byte");
      }
      const scaleBytes = section("scale");
      if (scaleBytes.length % 4 !== 0)
        bad(label, `section "scale" has ${scaleBytes.length} bytes, not a multiple of 4`);
      const scale = float32FromLittleEndian(scaleBytes);
      let zeroPoint: Int32Array;
      if (hasZeroPoint) {
        const zpBytes = section("zeroPoint");
        const needed = nibbles ? Math.ceil(scale.length / 2) : scale.length;
        if (zpBytes.length !== needed)
          bad(
            label,
            `section "zeroPoint" has ${zpBytes.length} bytes, ${scale.length} ${qdtype} zero points need ${needed}`,
          );
        if (nibbles && scale.length % 2 === 1 && ((zpBytes[zpBytes.length - 1] as number) & 0xf0) !== 0) {
          bad(label, "has a nonzero unused high nibble in its last zero-point byte");
        }
        zeroPoint = unpackQuantParams(zpBytes, qdtype, scale.length);
        if (zeroPoint.every((z) => z === 0))
          bad(label, 'stores a "zeroPoint" section of zeros, which the format omits');
      } else zeroPoint = new Int32Array(scale.length);
      const data = qdtype === "int8" ? new Int8Array(dataBytes.slice().buffer) : dataBytes.slice();
      const quantized: QuantizedTensorLike = { data, dtype: qdtype, shape, scale, zeroPoint };
      if (axis !== undefined) quantized.axis = axis;
      if (blockSize !== undefined) quantized.blockSize = blockSize;
      quantLayout(quantized, decodeCaller, (message) => new FormatError({ message: `${message} (${label})` }));
      const entry: McQuantizedEntry = { name, kind, encoding, quantized };
      return entry;
    }
    case "sparse-shared": {
      const keys = ["name", "kind", "encoding", "shape", "indexBits", "entryCount", "codebookSize", "codebookDtype"];
      const packed = Object.hasOwn(header, "entropyCoding");
      if (packed) {
        keys.push("entropyCoding");
        // Only the non-default value is ever written: one byte sequence per model.
        if (header.entropyCoding !== "none")
          bad(label, `entropyCoding must be "none" when present, got ${JSON.stringify(header.entropyCoding)}`);
        if (minorVersion < 1)
          bad(label, `uses entropyCoding, which format version 1.1 introduced, but the file says 1.${minorVersion}`);
      }
      expectKeys(header, keys, label);
      expectSections(
        sections,
        packed
          ? ["codebook", "indexStream", "clusterStream"]
          : ["codebook", "indexTable", "indexStream", "clusterTable", "clusterStream"],
        label,
      );
      const { shape } = readShape(header.shape, label);
      const indexBits = readInteger(header.indexBits, label, "indexBits", 1, 16);
      const codebookSize = readInteger(header.codebookSize, label, "codebookSize", 1, maxHuffmanAlphabet);
      const codebookDtype = readFloatDtype(header.codebookDtype, label, "codebookDtype");
      // Every entry takes at least one bit of each stream (indexBits when packed), which bounds the
      // allocation by the file size.
      const maxEntries = Math.floor((section("indexStream").length * 8) / (packed ? indexBits : 1));
      const entryCount = readInteger(header.entryCount, label, "entryCount", 0, maxEntries);
      const codebook = readFloats(section("codebook"), codebookDtype, codebookSize, label, "codebook");
      if (packed) {
        const gaps = readPacked(section("indexStream"), indexBits, entryCount, label, "indexStream");
        const codeBits = clusterIndexBits(codebookSize);
        const codes = readPacked(section("clusterStream"), codeBits, entryCount, label, "clusterStream");
        const sparse: SparseSharedTensor = {
          shape,
          codebook,
          indexBits,
          gaps,
          codes: codebookSize <= 256 ? Uint8Array.from(codes) : codes,
        };
        // Positions inside the tensor, cluster indices inside the codebook (a 5-entry codebook packs in 3 bits).
        sparseSharedPositions(sparse, `${decodeCaller}: ${label}`);
        const entry: McSparseSharedEntry = { name, kind, encoding, sparse, codebookDtype, entropyCoding: "none" };
        return entry;
      }
      if (section("indexTable").length !== 4 + 2 ** indexBits)
        bad(label, `index table must have ${2 ** indexBits} symbols for ${indexBits}-bit relative indices`);
      if (section("clusterTable").length !== 4 + codebookSize)
        bad(label, `cluster table must have ${codebookSize} symbols`);
      const gapSymbols = huffmanDecodeSymbols(
        section("indexTable"),
        section("indexStream"),
        entryCount,
        `${decodeCaller}: ${label} relative indices`,
      );
      const codeSymbols = huffmanDecodeSymbols(
        section("clusterTable"),
        section("clusterStream"),
        entryCount,
        `${decodeCaller}: ${label} cluster indices`,
      );
      const sparse: SparseSharedTensor = {
        shape,
        codebook,
        indexBits,
        gaps: gapSymbols,
        codes: codebookSize <= 256 ? Uint8Array.from(codeSymbols) : Uint16Array.from(codeSymbols),
      };
      sparseSharedPositions(sparse, `${decodeCaller}: ${label}`);
      const entry: McSparseSharedEntry = { name, kind, encoding, sparse, codebookDtype, entropyCoding: "huffman" };
      return entry;
    }
    case "low-rank": {
      expectKeys(header, ["name", "kind", "encoding", "shape", "rank", "factorDtype"], label);
      expectSections(sections, ["left", "right"], label);
      const { shape } = readShape(header.shape, label);
      const factorDtype = readFloatDtype(header.factorDtype, label, "factorDtype");
      const rank = readInteger(header.rank, label, "rank", 0, Number.MAX_SAFE_INTEGER);
      const rows = shape.length === 0 ? 1 : (shape[0] as number);
      const columns = shape.slice(1).reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(rows * rank * 4) || !Number.isSafeInteger(rank * columns * 4))
        bad(label, `rank ${rank} overflows`);
      const left = readFloats(section("left"), factorDtype, rows * rank, label, "left");
      const right = readFloats(section("right"), factorDtype, rank * columns, label, "right");
      const entry: McLowRankEntry = {
        name,
        kind,
        encoding,
        shape,
        factorDtype,
        left: { data: left, shape: [rows, rank] },
        right: { data: right, shape: [rank, columns] },
      };
      return entry;
    }
    default:
      return bad(label, `has unknown encoding ${JSON.stringify(encoding)}`);
  }
}
