// matmul_x8x8s32_4x8c2__wasmsimd: int8/uint8 operands widened to int16 with their zero points
// subtracted (so all four signedness combinations and per-row/per-column zero points share
// one kernel), then i32x4.dot_i16x8_s over k pairs in a 4×8 tile: eight i32x4 accumulators.
// |a − za|·|b − zb| ≤ 255·255, so a pair sum fits int32 and accumulation wraps like ONNX.

/**
 * Where row i, k pair q of an A16 operand lives: rows in whole 4-row panels are interleaved
 * per k pair, [panel][kpad/2][4 rows][2 k] (16 bytes per pair), so the 4×8 tile reads one
 * pointer; the last m mod 4 rows stay row-major [kpad]. Either way the block of rows
 * [4r, 4r + 4) starts at byte 4r·kpad·2, so row ranges split at multiples of 4 stay apart.
 * Returns the address of pair 0; pairs follow every `a16PairStride(i, m)` bytes.
 */
export function a16RowBase(a: usize, i: i32, m: i32, kpad: i32): usize {
  return i < (m & ~3) ? a + <usize>(i & ~3) * <usize>kpad * 2 + (<usize>(i & 3) << 2) : a + <usize>i * <usize>kpad * 2;
}

export function a16PairStride(i: i32, m: i32): usize {
  return i < (m & ~3) ? 16 : 4;
}

/** dst (A16 layout above, kpad = k rounded up to even, zero padded) = src[i][p] − zeros[i]. */
export function widen_rows_x8s16(src: usize, signed: i32, m: i32, k: i32, zeros: usize, dst: usize): void {
  const kpad = (k + 1) & ~1;
  const m4 = m & ~3;
  const k8 = k & ~7;
  // Whole panels, 8 k at a time: four rows widen to 4 pairs each, then a 4×4 transpose of pairs.
  for (let i = 0; i < m4; i += 4) {
    const z0 = i16x8.splat(<i16>load<i32>(zeros + (<usize>i << 2)));
    const z1 = i16x8.splat(<i16>load<i32>(zeros + (<usize>i << 2), 4));
    const z2 = i16x8.splat(<i16>load<i32>(zeros + (<usize>i << 2), 8));
    const z3 = i16x8.splat(<i16>load<i32>(zeros + (<usize>i << 2), 12));
    const s0 = src + <usize>i * <usize>k;
    const s1 = s0 + <usize>k;
    const s2 = s1 + <usize>k;
    const s3 = s2 + <usize>k;
    const panel = dst + <usize>i * <usize>kpad * 2;
    for (let p = 0; p < k8; p += 8) {
      const r0 = v128.load64_zero(s0 + p);
      const r1 = v128.load64_zero(s1 + p);
      const r2 = v128.load64_zero(s2 + p);
      const r3 = v128.load64_zero(s3 + p);
      const w0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r0) : i16x8.extend_low_i8x16_u(r0), z0);
      const w1 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r1) : i16x8.extend_low_i8x16_u(r1), z1);
      const w2 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r2) : i16x8.extend_low_i8x16_u(r2), z2);
      const w3 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r3) : i16x8.extend_low_i8x16_u(r3), z3);
      const t0 = v128.shuffle<i32>(w0, w1, 0, 4, 1, 5);
      const t1 = v128.shuffle<i32>(w2, w3, 0, 4, 1, 5);
      const t2 = v128.shuffle<i32>(w0, w1, 2, 6, 3, 7);
      const t3 = v128.shuffle<i32>(w2, w3, 2, 6, 3, 7);
      const d = panel + (<usize>p << 3);
      v128.store(d, v128.shuffle<i64>(t0, t1, 0, 2));
      v128.store(d, v128.shuffle<i64>(t0, t1, 1, 3), 16);
      v128.store(d, v128.shuffle<i64>(t2, t3, 0, 2), 32);
      v128.store(d, v128.shuffle<i64>(t2, t3, 1, 3), 48);
    }
  }
  for (let i = 0; i < m; i++) {
    const z = load<i32>(zeros + (<usize>i << 2));
    const s = src + <usize>i * <usize>k;
    const base = a16RowBase(dst, i, m, kpad);
    const stride = a16PairStride(i, m);
    for (let p = i < m4 ? k8 : 0; p < kpad; p++) {
      const v = p < k ? (signed ? <i32>load<i8>(s + p) : <i32>load<u8>(s + p)) - z : 0;
      store<i16>(base + <usize>(p >> 1) * stride + (<usize>(p & 1) << 1), v);
    }
  }
}

/**
 * Packs B (k×n, or n×k when transB, e.g. a Linear weight [out×in]) minus per-column zero
 * points into int16 panels [ceil(n/8)][k/2][8 columns][2 k].
 */
export function pack_b_x8s16(b: usize, signed: i32, k: i32, n: i32, transB: i32, zeros: usize, out: usize): void {
  const nb = (n + 7) >> 3;
  const kp = (k + 1) >> 1;
  const full = transB ? 0 : n >> 3;
  const k2 = k & ~1;
  // Row-major B, whole panels: two rows of 8 bytes widen to int16 and interleave into k pairs.
  // Eight panels (one 64-byte line of each row) at a time, so each line of B is read once.
  for (let jg = 0; jg < full; jg += 8) {
    const jgEnd = min(full, jg + 8);
    for (let p = 0; p < k2; p += 2) {
      const row0 = b + <usize>p * <usize>n;
      const row1 = row0 + <usize>n;
      for (let jb = jg; jb < jgEnd; jb++) {
        const j0 = jb << 3;
        const z = i16x8.narrow_i32x4_s(v128.load(zeros + (<usize>j0 << 2)), v128.load(zeros + (<usize>j0 << 2), 16));
        const r0 = v128.load64_zero(row0 + <usize>j0);
        const r1 = v128.load64_zero(row1 + <usize>j0);
        const w0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r0) : i16x8.extend_low_i8x16_u(r0), z);
        const w1 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r1) : i16x8.extend_low_i8x16_u(r1), z);
        const dst = out + ((<usize>jb * <usize>kp) << 5) + (<usize>(p >> 1) << 5);
        v128.store(dst, v128.shuffle<i16>(w0, w1, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(dst, v128.shuffle<i16>(w0, w1, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
    }
    if (k & 1) {
      for (let jb = jg; jb < jgEnd; jb++) {
        const j0 = jb << 3;
        const z = i16x8.narrow_i32x4_s(v128.load(zeros + (<usize>j0 << 2)), v128.load(zeros + (<usize>j0 << 2), 16));
        const r0 = v128.load64_zero(b + <usize>k2 * <usize>n + <usize>j0);
        const w0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(r0) : i16x8.extend_low_i8x16_u(r0), z);
        const zero = i16x8.splat(0);
        const dst = out + ((<usize>jb * <usize>kp) << 5) + (<usize>(k2 >> 1) << 5);
        v128.store(dst, v128.shuffle<i16>(w0, zero, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(dst, v128.shuffle<i16>(w0, zero, 4, 12, 5, 13, 6, 14, 7, 15), 16);
      }
    }
  }
  // Transposed B (a Linear weight) and the last partial panel: element by element.
  for (let jb = full; jb < nb; jb++) {
    const j0 = jb << 3;
    const panel = out + ((<usize>jb * <usize>kp) << 5);
    for (let t = 0; t < 8; t++) {
      const j = j0 + t;
      const z = j < n ? load<i32>(zeros + (<usize>j << 2)) : 0;
      for (let p = 0; p < kp * 2; p++) {
        let v: i32 = 0;
        if (j < n && p < k) {
          const idx = transB ? <usize>j * <usize>k + <usize>p : <usize>p * <usize>n + <usize>j;
          v = (signed ? <i32>load<i8>(b + idx) : <i32>load<u8>(b + idx)) - z;
        }
        store<i16>(panel + ((<usize>(p >> 1) << 5) + (<usize>t << 2) + (<usize>(p & 1) << 1)), v);
      }
    }
  }
}

/** C rows [i0, i1) (int32 m×n) = A16 (m×kpad int16) · B panels. */
export function gemm_s16s16s32_4x8c2__wasmsimd(a: usize, packedB: usize, c: usize, m: i32, k: i32, n: i32, i0: i32, i1: i32): void {
  const kp = (k + 1) >> 1;
  const nb = (n + 7) >> 3;
  const rowBytes = <usize>kp << 2;
  // Row blocks of about 256 KiB of A stay in L2 while every B panel passes over them.
  const mc = max(4, (65536 / max(kp, 1)) & ~3);
  for (let ib0 = i0; ib0 < i1; ib0 += mc) {
  const ib1 = min(i1, ib0 + mc);
  for (let jb = 0; jb < nb; jb++) {
    const j0 = jb << 3;
    const cols = min(8, n - j0);
    const panel = packedB + <usize>jb * <usize>kp * 32;
    for (let i = ib0; i + 4 <= ib1; i += 4) {
      // One panel pointer: the four rows' k pairs sit side by side (a16RowBase).
      let pa = a + <usize>i * rowBytes;
      let c00 = i32x4.splat(0);
      let c01 = i32x4.splat(0);
      let c10 = i32x4.splat(0);
      let c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0);
      let c21 = i32x4.splat(0);
      let c30 = i32x4.splat(0);
      let c31 = i32x4.splat(0);
      let pb = panel;
      const pbEnd = panel + (<usize>kp << 5);
      while (pb < pbEnd) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let x = v128.load32_splat(pa);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, b0));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, b1));
        x = v128.load32_splat(pa, 4);
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, b0));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, b1));
        x = v128.load32_splat(pa, 8);
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, b0));
        c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, b1));
        x = v128.load32_splat(pa, 12);
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, b0));
        c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, b1));
        pb += 32;
        pa += 16;
      }
      const cRow = c + ((<usize>i * <usize>n + <usize>j0) << 2);
      const ldc = <usize>n << 2;
      storeI32(cRow, c00, c01, cols);
      storeI32(cRow + ldc, c10, c11, cols);
      storeI32(cRow + 2 * ldc, c20, c21, cols);
      storeI32(cRow + 3 * ldc, c30, c31, cols);
    }
  }
  // Leftover rows (m not a multiple of 4, or m = 1): a 1×8 tile per row and panel, two k
  // pairs per trip into two accumulator pairs. (1×16 and 1×32 tiles sharing the broadcast
  // measured slower here: 47 and 41 GOP/s against 51 at 1×784×64.)
  let i = ib0 + ((ib1 - ib0) & ~3);
  for (; i < ib1; i++) {
    const a0 = a + <usize>i * rowBytes;
    const cRow = c + ((<usize>i * <usize>n) << 2);
    for (let jb = 0; jb < nb; jb++) {
      const j0 = jb << 3;
      let pb = packedB + <usize>jb * <usize>kp * 32;
      let c00 = i32x4.splat(0);
      let c01 = i32x4.splat(0);
      let d00 = i32x4.splat(0);
      let d01 = i32x4.splat(0);
      let off: usize = 0;
      let p = 0;
      for (; p + 2 <= kp; p += 2) {
        const x0 = v128.load32_splat(a0 + off);
        const x1 = v128.load32_splat(a0 + off, 4);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, v128.load(pb)));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, v128.load(pb, 16)));
        d00 = i32x4.add(d00, i32x4.dot_i16x8_s(x1, v128.load(pb, 32)));
        d01 = i32x4.add(d01, i32x4.dot_i16x8_s(x1, v128.load(pb, 48)));
        pb += 64;
        off += 8;
      }
      if (p < kp) {
        const x0 = v128.load32_splat(a0 + off);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, v128.load(pb)));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, v128.load(pb, 16)));
      }
      storeI32(cRow + (<usize>j0 << 2), i32x4.add(c00, d00), i32x4.add(c01, d01), min(8, n - j0));
    }
  }
}
}

function storeI32(dst: usize, v0: v128, v1: v128, cols: i32): void {
  if (cols == 8) {
    v128.store(dst, v0);
    v128.store(dst, v1, 16);
    return;
  }
  for (let t = 0; t < cols; t++) {
    let v: i32;
    switch (t) {
      case 0: v = i32x4.extract_lane(v0, 0); break;
      case 1: v = i32x4.extract_lane(v0, 1); break;
      case 2: v = i32x4.extract_lane(v0, 2); break;
      case 3: v = i32x4.extract_lane(v0, 3); break;
      case 4: v = i32x4.extract_lane(v1, 0); break;
      case 5: v = i32x4.extract_lane(v1, 1); break;
      default: v = i32x4.extract_lane(v1, 2); break;
    }
    store<i32>(dst + (<usize>t << 2), v);
  }
}

/**
 * Quantized-linear epilogue: y[i][o] = f32(acc)·f32(inputScale·scales[o]) + bias[o], every
 * step in float32 exactly as the JS reference (Math.fround after each operation).
 */
export function dequantize_bias_s32f32(acc: usize, m: i32, n: i32, inputScale: f32, scales: usize, bias: usize, out: usize): void {
  const vs = f32x4.splat(inputScale);
  const n4 = n & ~3;
  for (let i = 0; i < m; i++) {
    const row = <usize>i * <usize>n;
    let o = 0;
    for (; o < n4; o += 4) {
      const oo = <usize>o << 2;
      let y = f32x4.mul(f32x4.convert_i32x4_s(v128.load(acc + ((row << 2) + oo))), f32x4.mul(vs, v128.load(scales + oo)));
      if (bias) y = f32x4.add(y, v128.load(bias + oo));
      v128.store(out + ((row << 2) + oo), y);
    }
    for (; o < n; o++) {
      const oo = <usize>o << 2;
      let y: f32 = <f32>load<i32>(acc + ((row << 2) + oo)) * (inputScale * load<f32>(scales + oo));
      if (bias) y += load<f32>(bias + oo);
      store<f32>(out + ((row << 2) + oo), y);
    }
  }
}
