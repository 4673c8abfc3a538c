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
