export { type CodebookWeight, codebookLinear } from "./codebook-linear";
export { type DynamicQuantizeLinearResult, dynamicQuantizeLinear } from "./dynamic-quantize-linear";
export { type GemmOptions, gemm } from "./gemm";
export {
  type LinearStaticInt8Options,
  linearDynamicInt8,
  linearStaticInt8,
  type PackedLinearInt8,
  type PackLinearInt8Options,
  packLinearInt8,
} from "./linear-int8";
export { type MatmulIntegerOptions, matmulInteger } from "./matmul-integer";
export { type MatmulNBitsOptions, matmulNBits } from "./matmul-nbits";
export type { PackedSparseConv2d, PackedSparseLinear } from "./packed-sparse-linear";
export { getKernelInfo, initKernels, type KernelInfo, setKernelTier } from "./select-kernel";
export { type PackSparseConv2dOptions, packSparseConv2d, sparseConv2dPacked } from "./sparse-conv2d";
export {
  type CsrMatrix,
  type PackSparseLinearOptions,
  packSparseLinear,
  type SparseCodebookWeight,
  sparseCodebookLinear,
  sparseLinear,
  sparseLinearPacked,
} from "./sparse-linear";
export { setNumThreads } from "./thread-pool";
