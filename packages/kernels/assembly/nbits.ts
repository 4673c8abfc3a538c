// matmul_f32u4f32_1x1c32__wasmsimd: MatMulNBits (4-bit, onnxruntime layout) GEMV. Each byte
// holds k = 2t (low nibble) and 2t + 1 (high nibble); x is permuted once per call so the
// low and high nibble vectors meet contiguous x values: per chunk of C = min(blockSize, 32)
// values, the even-k entries first, then the odd-k ones.

/** xp[blocks·blockSize] = x (k values, zero padded) in the chunk permutation above. */
export function permute_x_nbits(x: usize, k: i32, blockSize: i32, blocks: i32, xp: usize): void {
  const chunk = blockSize < 32 ? blockSize : 32;
  const half = chunk >> 1;
  const total = blocks * blockSize;
  for (let c0 = 0; c0 < total; c0 += chunk) {
    for (let t = 0; t < half; t++) {
      const pe = c0 + 2 * t;
      const po = pe + 1;
      store<f32>(xp + (<usize>(c0 + t) << 2), pe < k ? load<f32>(x + (<usize>pe << 2)) : 0);
      store<f32>(xp + (<usize>(c0 + half + t) << 2), po < k ? load<f32>(x + (<usize>po << 2)) : 0);
    }
  }
}

function fma4(acc: v128, q16: v128, x: usize, offset: usize): v128 {
  // q16: eight int16 (q − zeroPoint); multiply with 8 floats at x + offset.
  const lo = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q16));
  const hi = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q16));
  return f32x4.add(f32x4.add(acc, f32x4.mul(lo, v128.load(x + offset))), f32x4.mul(hi, v128.load(x + offset + 16)));
}

/** y[j] = Σ_blocks scale·Σ x·(q − zp) + bias[j] for one row of x (already permuted). */
export function matmul_f32u4f32_1x1c32__wasmsimd(
  xp: usize,
  blocks: i32,
  blockSize: i32,
  n0: i32,
  n1: i32,
  weight: usize,
  scales: usize,
  zeroPoints: usize,
  bias: usize,
  y: usize,
): void {
  const half = <usize>(blockSize >> 1);
  const zeroBytesPerRow = <usize>((blocks + 1) >> 1);
  const mask = i8x16.splat(0x0f);
  for (let j = n0; j < n1; j++) {
    let total = f32x4.splat(0);
    let wp = weight + <usize>j * <usize>blocks * half;
    let xb = xp;
    for (let blk = 0; blk < blocks; blk++) {
      let zp: i32 = 8;
      if (zeroPoints) {
        const zb = <i32>load<u8>(zeroPoints + <usize>j * zeroBytesPerRow + <usize>(blk >> 1));
        zp = blk & 1 ? zb >> 4 : zb & 15;
      }
      const vz = i16x8.splat(<i16>zp);
      let acc = f32x4.splat(0);
      if (blockSize == 16) {
        const v = v128.load64_zero(wp);
        const lo = i16x8.sub(i16x8.extend_low_i8x16_u(v128.and(v, mask)), vz);
        const hi = i16x8.sub(i16x8.extend_low_i8x16_u(i8x16.shr_u(v, 4)), vz);
        acc = fma4(acc, lo, xb, 0);
        acc = fma4(acc, hi, xb, 32);
      } else {
        for (let c: usize = 0; c < half; c += 16) {
          const v = v128.load(wp + c);
          const lo = v128.and(v, mask);
          const hi = i8x16.shr_u(v, 4);
          const xc = xb + (c << 3);
          acc = fma4(acc, i16x8.sub(i16x8.extend_low_i8x16_u(lo), vz), xc, 0);
          acc = fma4(acc, i16x8.sub(i16x8.extend_high_i8x16_u(lo), vz), xc, 32);
          acc = fma4(acc, i16x8.sub(i16x8.extend_low_i8x16_u(hi), vz), xc, 64);
          acc = fma4(acc, i16x8.sub(i16x8.extend_high_i8x16_u(hi), vz), xc, 96);
        }
      }
      total = f32x4.add(total, f32x4.mul(acc, f32x4.splat(load<f32>(scales + ((<usize>j * <usize>blocks + <usize>blk) << 2)))));
      wp += half;
      xb += <usize>blockSize << 2;
    }
    let s: f32 = f32x4.extract_lane(total, 0) + f32x4.extract_lane(total, 1) + f32x4.extract_lane(total, 2) + f32x4.extract_lane(total, 3);
    if (bias) s += load<f32>(bias + (<usize>j << 2));
    store<f32>(y + (<usize>j << 2), s);
  }
}
