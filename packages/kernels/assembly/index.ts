// Entry of the WebAssembly SIMD tier. Every kernel takes raw byte offsets into the linear
// memory the JavaScript side manages (no allocator in here: --runtime stub, no GC objects).
export * from "./gemm-f32";
export * from "./gemm-s16";
export * from "./nbits";
export * from "./quantize";
export * from "./sparse";
export * from "./sparse-csc";

export function heap_base(): usize {
  return __heap_base;
}
