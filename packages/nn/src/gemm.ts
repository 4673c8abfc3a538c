/** The one place this package picks its matrix product: @mc/kernels' fp32 GEMM. */
export { gemm } from "@mc/kernels";
