import { open, readFile } from "node:fs/promises";
import { extname } from "node:path";
import {
  decodeMcz,
  expandMczEntry,
  formatSizeBreakdown,
  type McEntry,
  mczMagic,
  mczSizeBreakdown,
  openSafetensors,
  safetensorsToFloat32,
} from "@mc/io";
import { inspectOnnx, readOnnxFile } from "@mc/onnx";

export type FileFormat = "mcz" | "safetensors" | "onnx";

/** By magic bytes first (.mcz has one, safetensors a length-prefixed JSON header), then by extension. */
export async function detectFormat(path: string): Promise<FileFormat | undefined> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    if (bytesRead >= mczMagic.length && mczMagic.every((b, i) => head[i] === b)) return "mcz";
    if (bytesRead >= 9) {
      const headerLength = new DataView(head.buffer).getBigUint64(0, true);
      if (headerLength > 1n && headerLength <= BigInt(size - 8) && head[8] === 0x7b) return "safetensors";
    }
    const extension = extname(path).toLowerCase();
    if (extension === ".onnx") return "onnx";
    if (extension === ".mcz" || extension === ".safetensors") return undefined;
    // ONNX is a bare protobuf: a ModelProto starts with field 1 (ir_version, varint) → 0x08.
    if (head[0] === 0x08) return "onnx";
    return undefined;
  } finally {
    await handle.close();
  }
}

export interface InspectedLayer {
  name: string;
  dtype: string;
  encoding?: string;
  shape: number[];
  bytes: number;
  /** Fraction of exact zeros. */
  sparsity: number;
  bits?: number;
  /** sparse-shared: Huffman-coded or bit-packed indices. */
  entropyCoding?: string;
}

function zeroFraction(data: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return data.length === 0 ? 0 : zeros / data.length;
}

export async function inspectSafetensors(path: string) {
  const file = await openSafetensors(path);
  const layers: InspectedLayer[] = [];
  try {
    // One tensor in memory at a time.
    for await (const { name, entry, tensor } of file) {
      layers.push({
        name,
        dtype: entry.dtype,
        shape: [...entry.shape],
        bytes: entry.dataOffsets[1] - entry.dataOffsets[0],
        sparsity: zeroFraction(safetensorsToFloat32(tensor).data),
      });
    }
  } finally {
    await file.close();
  }
  const parameters = layers.reduce((sum, l) => sum + l.shape.reduce((a, b) => a * b, 1), 0);
  return {
    format: "safetensors" as const,
    path,
    fileBytes: file.fileSize,
    metadata: file.metadata,
    parameters,
    layers,
  };
}

function storedBits(entry: McEntry): { dtype: string; bits: number; entropyCoding?: string } {
  switch (entry.encoding) {
    case "dense":
      return { dtype: entry.dtype ?? "f32", bits: entry.dtype === "f16" ? 16 : 32 };
    case "quantized":
      return { dtype: entry.quantized.dtype, bits: entry.quantized.dtype.endsWith("4") ? 4 : 8 };
    case "sparse-shared": {
      const entropyCoding = entry.entropyCoding ?? "huffman";
      return {
        dtype: `codebook ${entry.sparse.codebook.length} × ${entry.codebookDtype ?? "f32"}${entropyCoding === "none" ? ", packed" : ""}`,
        bits: Math.max(1, Math.ceil(Math.log2(entry.sparse.codebook.length))),
        entropyCoding,
      };
    }
    case "low-rank":
      return { dtype: entry.factorDtype ?? "f32", bits: entry.factorDtype === "f16" ? 16 : 32 };
  }
}

function sparsityOf(entry: McEntry): number {
  if (entry.encoding === "sparse-shared") {
    const { sparse } = entry;
    const count = sparse.shape.reduce((a, b) => a * b, 1);
    let nonzero = 0;
    for (let i = 0; i < sparse.codes.length; i++) if (sparse.codebook[sparse.codes[i] as number] !== 0) nonzero++;
    return count === 0 ? 0 : 1 - nonzero / count;
  }
  return zeroFraction(expandMczEntry(entry).data);
}

export async function inspectMczFile(path: string) {
  const bytes = new Uint8Array(await readFile(path));
  const model = decodeMcz(bytes);
  const breakdown = mczSizeBreakdown(bytes);
  const sizes = new Map(breakdown.layers.map((l) => [l.name, l]));
  const layers: InspectedLayer[] = model.entries.map((entry) => {
    const size = sizes.get(entry.name);
    return {
      name: entry.name,
      encoding: entry.encoding,
      shape: size?.shape ?? [],
      bytes: size?.totalBytes ?? 0,
      sparsity: sparsityOf(entry),
      ...storedBits(entry),
    };
  });
  const parameters = breakdown.layers.reduce((sum, l) => sum + l.elementCount, 0);
  return {
    format: "mcz" as const,
    path,
    fileBytes: bytes.length,
    metadata: model.metadata,
    parameters,
    denseBytes: breakdown.denseBytes,
    compressionRatio: breakdown.compressionRatio,
    layers,
    sizeBreakdown: breakdown,
    sizeBreakdownText: formatSizeBreakdown(breakdown),
  };
}

export async function inspectOnnxFile(path: string) {
  const fileBytes = (await readFile(path)).length;
  const inspection = inspectOnnx(await readOnnxFile(path));
  return { format: "onnx" as const, path, fileBytes, ...inspection };
}
