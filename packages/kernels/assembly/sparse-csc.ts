// spmv_f32csclut_1x1__wasmsimd / spmm_f32csclut_x4__wasmsimd: sparse (CSC) products that skip
// zero activations, as EIE (Han et al., ISCA 2016) does for Deep Compression's layers. The weight is
// stored by input column, so a zero input (MNIST background pixels, ReLU outputs) skips its whole
// column. Operands come from a pack that was validated once (row indices < rows, codes inside the
// codebook), so these kernels do no index checks: they are only ever called on resident packs.

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
  colPointers: usize,
  rowIndices: usize,
  values: usize,
  codes: usize,
  codeBytes: i32,
  codebook: usize,
  x: usize,
  rows: i32,
  cols: i32,
  batch: i32,
  bias: usize,
  relu: i32,
  y: usize,
): void {
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
 * Four batch rows at once, lanes across the batch: y4[r][0..3] += W[r][c] · xt[c][0..3] for every
 * column c whose four inputs are not all zero. y4 [rows×4] must be zeroed by the caller.
 */
export function spmm_f32csclut_x4__wasmsimd(
  colPointers: usize,
  rowIndices: usize,
  values: usize,
  codes: usize,
  codeBytes: i32,
  codebook: usize,
  xt: usize,
  cols: i32,
  y4: usize,
): void {
  for (let c = 0; c < cols; c++) {
    const xc = v128.load(xt + (<usize>c << 4));
    if (!v128.any_true(xc)) continue;
    const e1 = load<i32>(colPointers + (<usize>c << 2), 4);
    const e0 = load<i32>(colPointers + (<usize>c << 2));
    if (codeBytes == 1) {
      for (let e = e0; e < e1; e++) {
        const at = y4 + (<usize>load<i32>(rowIndices + (<usize>e << 2)) << 4);
        const w = v128.load32_splat(codebook + (<usize>load<u8>(codes + <usize>e) << 2));
        v128.store(at, f32x4.add(v128.load(at), f32x4.mul(w, xc)));
      }
    } else {
      for (let e = e0; e < e1; e++) {
        const at = y4 + (<usize>load<i32>(rowIndices + (<usize>e << 2)) << 4);
        const w = f32x4.splat(weightAt(values, codes, codeBytes, codebook, e));
        v128.store(at, f32x4.add(v128.load(at), f32x4.mul(w, xc)));
      }
    }
  }
}

/** xt[c][l] = x[(b0 + l)·cols + c] for l < lanes, 0 for the idle lanes. */
export function transpose_x4_f32(x: usize, cols: i32, b0: i32, lanes: i32, xt: usize): void {
  const base = x + ((<usize>b0 * <usize>cols) << 2);
  const stride = <usize>cols << 2;
  if (lanes == 4) {
    for (let c = 0; c < cols; c++) {
      const at = base + (<usize>c << 2);
      let v = v128.load32_zero(at);
      v = f32x4.replace_lane(v, 1, load<f32>(at + stride));
      v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * stride));
      v128.store(xt + (<usize>c << 4), f32x4.replace_lane(v, 3, load<f32>(at + 3 * stride)));
    }
    return;
  }
  memory.fill(xt, 0, <usize>cols << 4);
  for (let l = 0; l < lanes; l++)
    for (let c = 0; c < cols; c++)
      store<f32>(xt + (<usize>c << 4) + (<usize>l << 2), load<f32>(base + <usize>l * stride + (<usize>c << 2)));
}

/** y[(b0 + l)·rows + r] = act(y4[r][l] + bias[r]) for l < lanes; act is max(0, ·) when relu ≠ 0. */
export function untranspose_x4_f32(y4: usize, rows: i32, lanes: i32, bias: usize, relu: i32, y: usize, b0: i32): void {
  const base = y + ((<usize>b0 * <usize>rows) << 2);
  for (let l = 0; l < lanes; l++) {
    const row = base + ((<usize>l * <usize>rows) << 2);
    for (let r = 0; r < rows; r++) {
      let v = load<f32>(y4 + (<usize>r << 4) + (<usize>l << 2));
      if (bias != 0) v += load<f32>(bias + (<usize>r << 2));
      if (relu != 0) v = max<f32>(v, 0);
      store<f32>(row + (<usize>r << 2), v);
    }
  }
}
