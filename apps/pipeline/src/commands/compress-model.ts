import { reconstructWeights, shareWeights } from "@mc/cluster";
import type { Tensor } from "@mc/core";
import {
  encodeMcz,
  type McEntropyCoding,
  type McEntry,
  mczSizeBreakdown,
  openSafetensors,
  type SafetensorsDtype,
  safetensorsToFloat32,
  sparseSharedFromIndices,
} from "@mc/io";
import { magnitudeMask } from "@mc/prune";
import { quantizationError } from "@mc/quant";

/**
 * Post-training Deep Compression of any model's weights (no retraining): every float tensor of
 * rank ≥ 2 with at least `minElements` elements is magnitude-pruned, weight-shared (k-means,
 * linear init, zeros kept out) and stored sparse + shared; everything else stays dense fp32.
 */
export interface CompressOptions {
  sparsity: number;
  bits: number;
  indexBits: number;
  minElements: number;
  /** "huffman" (Deep Compression's last stage) or "none": fixed-width packed indices, no tables. */
  entropyCoding?: McEntropyCoding;
  metadata: Record<string, string>;
  onLayer?: (name: string, index: number, count: number) => void;
}

export interface CompressedLayer {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  encoding: "sparse-shared" | "dense";
  /** Fraction of exact zeros after pruning (dense layers: as they came). */
  sparsity: number;
  /** Bits per stored cluster index (sparse-shared) or per value (dense). */
  bits: number;
  /** Bytes of this layer in the .mcz, its header share and padding included. */
  bytes: number;
  /** Bytes of the tensor in the input file. */
  inputBytes: number;
  /** SQNR of the stored tensor against the original, in dB (Infinity when exact). */
  sqnrDb: number;
  /** sparse-shared layers: how the indices are stored. */
  entropyCoding?: McEntropyCoding;
  /** Per stored entry, packed (P+Q) and Huffman-coded (P+Q+H, Huffman only), for sparse-shared layers. */
  weightBitsPacked?: number;
  weightBitsHuffman?: number;
  indexBitsPacked?: number;
  indexBitsHuffman?: number;
}

export interface CompressResult {
  bytes: Uint8Array;
  layers: CompressedLayer[];
  inputBytes: number;
}

const floatDtypes: ReadonlySet<SafetensorsDtype> = new Set(["F32", "F16", "BF16", "F64"]);

function zeroFraction(data: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return data.length === 0 ? 0 : zeros / data.length;
}

/** Reads the safetensors file one tensor at a time; only the compressed output is held whole. */
export async function compressSafetensors(path: string, options: CompressOptions): Promise<CompressResult> {
  const file = await openSafetensors(path);
  const entries: McEntry[] = [];
  const layers: Omit<CompressedLayer, "bytes">[] = [];
  try {
    const count = file.entries.length;
    let index = 0;
    for await (const { name, entry, tensor } of file) {
      options.onLayer?.(name, index++, count);
      const inputBytes = entry.dataOffsets[1] - entry.dataOffsets[0];
      const elements = tensor.shape.reduce((a, b) => a * b, 1);
      const weight: Tensor<Float32Array> = safetensorsToFloat32(tensor);
      const compressible = floatDtypes.has(tensor.dtype) && tensor.shape.length >= 2 && elements >= options.minElements;
      if (!compressible) {
        entries.push({ name, kind: "other", encoding: "dense", dtype: "f32", tensor: weight });
        // fp32 holds every F32/F16/BF16 value and small integers exactly; F64 and large ints round.
        const exact =
          tensor.dtype !== "F64" &&
          tensor.dtype !== "I64" &&
          tensor.dtype !== "U64" &&
          tensor.dtype !== "I32" &&
          tensor.dtype !== "U32";
        layers.push({
          name,
          dtype: tensor.dtype,
          shape: [...tensor.shape],
          encoding: "dense",
          sparsity: zeroFraction(weight.data),
          bits: 32,
          inputBytes,
          sqnrDb: exact ? Number.POSITIVE_INFINITY : sqnrAgainst(tensor.data, weight.data),
        });
        continue;
      }
      const { mask } = magnitudeMask(weight, { sparsity: options.sparsity });
      const pruned = new Float32Array(weight.data.length);
      for (let i = 0; i < pruned.length; i++) if (mask[i]) pruned[i] = weight.data[i] as number;
      const prunedTensor = { data: pruned, shape: [...weight.shape] };
      const shared = shareWeights(prunedTensor, {
        clusters: 2 ** options.bits - 1,
        init: "linear",
        preserveZeros: true,
      });
      const sparse = sparseSharedFromIndices(
        { shape: shared.shape, codebook: shared.codebook, indices: shared.indices },
        { indexBits: options.indexBits },
      );
      const entropyCoding = options.entropyCoding ?? "huffman";
      entries.push({ name, kind: "weight", encoding: "sparse-shared", sparse, codebookDtype: "f32", entropyCoding });
      const reconstructed = reconstructWeights(shared);
      layers.push({
        name,
        dtype: tensor.dtype,
        shape: [...tensor.shape],
        encoding: "sparse-shared",
        sparsity: shared.sparsity,
        bits: options.bits,
        entropyCoding,
        inputBytes,
        sqnrDb: quantizationError(weight, reconstructed).sqnrDb,
      });
    }
  } finally {
    await file.close();
  }
  const bytes = encodeMcz({ entries, metadata: options.metadata });
  const breakdown = mczSizeBreakdown(bytes);
  const sizes = new Map(breakdown.layers.map((l) => [l.name, l]));
  return {
    bytes,
    inputBytes: file.fileSize,
    layers: layers.map((layer) => {
      const size = sizes.get(layer.name);
      return {
        ...layer,
        bytes: size?.totalBytes ?? 0,
        ...(size?.weightBitsPacked !== undefined
          ? { weightBitsPacked: size.weightBitsPacked, indexBitsPacked: size.indexBitsPacked }
          : {}),
        ...(size?.weightBitsHuffman !== undefined
          ? { weightBitsHuffman: size.weightBitsHuffman, indexBitsHuffman: size.indexBitsHuffman }
          : {}),
      };
    }),
  };
}

function sqnrAgainst(original: ArrayLike<number | bigint>, stored: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < stored.length; i++) {
    const x = Number(original[i]);
    signal += x * x;
    noise += (x - (stored[i] as number)) ** 2;
  }
  return noise === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
}
