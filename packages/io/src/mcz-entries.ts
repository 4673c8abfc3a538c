import type { Tensor } from "@mc/core";
import type { QuantizedTensorLike } from "./quantized";
import type { SparseSharedTensor } from "./sparse-shared";

/**
 * What a `.mcz` file holds: named tensors, each in one storage encoding. `encodeMcz` takes
 * these, `decodeMcz` returns them (with every optional field filled in), and encoding the
 * decoded model again gives the same bytes.
 */

export type McFloatDtype = "f32" | "f16";

/**
 * How a sparse-shared entry stores its relative indices and cluster indices: canonical Huffman
 * codes (Deep Compression's last stage, the default) or fixed-width bit packing (`indexBits` and
 * `ceil(log2 codebookSize)` bits per entry: larger, but no tables and a trivially seekable stream).
 */
export type McEntropyCoding = "huffman" | "none";
export const mcEntropyCodings: readonly McEntropyCoding[] = ["huffman", "none"];

interface McEntryBase {
  name: string;
  /** What the tensor is, e.g. "linear.weight", "conv.weight", "bias" (free text, default "other"). */
  kind?: string;
}

/** Plain values, fp32 or rounded to fp16 (round-half-even). Biases and small tensors. */
export interface McDenseEntry extends McEntryBase {
  encoding: "dense";
  dtype?: McFloatDtype;
  tensor: Tensor<Float32Array>;
}

/** Affine-quantized integers (int8/uint8/int4/uint4) with per-tensor, per-channel or blockwise parameters. */
export interface McQuantizedEntry extends McEntryBase {
  encoding: "quantized";
  quantized: QuantizedTensorLike;
}

/** Deep Compression: pruned + weight-shared, Huffman-coded (or bit-packed) relative indices and cluster indices. */
export interface McSparseSharedEntry extends McEntryBase {
  encoding: "sparse-shared";
  sparse: SparseSharedTensor;
  /** Storage of the codebook; fp16 rounds the centroids. */
  codebookDtype?: McFloatDtype;
  /** Huffman codes (default) or fixed-width packing of the indices; decoding gives the same tensor either way. */
  entropyCoding?: McEntropyCoding;
}

/** A factor pair `W ≈ left · right`, left [rows, rank], right [rank, columns]. */
export interface McLowRankEntry extends McEntryBase {
  encoding: "low-rank";
  /** Shape of W; rows = shape[0], columns = the product of the rest. */
  shape: readonly number[];
  left: Tensor<Float32Array>;
  right: Tensor<Float32Array>;
  factorDtype?: McFloatDtype;
}

export type McEntry = McDenseEntry | McQuantizedEntry | McSparseSharedEntry | McLowRankEntry;
export type McEncoding = McEntry["encoding"];
export const mcEncodings: readonly McEncoding[] = ["dense", "quantized", "sparse-shared", "low-rank"];

export interface McModel {
  entries: McEntry[];
  metadata?: Record<string, string>;
}
