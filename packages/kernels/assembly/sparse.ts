// spmm_f32csr_x4__wasmsimd / gemm_f32lut_x4__wasmsimd: sparse (CSR) and codebook products for
// four batch rows at once. WebAssembly has no gather, so the SIMD lanes run across the batch:
// x is transposed to xt[cols][4] and every stored weight is broadcast against one xt row.

/** y[r][4] = Σ_e w_e · xt[col_e][0..3], w_e = values[e] (codeBytes 0) or codebook[codes[e]] (1 or 2 bytes per code). */
export function spmm_f32csr_x4__wasmsimd(
  rowPointers: usize,
  columnIndices: usize,
  values: usize,
  codes: usize,
  codeBytes: i32,
  codebook: usize,
  xt: usize,
  rows: i32,
  y: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const e0 = load<i32>(rowPointers + (<usize>r << 2));
    const e1 = load<i32>(rowPointers + (<usize>r << 2), 4);
    let acc = f32x4.splat(0);
    if (codeBytes == 0) {
      for (let e = e0; e < e1; e++) {
        const col = <usize>load<i32>(columnIndices + (<usize>e << 2));
        acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(values + (<usize>e << 2)), v128.load(xt + (col << 4))));
      }
    } else if (codeBytes == 1) {
      for (let e = e0; e < e1; e++) {
        const col = <usize>load<i32>(columnIndices + (<usize>e << 2));
        const w = v128.load32_splat(codebook + (<usize>load<u8>(codes + <usize>e) << 2));
        acc = f32x4.add(acc, f32x4.mul(w, v128.load(xt + (col << 4))));
      }
    } else {
      for (let e = e0; e < e1; e++) {
        const col = <usize>load<i32>(columnIndices + (<usize>e << 2));
        const w = v128.load32_splat(codebook + (<usize>load<u16>(codes + (<usize>e << 1)) << 2));
        acc = f32x4.add(acc, f32x4.mul(w, v128.load(xt + (col << 4))));
      }
    }
    v128.store(y + (<usize>r << 4), acc);
  }
}

/** Dense codebook weight [rows×cols]: y[r][4] = Σ_i codebook[indices[r·cols + i]] · xt[i][0..3]. */
export function gemm_f32lut_x4__wasmsimd(indices: usize, codeBytes: i32, codebook: usize, xt: usize, rows: i32, cols: i32, y: usize): void {
  for (let r = 0; r < rows; r++) {
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    const base = <usize>r * <usize>cols;
    let i = 0;
    if (codeBytes == 1) {
      for (; i + 2 <= cols; i += 2) {
        const w0 = v128.load32_splat(codebook + (<usize>load<u8>(indices + base + <usize>i) << 2));
        const w1 = v128.load32_splat(codebook + (<usize>load<u8>(indices + base + <usize>i, 1) << 2));
        acc0 = f32x4.add(acc0, f32x4.mul(w0, v128.load(xt + (<usize>i << 4))));
        acc1 = f32x4.add(acc1, f32x4.mul(w1, v128.load(xt + (<usize>i << 4), 16)));
      }
      if (i < cols) {
        const w0 = v128.load32_splat(codebook + (<usize>load<u8>(indices + base + <usize>i) << 2));
        acc0 = f32x4.add(acc0, f32x4.mul(w0, v128.load(xt + (<usize>i << 4))));
      }
    } else {
      for (; i < cols; i++) {
        const w0 = v128.load32_splat(codebook + (<usize>load<u16>(indices + ((base + <usize>i) << 1)) << 2));
        acc0 = f32x4.add(acc0, f32x4.mul(w0, v128.load(xt + (<usize>i << 4))));
      }
    }
    v128.store(y + (<usize>r << 4), f32x4.add(acc0, acc1));
  }
}
