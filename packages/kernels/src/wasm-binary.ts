/**
 * The WebAssembly tier's binary. This checked-in placeholder has none, so source imports
 * (other packages' tests alias @mc/kernels to src/) run the JS tier; the build and this
 * package's own tests substitute src/generated/wasm-binary.ts, made by scripts/build-wasm.mjs.
 */
export const kernelsWasmBase64: { simd: string; simdThreads: string } | undefined = undefined;
