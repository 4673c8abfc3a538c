/**
 * The one place this package picks its fp32 GEMM: `@mc/kernels`' `gemm`, which selects the
 * WebAssembly SIMD tier when it is initialized and the JS tier otherwise. `gemm-fallback.ts`
 * keeps a plain-loop version with the same signature as this package's test oracle.
 */
export { gemm } from "@mc/kernels";
