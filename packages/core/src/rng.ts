import { InvalidArgumentError } from "./errors";

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna) seeded through
 * splitmix32. Pure 32-bit integer arithmetic (`Math.imul`, shifts), so the same seed gives
 * the same sequence on every JavaScript engine and platform.
 */
export interface Rng {
  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform float in [low, high). */
  uniformRange(low: number, high: number): number;
  /** Uniform integer in [min, max] (both inclusive), without modulo bias. */
  integer(min: number, max: number): number;
  /** Normal sample (Box–Muller). */
  normal(mean?: number, standardDeviation?: number): number;
  /** Shuffles an array or typed array in place (Fisher–Yates) and returns it. */
  shuffleInPlace<T extends { length: number; [index: number]: unknown }>(array: T): T;
  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array;
  /** Fills `out` with normal samples and returns it. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean?: number, standardDeviation?: number): T;
  /** Fills `out` with uniform samples in [low, high) and returns it. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low?: number, high?: number): T;
  /** A new generator whose sequence is independent of (but determined by) this one. */
  fork(): Rng;
}

function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/** `createRng(seed)`: seed is any safe integer; the same seed always gives the same stream. */
export function createRng(seed: number): Rng {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError({
      message: `createRng: seed must be a safe integer, got ${String(seed)}`,
      argument: "seed",
      value: seed,
    });
  }
  // Mix both halves of the seed so seeds above 2^32 are distinct streams.
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  let sm = low ^ Math.imul(high, 0x632be5ab);
  let s0: number;
  let s1: number;
  let s2: number;
  let s3: number;
  [sm, s0] = splitmix32(sm);
  [sm, s1] = splitmix32(sm);
  [sm, s2] = splitmix32(sm);
  [sm, s3] = splitmix32(sm);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  let spareNormal: number | undefined;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  const uniform = (): number => {
    const a = nextUint32() >>> 5; // 27 bits
    const b = nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  };

  const normal = (mean = 0, standardDeviation = 1): number => {
    if (spareNormal !== undefined) {
      const z = spareNormal;
      spareNormal = undefined;
      return mean + standardDeviation * z;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    spareNormal = radius * Math.sin(2 * Math.PI * v);
    return mean + standardDeviation * radius * Math.cos(2 * Math.PI * v);
  };

  const integer = (min: number, max: number): number => {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new InvalidArgumentError({
        message: `Rng.integer: need integers min <= max, got min ${min}, max ${max}`,
        argument: "min",
        value: [min, max],
      });
    }
    const span = max - min + 1;
    if (span <= 4294967296) {
      // Rejection sampling removes modulo bias.
      const limit = 4294967296 - (4294967296 % span);
      let x = nextUint32();
      while (x >= limit) x = nextUint32();
      return min + (x % span);
    }
    return min + Math.floor(uniform() * span);
  };

  const rng: Rng = {
    nextUint32,
    uniform,
    uniformRange: (low, high) => low + (high - low) * uniform(),
    integer,
    normal,
    shuffleInPlace(array) {
      for (let i = array.length - 1; i > 0; i--) {
        const j = integer(0, i);
        const tmp = array[i];
        array[i] = array[j];
        array[j] = tmp;
      }
      return array;
    },
    permutation(n) {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = i;
      return rng.shuffleInPlace(out);
    },
    fillNormal(out, mean = 0, standardDeviation = 1) {
      for (let i = 0; i < out.length; i++) out[i] = normal(mean, standardDeviation);
      return out;
    },
    fillUniform(out, low = 0, high = 1) {
      for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * uniform();
      return out;
    },
    fork() {
      return createRng(nextUint32() * 2097152 + (nextUint32() >>> 11));
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
