// gemm_f32_4x8__wasmsimd: fp32 GEMM with a 4×8 register tile (eight f32x4 accumulators).
// A is read row-major (4 row streams, one f32 broadcast per row and k); B is packed into
// panels of 8 columns, [ceil(n/8)][k][8], so the inner loop reads 32 contiguous bytes per k.

/** Packs op(B) (k×n; stored n×k when transposed) into 8-column panels, zero-padded. */
export function pack_b_f32(b: usize, k: i32, n: i32, transB: i32, out: usize): void {
  const nb = (n + 7) >> 3;
  const full = transB ? 0 : n >> 3;
  // Row-major B, whole panels: eight panels (four 64-byte lines of a row) at a time, so each
  // line of B is read once rather than once per panel after it left the cache.
  for (let jg = 0; jg < full; jg += 8) {
    const jgEnd = min(full, jg + 8);
    for (let p = 0; p < k; p++) {
      const row = b + ((<usize>p * <usize>n) << 2);
      for (let jb = jg; jb < jgEnd; jb++) {
        const src = row + (<usize>jb << 5);
        const dst = out + <usize>jb * <usize>k * 32 + (<usize>p << 5);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      }
    }
  }
  // Transposed B and the last partial panel: element by element, zero padded.
  for (let jb = full; jb < nb; jb++) {
    const j0 = jb << 3;
    const panel = out + <usize>jb * <usize>k * 32;
    for (let p = 0; p < k; p++) {
      for (let t = 0; t < 8; t++) {
        const j = j0 + t;
        let v: f32 = 0;
        if (j < n) v = transB ? load<f32>(b + ((<usize>j * <usize>k + <usize>p) << 2)) : load<f32>(b + ((<usize>p * <usize>n + <usize>j) << 2));
        store<f32>(panel + (<usize>p << 5) + (<usize>t << 2), v);
      }
    }
  }
}

/** out[m×k] = transpose of a stored k×m. */
export function transpose_f32(a: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(out + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(a + ((<usize>r * <usize>cols + <usize>c) << 2)));
    }
  }
}

/**
 * Packs op(A) (m×k; stored k×m when transA) into panels of 4 rows, [ceil(m/4)][k][4]: the
 * kernel then reads one pointer and four broadcasts at fixed offsets per k instead of four row
 * streams (V8 kept those pointers on the stack). Rows past m are zero.
 */
export function pack_a_f32(a: usize, m: i32, k: i32, transA: i32, out: usize): void {
  const panels = (m + 3) >> 2;
  for (let r = 0; r < panels; r++) {
    const i0 = r << 2;
    const panel = out + ((<usize>r * <usize>k) << 4);
    if (!transA && i0 + 4 <= m) {
      const a0 = a + ((<usize>i0 * <usize>k) << 2);
      const a1 = a0 + (<usize>k << 2);
      const a2 = a1 + (<usize>k << 2);
      const a3 = a2 + (<usize>k << 2);
      let p = 0;
      // 4×4 transposes: four rows of 4 k values become four k steps of 4 rows.
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        const r0 = v128.load(a0 + o);
        const r1 = v128.load(a1 + o);
        const r2 = v128.load(a2 + o);
        const r3 = v128.load(a3 + o);
        const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
        const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
        const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
        const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
        const dst = panel + (<usize>p << 4);
        v128.store(dst, v128.shuffle<i64>(t0, t1, 0, 2));
        v128.store(dst, v128.shuffle<i64>(t0, t1, 1, 3), 16);
        v128.store(dst, v128.shuffle<i64>(t2, t3, 0, 2), 32);
        v128.store(dst, v128.shuffle<i64>(t2, t3, 1, 3), 48);
      }
      for (; p < k; p++) {
        const o = <usize>p << 2;
        const dst = panel + (<usize>p << 4);
        store<f32>(dst, load<f32>(a0 + o));
        store<f32>(dst, load<f32>(a1 + o), 4);
        store<f32>(dst, load<f32>(a2 + o), 8);
        store<f32>(dst, load<f32>(a3 + o), 12);
      }
      continue;
    }
    for (let p = 0; p < k; p++) {
      for (let t = 0; t < 4; t++) {
        const i = i0 + t;
        let v: f32 = 0;
        if (i < m) v = transA ? load<f32>(a + ((<usize>p * <usize>m + <usize>i) << 2)) : load<f32>(a + ((<usize>i * <usize>k + <usize>p) << 2));
        store<f32>(panel + (<usize>p << 4) + (<usize>t << 2), v);
      }
    }
  }
}

let blockK: i32 = 256;
let blockM: i32 = 64;
let blockP: i32 = 8;

/** Tuning hook for the bench: k and row block sizes of gemm_f32_4x8__wasmsimd. */
export function set_gemm_f32_blocking(kc: i32, mc: i32, panels: i32): void {
  blockP = max(1, panels);
  blockK = max(1, kc);
  blockM = max(4, mc & ~3);
}

/**
 * C rows [i0, i1) = alpha·Apacked·Bpacked + beta·C, A packed by pack_a_f32 (i0 a multiple of
 * 4), B by pack_b_f32. Blocked over k (KC), B panels and rows (MC) so the A block and the B
 * micro-panel stay in L1/L2; later k blocks accumulate into C.
 * Changed from the row-stream version (27 GFLOP/s at 512³): A is packed, so the inner loop
 * keeps two pointers in registers and reads its four A values at fixed offsets.
 */
export function gemm_f32_4x8__wasmsimd(
  a: usize,
  packedB: usize,
  c: usize,
  m: i32,
  k: i32,
  n: i32,
  alpha: f32,
  beta: f32,
  i0: i32,
  i1: i32,
): void {
  const nb = (n + 7) >> 3;
  const ldc = <usize>n << 2;
  const KC = blockK;
  const MC = blockM;
  const va = f32x4.splat(alpha);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const betaBlock: f32 = p0 == 0 ? beta : 1;
    const vb = f32x4.splat(betaBlock);
    // B blocks of KC×(8·NP) columns stay cached while MC-row blocks of A pass over them.
    for (let jc = 0; jc < nb; jc += blockP) {
      const jcEnd = min(nb, jc + blockP);
      for (let ib0 = i0; ib0 < i1; ib0 += MC) {
        const ib1 = min(i1, ib0 + MC);
        for (let jb = jc; jb < jcEnd; jb++) {
          const j0 = jb << 3;
          const cols = min(8, n - j0);
          const panel = packedB + <usize>jb * <usize>k * 32 + (<usize>p0 << 5);
          for (let i = ib0; i < ib1; i += 4) {
            const rows = min(4, ib1 - i);
            let pa = a + ((<usize>(i >> 2) * <usize>k + <usize>p0) << 4);
            let c00 = f32x4.splat(0);
            let c01 = f32x4.splat(0);
            let c10 = f32x4.splat(0);
            let c11 = f32x4.splat(0);
            let c20 = f32x4.splat(0);
            let c21 = f32x4.splat(0);
            let c30 = f32x4.splat(0);
            let c31 = f32x4.splat(0);
            let pb = panel;
            const pbEnd = panel + (<usize>kc << 5);
            while (pb < pbEnd) {
              const b0 = v128.load(pb);
              const b1 = v128.load(pb, 16);
              let x = v128.load32_splat(pa);
              c00 = f32x4.add(c00, f32x4.mul(x, b0));
              c01 = f32x4.add(c01, f32x4.mul(x, b1));
              x = v128.load32_splat(pa, 4);
              c10 = f32x4.add(c10, f32x4.mul(x, b0));
              c11 = f32x4.add(c11, f32x4.mul(x, b1));
              x = v128.load32_splat(pa, 8);
              c20 = f32x4.add(c20, f32x4.mul(x, b0));
              c21 = f32x4.add(c21, f32x4.mul(x, b1));
              x = v128.load32_splat(pa, 12);
              c30 = f32x4.add(c30, f32x4.mul(x, b0));
              c31 = f32x4.add(c31, f32x4.mul(x, b1));
              pb += 32;
              pa += 16;
            }
            const cRow = c + ((<usize>i * <usize>n + <usize>j0) << 2);
            if (cols == 8) {
              storeRow(cRow, c00, c01, va, vb, betaBlock);
              if (rows > 1) storeRow(cRow + ldc, c10, c11, va, vb, betaBlock);
              if (rows > 2) storeRow(cRow + 2 * ldc, c20, c21, va, vb, betaBlock);
              if (rows > 3) storeRow(cRow + 3 * ldc, c30, c31, va, vb, betaBlock);
            } else {
              storePartial(cRow, c00, c01, cols, alpha, betaBlock);
              if (rows > 1) storePartial(cRow + ldc, c10, c11, cols, alpha, betaBlock);
              if (rows > 2) storePartial(cRow + 2 * ldc, c20, c21, cols, alpha, betaBlock);
              if (rows > 3) storePartial(cRow + 3 * ldc, c30, c31, cols, alpha, betaBlock);
            }
          }
        }
      }
    }
  }
}

function storeRow(dst: usize, v0: v128, v1: v128, va: v128, vb: v128, beta: f32): void {
  if (beta == 0) {
    v128.store(dst, f32x4.mul(v0, va));
    v128.store(dst, f32x4.mul(v1, va), 16);
  } else {
    v128.store(dst, f32x4.add(f32x4.mul(v0, va), f32x4.mul(v128.load(dst), vb)));
    v128.store(dst, f32x4.add(f32x4.mul(v1, va), f32x4.mul(v128.load(dst, 16), vb)), 16);
  }
}

function storePartial(dst: usize, v0: v128, v1: v128, cols: i32, alpha: f32, beta: f32): void {
  for (let t = 0; t < cols; t++) {
    let v: f32;
    switch (t) {
      case 0: v = f32x4.extract_lane(v0, 0); break;
      case 1: v = f32x4.extract_lane(v0, 1); break;
      case 2: v = f32x4.extract_lane(v0, 2); break;
      case 3: v = f32x4.extract_lane(v0, 3); break;
      case 4: v = f32x4.extract_lane(v1, 0); break;
      case 5: v = f32x4.extract_lane(v1, 1); break;
      case 6: v = f32x4.extract_lane(v1, 2); break;
      default: v = f32x4.extract_lane(v1, 3); break;
    }
    const p = dst + (<usize>t << 2);
    store<f32>(p, beta == 0 ? alpha * v : alpha * v + beta * load<f32>(p));
  }
}

/** m = 1 with B stored n×k (a Linear weight): 4 dot products at a time over contiguous rows. */
export function gemv_f32_nk__wasmsimd(x: usize, b: usize, y: usize, k: i32, n: i32, alpha: f32, beta: f32): void {
  const k4 = k & ~3;
  const rowBytes = <usize>k << 2;
  for (let j = 0; j < n; j++) {
    const row = b + <usize>j * rowBytes;
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    let p = 0;
    for (; p + 8 <= k; p += 8) {
      const o = <usize>p << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(x + o), v128.load(row + o)));
      acc1 = f32x4.add(acc1, f32x4.mul(v128.load(x + o, 16), v128.load(row + o, 16)));
    }
    if (p < k4) {
      const o = <usize>p << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(x + o), v128.load(row + o)));
      p += 4;
    }
    acc0 = f32x4.add(acc0, acc1);
    let s: f32 = f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 1) + f32x4.extract_lane(acc0, 2) + f32x4.extract_lane(acc0, 3);
    for (; p < k; p++) s += load<f32>(x + (<usize>p << 2)) * load<f32>(row + (<usize>p << 2));
    const dst = y + (<usize>j << 2);
    store<f32>(dst, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(dst));
  }
}

/** m = 1 with B stored k×n: 32 columns at a time, eight f32x4 accumulators, B rows streamed. */
export function gemv_f32_kn__wasmsimd(x: usize, b: usize, y: usize, k: i32, n: i32, alpha: f32, beta: f32): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    let c0 = f32x4.splat(0);
    let c1 = f32x4.splat(0);
    let c2 = f32x4.splat(0);
    let c3 = f32x4.splat(0);
    let c4 = f32x4.splat(0);
    let c5 = f32x4.splat(0);
    let c6 = f32x4.splat(0);
    let c7 = f32x4.splat(0);
    let src = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const xv = v128.load32_splat(x + (<usize>p << 2));
      c0 = f32x4.add(c0, f32x4.mul(xv, v128.load(src)));
      c1 = f32x4.add(c1, f32x4.mul(xv, v128.load(src, 16)));
      c2 = f32x4.add(c2, f32x4.mul(xv, v128.load(src, 32)));
      c3 = f32x4.add(c3, f32x4.mul(xv, v128.load(src, 48)));
      c4 = f32x4.add(c4, f32x4.mul(xv, v128.load(src, 64)));
      c5 = f32x4.add(c5, f32x4.mul(xv, v128.load(src, 80)));
      c6 = f32x4.add(c6, f32x4.mul(xv, v128.load(src, 96)));
      c7 = f32x4.add(c7, f32x4.mul(xv, v128.load(src, 112)));
      src += rowBytes;
    }
    const dst = y + (<usize>j << 2);
    const va = f32x4.splat(alpha);
    const vb = f32x4.splat(beta);
    storeRow(dst, c0, c1, va, vb, beta);
    storeRow(dst + 32, c2, c3, va, vb, beta);
    storeRow(dst + 64, c4, c5, va, vb, beta);
    storeRow(dst + 96, c6, c7, va, vb, beta);
  }
  for (; j < n; j++) {
    let s: f32 = 0;
    for (let p = 0; p < k; p++) s += load<f32>(x + (<usize>p << 2)) * load<f32>(b + ((<usize>p * <usize>n + <usize>j) << 2));
    const dst = y + (<usize>j << 2);
    store<f32>(dst, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(dst));
  }
}
