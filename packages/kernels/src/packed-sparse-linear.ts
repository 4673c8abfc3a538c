// A types-only module (like packed-linear-int8.ts), so kernel selection, the wasm tier and
// sparse-linear can all name this type without importing each other.

/**
 * A sparse (optionally codebook) linear layer validated and laid out once for repeated calls:
 * stored by input column (CSC), so a zero input skips its column, as EIE does for Deep
 * Compression's layers. The wasm tier keeps a copy in its memory for the pack's lifetime.
 */
export interface PackedSparseLinear {
  readonly kind: "PackedSparseLinear";
  readonly outFeatures: number;
  readonly inFeatures: number;
  /** Column c's entries are colPointers[c] ..< colPointers[c + 1] (length inFeatures + 1). */
  readonly colPointers: Int32Array;
  /** Output row of each stored entry, ascending within a column. */
  readonly rowIndices: Int32Array;
  /** The weights: `values`, or `codes` into `codebook`. */
  readonly values: Float32Array | undefined;
  readonly codes: Uint8Array | Uint16Array | undefined;
  readonly codebook: Float32Array | undefined;
  readonly bias: Float32Array | undefined;
  readonly activation: "none" | "relu";
}

/**
 * A sparse (optionally codebook) convolution weight [out, in, k, k] validated once for direct
 * sparse convolution (stride 1, no padding): CSR by output channel over the flattened (c, ky, kx)
 * window positions. The wasm tier keeps a copy in its memory for the pack's lifetime.
 */
export interface PackedSparseConv2d {
  readonly kind: "PackedSparseConv2d";
  readonly outChannels: number;
  readonly inChannels: number;
  readonly kernelSize: number;
  readonly rowPointers: Int32Array;
  /** Window position of each stored entry: c·k·k + ky·k + kx. */
  readonly columnIndices: Int32Array;
  readonly values: Float32Array | undefined;
  readonly codes: Uint8Array | Uint16Array | undefined;
  readonly codebook: Float32Array | undefined;
  readonly bias: Float32Array | undefined;
  readonly activation: "none" | "relu";
}
