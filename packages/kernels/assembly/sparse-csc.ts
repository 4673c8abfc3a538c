// spmv_f32csclut_1x1__wasmsimd / spmm_f32csclut_x8__wasmsimd: sparse (CSC) products that skip
// zero activations, as EIE (Han et al., ISCA 2016) does for Deep Compression's layers. The weight is
// stored by input column, so a zero input (MNIST background pixels, ReLU outputs) skips its whole
// column. Operands come from a pack that was validated once (row indices < rows, codes inside the
// codebook), so these kernels do no index checks: they are only ever called on resident packs.
//
// A resident pack is described by six i32 words the JavaScript side writes next to it:
// colPointers, rowIndices, values, codes, codeBytes (0 = values, 1 or 2 = codes), codebook.

/** Weight of stored entry e: values[e] (codeBytes 0) or codebook[codes[e]] (1 or 2 bytes per code). */
function weightAt(values: usize, codes: usize, codeBytes: i32, codebook: usize, e: i32): f32 {
  if (codeBytes == 0) return load<f32>(values + (<usize>e << 2));
  if (codeBytes == 1) return load<f32>(codebook + (<usize>load<u8>(codes + <usize>e) << 2));
  return load<f32>(codebook + (<usize>load<u16>(codes + (<usize>e << 1)) << 2));
}

/**
 * For each batch row b: y[b][r] = bias[r] + Σ_c x[b][c] · W[r][c] over the stored entries of the
 * columns with x[b][c] ≠ 0, then max(0, ·) when relu ≠ 0. bias = 0 means none.
 */
export function spmv_f32csclut_1x1__wasmsimd(
  pack: usize,
  x: usize,
  rows: i32,
  cols: i32,
  batch: i32,
  bias: usize,
  relu: i32,
  y: usize,
): void {
  const colPointers = <usize>load<i32>(pack);
  const rowIndices = <usize>load<i32>(pack, 4);
  const values = <usize>load<i32>(pack, 8);
  const codes = <usize>load<i32>(pack, 12);
  const codeBytes = load<i32>(pack, 16);
  const codebook = <usize>load<i32>(pack, 20);
  for (let b = 0; b < batch; b++) {
    const xb = x + ((<usize>b * <usize>cols) << 2);
    const yb = y + ((<usize>b * <usize>rows) << 2);
    if (bias != 0) memory.copy(yb, bias, <usize>rows << 2);
    else memory.fill(yb, 0, <usize>rows << 2);
    for (let c = 0; c < cols; c++) {
      const xv = load<f32>(xb + (<usize>c << 2));
      if (xv == 0) continue;
      const e1 = load<i32>(colPointers + (<usize>c << 2), 4);
      for (let e = load<i32>(colPointers + (<usize>c << 2)); e < e1; e++) {
        const at = yb + (<usize>load<i32>(rowIndices + (<usize>e << 2)) << 2);
        store<f32>(at, load<f32>(at) + xv * weightAt(values, codes, codeBytes, codebook, e));
      }
    }
    if (relu != 0) reluInPlace(yb, rows);
  }
}

function reluInPlace(y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), f32x4.max(v128.load(y + (<usize>i << 2)), zero));
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), max<f32>(load<f32>(y + (<usize>i << 2)), 0));
}

/**
 * Eight samples at once, lanes across the batch: y8[r][0..7] += W[r][c] · xt[c][0..7] for every
 * column c whose eight inputs are not all zero. y8 [rows×8] must be zeroed by the caller.
 */
export function spmm_f32csclut_x8__wasmsimd(pack: usize, xt: usize, cols: i32, y8: usize): void {
  const colPointers = <usize>load<i32>(pack);
  const rowIndices = <usize>load<i32>(pack, 4);
  const values = <usize>load<i32>(pack, 8);
  const codes = <usize>load<i32>(pack, 12);
  const codeBytes = load<i32>(pack, 16);
  const codebook = <usize>load<i32>(pack, 20);
  for (let c = 0; c < cols; c++) {
    const xa = v128.load(xt + (<usize>c << 5));
    const xb = v128.load(xt + (<usize>c << 5), 16);
    if (!v128.any_true(v128.or(xa, xb))) continue;
    const e1 = load<i32>(colPointers + (<usize>c << 2), 4);
    const e0 = load<i32>(colPointers + (<usize>c << 2));
    if (codeBytes == 1) {
      for (let e = e0; e < e1; e++) {
        const at = y8 + (<usize>load<i32>(rowIndices + (<usize>e << 2)) << 5);
        const w = v128.load32_splat(codebook + (<usize>load<u8>(codes + <usize>e) << 2));
        v128.store(at, f32x4.add(v128.load(at), f32x4.mul(w, xa)));
        v128.store(at, f32x4.add(v128.load(at, 16), f32x4.mul(w, xb)), 16);
      }
    } else {
      for (let e = e0; e < e1; e++) {
        const at = y8 + (<usize>load<i32>(rowIndices + (<usize>e << 2)) << 5);
        const w = f32x4.splat(weightAt(values, codes, codeBytes, codebook, e));
        v128.store(at, f32x4.add(v128.load(at), f32x4.mul(w, xa)));
        v128.store(at, f32x4.add(v128.load(at, 16), f32x4.mul(w, xb)), 16);
      }
    }
  }
}

/** Transposes the 4×4 block of f32 rows a, b, c, d (lane j of result k = row j's lane k), stored `stride` bytes apart. */
function transpose4(a: v128, b: v128, c: v128, d: v128, out: usize, stride: usize): void {
  const ab01 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const cd01 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
  const ab23 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const cd23 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<i32>(ab01, cd01, 0, 1, 4, 5));
  v128.store(out + stride, v128.shuffle<i32>(ab01, cd01, 2, 3, 6, 7));
  v128.store(out + 2 * stride, v128.shuffle<i32>(ab23, cd23, 0, 1, 4, 5));
  v128.store(out + 3 * stride, v128.shuffle<i32>(ab23, cd23, 2, 3, 6, 7));
}

/** xt[c][l] = x[(b0 + l)·cols + c] for l < lanes, 0 for the idle lanes of the 8. */
export function transpose_x8_f32(x: usize, cols: i32, b0: i32, lanes: i32, xt: usize): void {
  const base = x + ((<usize>b0 * <usize>cols) << 2);
  const stride = <usize>cols << 2;
  if (lanes == 8) {
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      for (let half = 0; half < 2; half++) {
        const src = base + <usize>(4 * half) * stride + (<usize>c << 2);
        const r0 = v128.load(src);
        const r1 = v128.load(src + stride);
        const r2 = v128.load(src + 2 * stride);
        const r3 = v128.load(src + 3 * stride);
        transpose4(r0, r1, r2, r3, xt + (<usize>c << 5) + (<usize>half << 4), 32);
      }
    }
    for (; c < cols; c++)
      for (let l = 0; l < 8; l++)
        store<f32>(xt + (<usize>c << 5) + (<usize>l << 2), load<f32>(base + <usize>l * stride + (<usize>c << 2)));
    return;
  }
  memory.fill(xt, 0, <usize>cols << 5);
  for (let l = 0; l < lanes; l++) {
    const src = base + <usize>l * stride;
    const dst = xt + (<usize>l << 2);
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>c << 5), load<f32>(src + (<usize>c << 2)));
  }
}

/** y[(b0 + l)·rows + r] = act(y8[r][l] + bias[r]) for l < lanes; act is max(0, ·) when relu ≠ 0. */
export function untranspose_x8_f32(y8: usize, rows: i32, lanes: i32, bias: usize, relu: i32, y: usize, b0: i32): void {
  const base = y + ((<usize>b0 * <usize>rows) << 2);
  const stride = <usize>rows << 2;
  let r = 0;
  if (lanes == 8) {
    // Four output rows at a time: y8's 4×4 blocks transposed straight into the samples' rows.
    for (; r + 4 <= rows; r += 4) {
      for (let half = 0; half < 2; half++) {
        const src = y8 + (<usize>r << 5) + (<usize>half << 4);
        const dst = base + <usize>(4 * half) * stride + (<usize>r << 2);
        transpose4(v128.load(src), v128.load(src, 32), v128.load(src, 64), v128.load(src, 96), dst, stride);
      }
    }
    if (bias != 0 || relu != 0) {
      const zero = f32x4.splat(0);
      for (let l = 0; l < 8; l++) {
        const row = base + <usize>l * stride;
        for (let i = 0; i < r; i += 4) {
          let v = v128.load(row + (<usize>i << 2));
          if (bias != 0) v = f32x4.add(v, v128.load(bias + (<usize>i << 2)));
          if (relu != 0) v = f32x4.max(v, zero);
          v128.store(row + (<usize>i << 2), v);
        }
      }
    }
  }
  for (let l = 0; l < lanes; l++) {
    const row = base + <usize>l * stride;
    for (let i = r; i < rows; i++) {
      let v = load<f32>(y8 + (<usize>i << 5) + (<usize>l << 2));
      if (bias != 0) v += load<f32>(bias + (<usize>i << 2));
      if (relu != 0) v = max<f32>(v, 0);
      store<f32>(row + (<usize>i << 2), v);
    }
  }
}

/**
 * Direct sparse convolution (stride 1, no padding), in the style of Park et al. (ICLR 2017):
 * y[b][o][oy][ox] = act(bias[o] + Σ_e w_e · x[b][offset_e + oy·width + ox]) over output channel
 * o's stored entries e, where offset_e = c·height·width + ky·width + kx was precomputed for this
 * input size. The lanes run along ox, so every x load is contiguous (no gather). `pack` is a
 * descriptor of three words: rowPointers, the entries' offsets, and their fp32 values (codebook
 * weights are expanded per entry when the pack is copied in: convolution packs are small, and it
 * takes the code lookup out of the inner loop).
 */
export function spconv_f32csr_4x4__wasmsimd(
  pack: usize,
  x: usize,
  batch: i32,
  inChannels: i32,
  height: i32,
  width: i32,
  outChannels: i32,
  kernelSize: i32,
  bias: usize,
  relu: i32,
  y: usize,
): void {
  const rowPointers = <usize>load<i32>(pack);
  const offsets = <usize>load<i32>(pack, 4);
  const values = <usize>load<i32>(pack, 8);
  const outHeight = height - kernelSize + 1;
  const outWidth = width - kernelSize + 1;
  const plane = <usize>outHeight * <usize>outWidth;
  const stride = <usize>width << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < batch; b++) {
    const xb = x + ((<usize>b * <usize>inChannels * <usize>height * <usize>width) << 2);
    for (let o = 0; o < outChannels; o++) {
      const e0 = load<i32>(rowPointers + (<usize>o << 2));
      const e1 = load<i32>(rowPointers + (<usize>o << 2), 4);
      const start = bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0;
      const yo = y + (((<usize>b * <usize>outChannels + <usize>o) * plane) << 2);
      // Tiles of four output rows × four columns live in four registers while every stored weight
      // of this channel goes by (one decode per weight and tile, no memory round trip per add).
      for (let oy = 0; oy < outHeight; oy += 4) {
        const rows = min(4, outHeight - oy);
        const xr = xb + <usize>oy * stride;
        const yr = yo + ((<usize>oy * <usize>outWidth) << 2);
        const ys = <usize>outWidth << 2;
        let ox = 0;
        for (; ox + 4 <= outWidth; ox += 4) {
          const column = <usize>ox << 2;
          let a0 = f32x4.splat(start);
          let a1 = a0;
          let a2 = a0;
          let a3 = a0;
          if (rows == 4) {
            for (let e = e0; e < e1; e++) {
              const w = v128.load32_splat(values + (<usize>e << 2));
              const src = xr + (<usize>load<i32>(offsets + (<usize>e << 2)) << 2) + column;
              a0 = f32x4.add(a0, f32x4.mul(w, v128.load(src)));
              a1 = f32x4.add(a1, f32x4.mul(w, v128.load(src + stride)));
              a2 = f32x4.add(a2, f32x4.mul(w, v128.load(src + 2 * stride)));
              a3 = f32x4.add(a3, f32x4.mul(w, v128.load(src + 3 * stride)));
            }
          } else {
            for (let e = e0; e < e1; e++) {
              const w = v128.load32_splat(values + (<usize>e << 2));
              const src = xr + (<usize>load<i32>(offsets + (<usize>e << 2)) << 2) + column;
              a0 = f32x4.add(a0, f32x4.mul(w, v128.load(src)));
              if (rows > 1) a1 = f32x4.add(a1, f32x4.mul(w, v128.load(src + stride)));
              if (rows > 2) a2 = f32x4.add(a2, f32x4.mul(w, v128.load(src + 2 * stride)));
            }
          }
          if (relu != 0) {
            a0 = f32x4.max(a0, zero);
            a1 = f32x4.max(a1, zero);
            a2 = f32x4.max(a2, zero);
            a3 = f32x4.max(a3, zero);
          }
          v128.store(yr + column, a0);
          if (rows > 1) v128.store(yr + ys + column, a1);
          if (rows > 2) v128.store(yr + 2 * ys + column, a2);
          if (rows > 3) v128.store(yr + 3 * ys + column, a3);
        }
        for (; ox < outWidth; ox++) {
          for (let r = 0; r < rows; r++) {
            let acc = start;
            const src = xr + <usize>r * stride + (<usize>ox << 2);
            for (let e = e0; e < e1; e++)
              acc += load<f32>(values + (<usize>e << 2)) * load<f32>(src + (<usize>load<i32>(offsets + (<usize>e << 2)) << 2));
            store<f32>(yr + <usize>r * ys + (<usize>ox << 2), relu != 0 ? max<f32>(acc, 0) : acc);
          }
        }
      }
    }
  }
}
