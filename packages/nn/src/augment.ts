import { assertInteger, type Rng, type Tensor } from "@mc/core";

/** A training-time input transform; gets the batch and the loop's seeded augmentation stream. */
export type Augmentation = (input: Tensor, rng: Rng) => Tensor;

/**
 * Random translation of every image in an NCHW batch by whole pixels, dx and dy drawn
 * uniformly from [-maxShift, maxShift] per sample, vacated pixels set to 0 (MNIST background).
 */
export function randomShift(options: { maxShift?: number } = {}): Augmentation {
  const maxShift = assertInteger(options.maxShift ?? 2, "randomShift", "options.maxShift", { min: 0 });
  return (input, rng) => {
    if (input.shape.length !== 4) return input;
    const [batch, channels, height, width] = input.shape as [number, number, number, number];
    const out = new Float32Array(input.data.length);
    const plane = height * width;
    for (let b = 0; b < batch; b++) {
      const dy = rng.integer(-maxShift, maxShift);
      const dx = rng.integer(-maxShift, maxShift);
      for (let c = 0; c < channels; c++) {
        const base = (b * channels + c) * plane;
        for (let y = 0; y < height; y++) {
          const sy = y - dy;
          if (sy < 0 || sy >= height) continue;
          for (let x = 0; x < width; x++) {
            const sx = x - dx;
            if (sx >= 0 && sx < width) out[base + y * width + x] = input.data[base + sy * width + sx] as number;
          }
        }
      }
    }
    return { data: out, shape: input.shape };
  };
}
