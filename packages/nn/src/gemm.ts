/** The one place this package picks its matrix product. */
export { gemm } from "./gemm-fallback";
