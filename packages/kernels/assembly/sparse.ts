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

// spmv_f32csr_1x4__wasmsimd / spmv_f32csrlut_1x4__wasmsimd: what changed from the _x4 kernels —
// the lanes run along each row's nonzeros instead of across four batch rows, so batch 1 uses
// all four lanes. Four x values (by column) and four weights are gathered by lane insertion,
// multiplied into f32x4 accumulators, and summed horizontally once per row.

function gatherX(x: usize, columnIndices: usize, e: i32): v128 {
  return gatherXAt(x, v128.load(columnIndices + (<usize>e << 2)));
}

function gatherXAt(x: usize, c: v128): v128 {
  let v = v128.load32_zero(x + (<usize>i32x4.extract_lane(c, 0) << 2));
  v = f32x4.replace_lane(v, 1, load<f32>(x + (<usize>i32x4.extract_lane(c, 1) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(x + (<usize>i32x4.extract_lane(c, 2) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(x + (<usize>i32x4.extract_lane(c, 3) << 2)));
}

function gatherCodes(codebook: usize, codes: usize, codeBytes: i32, e: i32): v128 {
  let i0: usize, i1: usize, i2: usize, i3: usize;
  if (codeBytes == 1) {
    const q = <usize>load<u32>(codes + <usize>e);
    i0 = q & 0xff;
    i1 = (q >> 8) & 0xff;
    i2 = (q >> 16) & 0xff;
    i3 = q >> 24;
  } else {
    const q = load<u64>(codes + (<usize>e << 1));
    i0 = <usize>(q & 0xffff);
    i1 = <usize>((q >> 16) & 0xffff);
    i2 = <usize>((q >> 32) & 0xffff);
    i3 = <usize>(q >> 48);
  }
  let w = v128.load32_zero(codebook + (i0 << 2));
  w = f32x4.replace_lane(w, 1, load<f32>(codebook + (i1 << 2)));
  w = f32x4.replace_lane(w, 2, load<f32>(codebook + (i2 << 2)));
  return f32x4.replace_lane(w, 3, load<f32>(codebook + (i3 << 2)));
}

function codeAt(codebook: usize, codes: usize, codeBytes: i32, e: i32): f32 {
  const i = codeBytes == 1 ? <usize>load<u8>(codes + <usize>e) : <usize>load<u16>(codes + (<usize>e << 1));
  return load<f32>(codebook + (i << 2));
}

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * y[b][r] = Σ_e values[e] · x[b][col_e] (+ bias[r] when bias ≠ 0), for batch rows b of x [batch×cols].
 * Checks every column index against cols on the way (one compare per four) and returns 0 when one
 * is out of range — y is then garbage, the caller discards it — so no separate validation pass.
 */
export function spmv_f32csr_1x4__wasmsimd(
  rowPointers: usize,
  columnIndices: usize,
  values: usize,
  x: usize,
  rows: i32,
  cols: i32,
  batch: i32,
  bias: usize,
  y: usize,
): i32 {
  // Unsigned maxima: a negative index reads as ≥ 2³¹, so one compare at the end checks them all.
  let maxColumn = i32x4.splat(0);
  let badTail = false;
  for (let b = 0; b < batch; b++) {
    const xb = x + ((<usize>b * <usize>cols) << 2);
    const yb = y + ((<usize>b * <usize>rows) << 2);
    for (let r = 0; r < rows; r++) {
      const e0 = load<i32>(rowPointers + (<usize>r << 2));
      const e1 = load<i32>(rowPointers + (<usize>r << 2), 4);
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let e = e0;
      for (; e + 8 <= e1; e += 8) {
        const c0 = v128.load(columnIndices + (<usize>e << 2));
        const c1 = v128.load(columnIndices + (<usize>e << 2), 16);
        maxColumn = i32x4.max_u(maxColumn, i32x4.max_u(c0, c1));
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(values + (<usize>e << 2)), gatherXAt(xb, c0)));
        acc1 = f32x4.add(acc1, f32x4.mul(v128.load(values + (<usize>e << 2), 16), gatherXAt(xb, c1)));
      }
      if (e + 4 <= e1) {
        const c0 = v128.load(columnIndices + (<usize>e << 2));
        maxColumn = i32x4.max_u(maxColumn, c0);
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(values + (<usize>e << 2)), gatherXAt(xb, c0)));
        e += 4;
      }
      let s = hsum(f32x4.add(acc0, acc1));
      for (; e < e1; e++) {
        const col = load<i32>(columnIndices + (<usize>e << 2));
        if (<u32>col >= <u32>cols) badTail = true;
        s += load<f32>(values + (<usize>e << 2)) * load<f32>(xb + (<usize>col << 2));
      }
      if (bias != 0) s += load<f32>(bias + (<usize>r << 2));
      store<f32>(yb + (<usize>r << 2), s);
    }
  }
  if (badTail || v128.any_true(v128.not(i32x4.lt_u(maxColumn, i32x4.splat(cols))))) return 0;
  return 1;
}

/** As spmv_f32csr_1x4__wasmsimd with w_e = codebook[codes[e]] (codeBytes 1 or 2 bytes per code). */
export function spmv_f32csrlut_1x4__wasmsimd(
  rowPointers: usize,
  columnIndices: usize,
  codes: usize,
  codeBytes: i32,
  codebook: usize,
  x: usize,
  rows: i32,
  cols: i32,
  batch: i32,
  bias: usize,
  y: usize,
): void {
  for (let b = 0; b < batch; b++) {
    const xb = x + ((<usize>b * <usize>cols) << 2);
    const yb = y + ((<usize>b * <usize>rows) << 2);
    for (let r = 0; r < rows; r++) {
      const e0 = load<i32>(rowPointers + (<usize>r << 2));
      const e1 = load<i32>(rowPointers + (<usize>r << 2), 4);
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let e = e0;
      for (; e + 8 <= e1; e += 8) {
        acc0 = f32x4.add(acc0, f32x4.mul(gatherCodes(codebook, codes, codeBytes, e), gatherX(xb, columnIndices, e)));
        acc1 = f32x4.add(
          acc1,
          f32x4.mul(gatherCodes(codebook, codes, codeBytes, e + 4), gatherX(xb, columnIndices, e + 4)),
        );
      }
      if (e + 4 <= e1) {
        acc0 = f32x4.add(acc0, f32x4.mul(gatherCodes(codebook, codes, codeBytes, e), gatherX(xb, columnIndices, e)));
        e += 4;
      }
      let s = hsum(f32x4.add(acc0, acc1));
      for (; e < e1; e++) {
        s += codeAt(codebook, codes, codeBytes, e) * load<f32>(xb + (<usize>load<i32>(columnIndices + (<usize>e << 2)) << 2));
      }
      if (bias != 0) s += load<f32>(bias + (<usize>r << 2));
      store<f32>(yb + (<usize>r << 2), s);
    }
  }
}

/**
 * Index validation in wasm (the JS loop cost more than the product at batch 1): returns 1 when
 * every columnIndices[e] is in [0, cols) and every code is < codebookLength (codeBytes 0: no codes).
 */
export function check_csr_indices(
  columnIndices: usize,
  nnz: i32,
  cols: i32,
  codes: usize,
  codeBytes: i32,
  codebookLength: i32,
): i32 {
  // Unsigned compare: negative indices become ≥ 2³¹ ≥ cols.
  let bad = i32x4.splat(0);
  const limit = i32x4.splat(cols);
  let e = 0;
  for (; e + 4 <= nnz; e += 4) {
    bad = v128.or(bad, v128.not(i32x4.lt_u(v128.load(columnIndices + (<usize>e << 2)), limit)));
  }
  if (v128.any_true(bad)) return 0;
  for (; e < nnz; e++) if (<u32>load<i32>(columnIndices + (<usize>e << 2)) >= <u32>cols) return 0;
  if (codeBytes == 0) return 1;
  if (codeBytes == 1) {
    if (codebookLength > 0xff) return 1;
    const limit8 = i8x16.splat(<i8>codebookLength);
    let i = 0;
    for (; i + 16 <= nnz; i += 16) bad = v128.or(bad, v128.not(i8x16.lt_u(v128.load(codes + <usize>i), limit8)));
    if (v128.any_true(bad)) return 0;
    for (; i < nnz; i++) if (<i32>load<u8>(codes + <usize>i) >= codebookLength) return 0;
  } else {
    if (codebookLength > 0xffff) return 1;
    const limit16 = i16x8.splat(<i16>codebookLength);
    let i = 0;
    for (; i + 8 <= nnz; i += 8) bad = v128.or(bad, v128.not(i16x8.lt_u(v128.load(codes + (<usize>i << 1)), limit16)));
    if (v128.any_true(bad)) return 0;
    for (; i < nnz; i++) if (<i32>load<u16>(codes + (<usize>i << 1)) >= codebookLength) return 0;
  }
  return 1;
}

// spmv_f32csrlut16_1x4__wasmsimd: what changed from spmv_f32csrlut_1x4 — for uint8 codes into a
// codebook of at most 16 entries (4-bit Deep Compression layers) the 64-byte codebook stays in
// four registers and four weights are looked up with i8x16.swizzle instead of four scalar loads.

function lookup16(t0: v128, t1: v128, t2: v128, t3: v128, c: v128): v128 {
  // byte 4k+j of the result = byte j of codebook entry codes[e+k], i.e. table byte 4·code + j
  let idx = i8x16.swizzle(c, i8x16(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
  idx = i8x16.add(i8x16.shl(idx, 2), i8x16(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
  // swizzle gives 0 for indices ≥ 16 (and for the wrapped negatives), so the four tables OR together
  const lo = v128.or(i8x16.swizzle(t0, idx), i8x16.swizzle(t1, i8x16.sub(idx, i8x16.splat(16))));
  const hi = v128.or(i8x16.swizzle(t2, i8x16.sub(idx, i8x16.splat(32))), i8x16.swizzle(t3, i8x16.sub(idx, i8x16.splat(48))));
  return v128.or(lo, hi);
}

/**
 * As spmv_f32csrlut_1x4__wasmsimd for uint8 codes into codebookLength ≤ 16 entries; reads 64 bytes at
 * codebook (the caller pads it). Like spmv_f32csr_1x4 it validates columns and codes on the way
 * and returns 0 when one is out of range (codes ≥ 16 select zero bytes, never memory past the table).
 */
export function spmv_f32csrlut16_1x4__wasmsimd(
  rowPointers: usize,
  columnIndices: usize,
  codes: usize,
  codebook: usize,
  codebookLength: i32,
  x: usize,
  rows: i32,
  cols: i32,
  batch: i32,
  bias: usize,
  y: usize,
): i32 {
  const t0 = v128.load(codebook);
  const t1 = v128.load(codebook, 16);
  const t2 = v128.load(codebook, 32);
  const t3 = v128.load(codebook, 48);
  // Unsigned maxima, compared once at the end: a negative column reads as ≥ 2³¹.
  let maxColumn = i32x4.splat(0);
  let maxCode = i8x16.splat(0);
  let badTail = false;
  for (let b = 0; b < batch; b++) {
    const xb = x + ((<usize>b * <usize>cols) << 2);
    const yb = y + ((<usize>b * <usize>rows) << 2);
    for (let r = 0; r < rows; r++) {
      const e0 = load<i32>(rowPointers + (<usize>r << 2));
      const e1 = load<i32>(rowPointers + (<usize>r << 2), 4);
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let e = e0;
      for (; e + 8 <= e1; e += 8) {
        const c0 = v128.load(columnIndices + (<usize>e << 2));
        const c1 = v128.load(columnIndices + (<usize>e << 2), 16);
        const k0 = v128.load32_zero(codes + <usize>e);
        const k1 = v128.load32_zero(codes + <usize>e, 4);
        maxColumn = i32x4.max_u(maxColumn, i32x4.max_u(c0, c1));
        maxCode = i8x16.max_u(maxCode, i8x16.max_u(k0, k1));
        acc0 = f32x4.add(acc0, f32x4.mul(lookup16(t0, t1, t2, t3, k0), gatherXAt(xb, c0)));
        acc1 = f32x4.add(acc1, f32x4.mul(lookup16(t0, t1, t2, t3, k1), gatherXAt(xb, c1)));
      }
      if (e + 4 <= e1) {
        const c0 = v128.load(columnIndices + (<usize>e << 2));
        const k0 = v128.load32_zero(codes + <usize>e);
        maxColumn = i32x4.max_u(maxColumn, c0);
        maxCode = i8x16.max_u(maxCode, k0);
        acc0 = f32x4.add(acc0, f32x4.mul(lookup16(t0, t1, t2, t3, k0), gatherXAt(xb, c0)));
        e += 4;
      }
      let s = hsum(f32x4.add(acc0, acc1));
      for (; e < e1; e++) {
        const col = load<i32>(columnIndices + (<usize>e << 2));
        const code = <i32>load<u8>(codes + <usize>e);
        if (<u32>col >= <u32>cols || code >= codebookLength) badTail = true;
        s += load<f32>(codebook + (<usize>(code & 15) << 2)) * load<f32>(xb + (<usize>col << 2));
      }
      if (bias != 0) s += load<f32>(bias + (<usize>r << 2));
      store<f32>(yb + (<usize>r << 2), s);
    }
  }
  if (badTail || v128.any_true(v128.not(i32x4.lt_u(maxColumn, i32x4.splat(cols))))) return 0;
  // the zero bytes of load32_zero only fail for an empty codebook, where every code is invalid anyway
  if (v128.any_true(v128.not(i8x16.lt_u(maxCode, i8x16.splat(<i8>codebookLength))))) return 0;
  return 1;
}
