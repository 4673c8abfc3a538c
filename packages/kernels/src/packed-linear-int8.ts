// A types-only module, so kernel selection, the wasm tier and linear-int8 can all name this
// type without importing each other (which made an import cycle).

/** int8 weights packed once for the quantized linear kernels (symmetric, zero point 0). */
export interface PackedLinearInt8 {
  readonly kind: "PackedLinearInt8";
  readonly outFeatures: number;
  readonly inFeatures: number;
  /** Copy of the weight, [out×in] row-major. */
  readonly weight: Int8Array;
  /** One scale per output channel. */
  readonly scales: Float32Array;
  readonly bias: Float32Array | undefined;
  /** Σ_p weight[o, p]: turns Σ (x − zx)·w into Σ x·w − zx·Σ w. */
  readonly weightRowSums: Int32Array;
}
