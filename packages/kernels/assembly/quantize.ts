import { a16PairStride, a16RowBase } from "./gemm-s16";

// dynamic_quantize_linear_f32u8__wasmsimd: ONNX DynamicQuantizeLinear. f32x4.div and
// f32x4.nearest (ties to even) give the same float32 results as the JS reference's
// Math.fround(x / scale) and roundHalfEven.

/**
 * Writes [min(0, xMin), max(0, xMax)] as two f32 at out, or NaN when x holds a NaN, so the
 * caller can fall back. pmin/pmax are one instruction each in V8 (min/max with NaN rules are
 * several), and a NaN is caught by a self-compare.
 */
export function minmax_f32(x: usize, count: i32, out: usize): void {
  let vmin = f32x4.splat(0);
  let vmax = f32x4.splat(0);
  let nan = i32x4.splat(0);
  const c4 = count & ~3;
  let i = 0;
  for (; i < c4; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    vmin = f32x4.pmin(vmin, v);
    vmax = f32x4.pmax(vmax, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  let lo = min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
  let hi = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
  if (v128.any_true(nan)) lo = NaN;
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
 * non-zero, and (q − zeroPoint) as int16 to `outS16` when non-zero, in the A16 layout of
 * gemm-s16.ts (4-row panels interleaved per k pair, the last m mod 4 rows row-major).
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
    const sr = a16RowBase(outS16, i, m, kpad);
    const stride = a16PairStride(i, m);
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
        const s16 = i16x8.narrow_i32x4_s(s, s);
        if (stride == 4) {
          v128.store64_lane(sr + (<usize>p << 1), s16, 0);
        } else {
          v128.store32_lane(sr + (<usize>(p >> 1) << 4), s16, 0);
          v128.store32_lane(sr + (<usize>(p >> 1) << 4), s16, 1, 16);
        }
      }
    }
    for (; p < k; p++) {
      let q = <i32>nearest(load<f32>(xr + (<usize>p << 2)) / scale) + zeroPoint;
      q = q < 0 ? 0 : q > 255 ? 255 : q;
      if (outU8) store<u8>(ur + p, q);
      if (outS16) store<i16>(sr + <usize>(p >> 1) * stride + (<usize>(p & 1) << 1), q - zeroPoint);
    }
    if (outS16 && (k & 1)) store<i16>(sr + <usize>(k >> 1) * stride + 2, 0);
  }
}
