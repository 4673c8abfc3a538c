// matmul_f32u4f32_1x1c32__wasmsimd: MatMulNBits (4-bit, onnxruntime layout) GEMV. Each byte
// holds k = 2t (low nibble) and 2t + 1 (high nibble), so i32 lane l of 16 weight bytes holds
// k = 8l + i in its nibble i (bits 4i..4i+3).
// Changed from the first version (7.7 GOP/s at 1×4096×4096, which split the nibbles, widened
// u8→i16→i32, subtracted the zero point in i16 and converted): nibble i is isolated in place by
// one `and` (a ×2^4i that the permuted x undoes; nibble 7 by one shift), so four weights cost
// and + convert + mul + add. The zero point leaves the inner loop: Σ x·(q − zp) per block is
// Σ x·q − zp·Σ x, with Σ x per block computed once per call. V8 turns v128.const into a
// rematerialization inside the loop, so the masks are loaded from memory once per call.

// Masks 0xf << 4i for i = 0..3, four i32 lanes each.
const MASKS = memory.data<u8>(
  [
    15, 0, 0, 0, 15, 0, 0, 0, 15, 0, 0, 0, 15, 0, 0, 0,
    240, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0,
    0, 15, 0, 0, 0, 15, 0, 0, 0, 15, 0, 0, 0, 15, 0, 0,
    0, 240, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0, 0, 240, 0, 0,
  ],
  16,
);

/** Floats of permuted x per block: max(blockSize, 32) values, then 4 lane sums ×8. */
export function nbits_xp_floats_per_block(blockSize: i32): i32 {
  return (blockSize < 32 ? 32 : blockSize) + 4;
}

/**
 * Writes x in the order the kernel consumes, per block: for each chunk of C = min(blockSize, 32)
 * values, 8 vectors (nibble i) of 4 lanes, xp[chunk·32 + 4i + l] = x[c0 + 8l + i]·2^-4i
 * (i < 4; nibbles 4..6 are shifted down 16 bits first, so ×2^-4(i−4), and nibble 7 by 28, so ×1), lanes l ≥ C/8 and k past the end zero; then 4 floats
 * 8·Σ_{i,chunks} x[c0 + 8l + i] (lane l), the default zero point's share of Σ x·(q − zp).
 */
export function permute_x_nbits(x: usize, k: i32, blockSize: i32, blocks: i32, xp: usize): void {
  const chunk = blockSize < 32 ? blockSize : 32;
  const lanes = chunk >> 3;
  let dst = xp;
  for (let blk = 0; blk < blocks; blk++) {
    let s0: f32 = 0;
    let s1: f32 = 0;
    let s2: f32 = 0;
    let s3: f32 = 0;
    for (let c0 = blk * blockSize; c0 < (blk + 1) * blockSize; c0 += chunk) {
      for (let i = 0; i < 8; i++) {
        const unshift: f32 = i < 7 ? reinterpret<f32>((127 - 4 * (i & 3)) << 23) : 1;
        for (let l = 0; l < 4; l++) {
          const p = c0 + 8 * l + i;
          const v: f32 = l < lanes && p < k ? load<f32>(x + (<usize>p << 2)) : 0;
          store<f32>(dst, v * unshift);
          dst += 4;
          if (l == 0) s0 += v;
          else if (l == 1) s1 += v;
          else if (l == 2) s2 += v;
          else s3 += v;
        }
      }
    }
    store<f32>(dst, 8 * s0);
    store<f32>(dst, 8 * s1, 4);
    store<f32>(dst, 8 * s2, 8);
    store<f32>(dst, 8 * s3, 12);
    dst += 16;
  }
}

/**
 * Σ x·q over the 32 weights of 16 bytes (lanes: partial sums), x the 8 vectors at x. Nibbles
 * 4..6 come from the lanes shifted down 16 bits, so four masks cover seven nibbles: more
 * masks spilled to the stack in V8.
 */
function dot32(v: v128, x: usize, m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  const h = i32x4.shr_u(v, 16);
  const p0 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, m0)), v128.load(x));
  const p1 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, m1)), v128.load(x, 16));
  const p2 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, m2)), v128.load(x, 32));
  const p3 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(v, m3)), v128.load(x, 48));
  const p4 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(h, m0)), v128.load(x, 64));
  const p5 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(h, m1)), v128.load(x, 80));
  const p6 = f32x4.mul(f32x4.convert_i32x4_s(v128.and(h, m2)), v128.load(x, 96));
  const p7 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v, 28)), v128.load(x, 112));
  return f32x4.add(f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3)), f32x4.add(f32x4.add(p4, p5), f32x4.add(p6, p7)));
}

/** The block's zero-point term zp·Σ x (lanes), from the stored 8·Σ x. */
function zeroTerm(zeroPoints: usize, j: i32, zeroBytesPerRow: usize, blk: i32, sum8: v128): v128 {
  if (!zeroPoints) return sum8;
  const zb = <i32>load<u8>(zeroPoints + <usize>j * zeroBytesPerRow + <usize>(blk >> 1));
  const zp = blk & 1 ? zb >> 4 : zb & 15;
  return f32x4.mul(sum8, f32x4.splat(<f32>zp * 0.125));
}

/** y[j] = Σ_blocks scale·(Σ x·q − zp·Σ x) + bias[j] for one row of x (already permuted). */
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
  const rowBytes = <usize>blocks * half;
  const zeroBytesPerRow = <usize>((blocks + 1) >> 1);
  const xStride = <usize>nbits_xp_floats_per_block(blockSize) << 2;
  const sumAt = xStride - 16;
  const m0 = v128.load(MASKS);
  const m1 = v128.load(MASKS, 16);
  const m2 = v128.load(MASKS, 32);
  const m3 = v128.load(MASKS, 48);
  let j = n0;
  // Two output rows per pass share every x load.
  for (; j + 2 <= n1; j += 2) {
    let total0 = f32x4.splat(0);
    let total1 = f32x4.splat(0);
    let w0 = weight + <usize>j * rowBytes;
    let xb = xp;
    const sc0 = scales + ((<usize>j * <usize>blocks) << 2);
    const sc1 = sc0 + (<usize>blocks << 2);
    for (let blk = 0; blk < blocks; blk++) {
      let s0: v128;
      let s1: v128;
      if (blockSize == 32) {
        s0 = dot32(v128.load(w0), xb, m0, m1, m2, m3);
        s1 = dot32(v128.load(w0 + rowBytes), xb, m0, m1, m2, m3);
      } else if (blockSize == 16) {
        s0 = dot32(v128.load64_zero(w0), xb, m0, m1, m2, m3);
        s1 = dot32(v128.load64_zero(w0 + rowBytes), xb, m0, m1, m2, m3);
      } else {
        s0 = dot32(v128.load(w0), xb, m0, m1, m2, m3);
        s1 = dot32(v128.load(w0 + rowBytes), xb, m0, m1, m2, m3);
        for (let c: usize = 16; c < half; c += 16) {
          s0 = f32x4.add(s0, dot32(v128.load(w0 + c), xb + (c << 3), m0, m1, m2, m3));
          s1 = f32x4.add(s1, dot32(v128.load(w0 + rowBytes + c), xb + (c << 3), m0, m1, m2, m3));
        }
      }
      const sum8 = v128.load(xb + sumAt);
      s0 = f32x4.sub(s0, zeroTerm(zeroPoints, j, zeroBytesPerRow, blk, sum8));
      s1 = f32x4.sub(s1, zeroTerm(zeroPoints, j + 1, zeroBytesPerRow, blk, sum8));
      const o = <usize>blk << 2;
      total0 = f32x4.add(total0, f32x4.mul(s0, v128.load32_splat(sc0 + o)));
      total1 = f32x4.add(total1, f32x4.mul(s1, v128.load32_splat(sc1 + o)));
      w0 += half;
      xb += xStride;
    }
    storeDot(y, bias, j, total0);
    storeDot(y, bias, j + 1, total1);
  }
  if (j < n1) {
    // The last row of an odd range: the same arithmetic, one row.
    let total = f32x4.splat(0);
    let wp = weight + <usize>j * rowBytes;
    let xb = xp;
    const sc = scales + ((<usize>j * <usize>blocks) << 2);
    for (let blk = 0; blk < blocks; blk++) {
      let s = blockSize == 16 ? dot32(v128.load64_zero(wp), xb, m0, m1, m2, m3) : dot32(v128.load(wp), xb, m0, m1, m2, m3);
      for (let c: usize = 16; c < half; c += 16) s = f32x4.add(s, dot32(v128.load(wp + c), xb + (c << 3), m0, m1, m2, m3));
      s = f32x4.sub(s, zeroTerm(zeroPoints, j, zeroBytesPerRow, blk, v128.load(xb + sumAt)));
      total = f32x4.add(total, f32x4.mul(s, v128.load32_splat(sc + (<usize>blk << 2))));
      wp += half;
      xb += xStride;
    }
    storeDot(y, bias, j, total);
  }
}

function storeDot(y: usize, bias: usize, j: i32, total: v128): void {
  let s: f32 = f32x4.extract_lane(total, 0) + f32x4.extract_lane(total, 1) + f32x4.extract_lane(total, 2) + f32x4.extract_lane(total, 3);
  if (bias) s += load<f32>(bias + (<usize>j << 2));
  store<f32>(y + (<usize>j << 2), s);
}
