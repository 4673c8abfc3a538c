// dynamic_quantize_linear_f32u8__wasmsimd: ONNX DynamicQuantizeLinear. f32x4.div and
// f32x4.nearest (ties to even) give the same float32 results as the JS reference's
// Math.fround(x / scale) and roundHalfEven.

/** Writes [min(0, xMin), max(0, xMax)] as two f32 at out; NaN propagates so the caller can fall back. */
export function minmax_f32(x: usize, count: i32, out: usize): void {
  let vmin = f32x4.splat(0);
  let vmax = f32x4.splat(0);
  const c4 = count & ~3;
  let i = 0;
  for (; i < c4; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    vmin = f32x4.min(vmin, v);
    vmax = f32x4.max(vmax, v);
  }
  let lo = min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
  let hi = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
  for (; i < count; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  store<f32>(out, lo);
  store<f32>(out, hi, 4);
}

/**
 * q = saturate(nearest(x / scale) + zeroPoint) to [0, 255]. Writes uint8 to `outU8` when
 * non-zero, and (q − zeroPoint) as int16 rows [m][kpad] to `outS16` when non-zero.
 */
export function quantize_f32u8(x: usize, m: i32, k: i32, scale: f32, zeroPoint: i32, outU8: usize, outS16: usize): void {
  const vs = f32x4.splat(scale);
  const vz = i32x4.splat(zeroPoint);
  const v0 = i32x4.splat(0);
  const v255 = i32x4.splat(255);
  const kpad = (k + 1) & ~1;
  const k4 = k & ~3;
  for (let i = 0; i < m; i++) {
    const xr = x + ((<usize>i * <usize>k) << 2);
    const ur = outU8 + <usize>i * <usize>k;
    const sr = outS16 + ((<usize>i * <usize>kpad) << 1);
    let p = 0;
    for (; p < k4; p += 4) {
      const r = f32x4.nearest(f32x4.div(v128.load(xr + (<usize>p << 2)), vs));
      const q = i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.trunc_sat_f32x4_s(r), vz), v0), v255);
      if (outU8) {
        const b16 = i16x8.narrow_i32x4_s(q, q);
        store<u32>(ur + p, i32x4.extract_lane(i8x16.narrow_i16x8_u(b16, b16), 0));
      }
      if (outS16) {
        const s = i32x4.sub(q, vz);
        v128.store64_lane(sr + (<usize>p << 1), i16x8.narrow_i32x4_s(s, s), 0);
      }
    }
    for (; p < k; p++) {
      let q = <i32>nearest(load<f32>(xr + (<usize>p << 2)) / scale) + zeroPoint;
      q = q < 0 ? 0 : q > 255 ? 255 : q;
      if (outU8) store<u8>(ur + p, q);
      if (outS16) store<i16>(sr + (<usize>p << 1), q - zeroPoint);
    }
    if (outS16 && (k & 1)) store<i16>(sr + (<usize>k << 1), 0);
  }
}
