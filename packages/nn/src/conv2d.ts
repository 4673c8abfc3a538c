import { assertInteger, createRng, formatShape, ShapeMismatchError, type Tensor } from "@mc/core";
import { gemm } from "./gemm";
import { assertGradShape, assertInput, Module, type Parameter, requireCache } from "./module";

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
  seed?: number;
}

interface ConvGeometry {
  batch: number;
  channels: number;
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
}

/**
 * 2-D convolution (cross-correlation, like PyTorch) on NCHW input, weight
 * [outChannels, inChannels, kernel, kernel]. im2col turns the whole batch into one
 * [batch·outH·outW, inChannels·k·k] matrix so forward and both gradients are single GEMMs.
 * Initialized like PyTorch: U(-1/√fanIn, 1/√fanIn).
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  private cache: { input: Tensor; columns: Float32Array; weight: Float32Array; geometry: ConvGeometry } | undefined;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv2dOptions = {}) {
    super();
    const { stride = 1, padding = 0, bias = true, seed = 0 } = options;
    this.inChannels = assertInteger(inChannels, "Conv2d", "inChannels", { min: 1 });
    this.outChannels = assertInteger(outChannels, "Conv2d", "outChannels", { min: 1 });
    this.kernelSize = assertInteger(kernelSize, "Conv2d", "kernelSize", { min: 1 });
    this.stride = assertInteger(stride, "Conv2d", "options.stride", { min: 1 });
    this.padding = assertInteger(padding, "Conv2d", "options.padding", { min: 0 });
    const fanIn = inChannels * kernelSize * kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    const rng = createRng(seed);
    const weight = rng.fillUniform(new Float32Array(outChannels * fanIn), -bound, bound);
    this.weight = this.addParameter(
      "weight",
      { data: weight, shape: [outChannels, inChannels, kernelSize, kernelSize] },
      "conv.weight",
    );
    if (bias) {
      const values = rng.fillUniform(new Float32Array(outChannels), -bound, bound);
      this.bias = this.addParameter("bias", { data: values, shape: [outChannels] }, "bias");
    }
  }

  private geometry(input: Tensor): ConvGeometry {
    assertInput(input, "Conv2d.forward", 4);
    const [batch, channels, height, width] = input.shape as [number, number, number, number];
    if (input.shape.length !== 4 || channels !== this.inChannels) {
      throw new ShapeMismatchError({
        message: `Conv2d.forward: input has shape ${formatShape(input.shape)} but this layer expects [batch, ${this.inChannels}, height, width]`,
        actual: input.shape,
      });
    }
    const outHeight = Math.floor((height + 2 * this.padding - this.kernelSize) / this.stride) + 1;
    const outWidth = Math.floor((width + 2 * this.padding - this.kernelSize) / this.stride) + 1;
    if (outHeight < 1 || outWidth < 1) {
      throw new ShapeMismatchError({
        message: `Conv2d.forward: input ${formatShape(input.shape)} is smaller than the ${this.kernelSize}×${this.kernelSize} kernel (padding ${this.padding})`,
        actual: input.shape,
      });
    }
    return { batch, channels, height, width, outHeight, outWidth };
  }

  forward(input: Tensor): Tensor {
    const g = this.geometry(input);
    const { batch, outHeight, outWidth } = g;
    const pixels = outHeight * outWidth;
    const patch = this.inChannels * this.kernelSize * this.kernelSize;
    const columns = im2col(input.data, g, this.kernelSize, this.stride, this.padding);
    const weight = this.weight.effectiveValue();
    const rows = gemm(columns, weight, { m: batch * pixels, k: patch, n: this.outChannels, transposeB: true });
    const out = new Float32Array(batch * this.outChannels * pixels);
    const bias = this.bias?.effectiveValue();
    const channelsOut = this.outChannels;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < channelsOut; o++) {
        const add = bias ? (bias[o] as number) : 0;
        const dst = (b * channelsOut + o) * pixels;
        for (let p = 0; p < pixels; p++) out[dst + p] = (rows[(b * pixels + p) * channelsOut + o] as number) + add;
      }
    }
    this.cache = { input, columns, weight, geometry: g };
    return { data: out, shape: [batch, channelsOut, outHeight, outWidth] };
  }

  backward(gradOutput: Tensor): Tensor {
    const { input, columns, weight, geometry } = requireCache(this.cache, "Conv2d.backward");
    const { batch, outHeight, outWidth } = geometry;
    const channelsOut = this.outChannels;
    assertGradShape(gradOutput, [batch, channelsOut, outHeight, outWidth], "Conv2d.backward");
    const pixels = outHeight * outWidth;
    const patch = this.inChannels * this.kernelSize * this.kernelSize;
    const rows = new Float32Array(batch * pixels * channelsOut);
    const g = gradOutput.data;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < channelsOut; o++) {
        const src = (b * channelsOut + o) * pixels;
        for (let p = 0; p < pixels; p++) rows[(b * pixels + p) * channelsOut + o] = g[src + p] as number;
      }
    }
    const m = batch * pixels;
    if (this.weight.hasBackwardHooks()) {
      this.weight.accumulateGrad(gemm(rows, columns, { m: channelsOut, k: m, n: patch, transposeA: true }));
    } else {
      gemm(rows, columns, { m: channelsOut, k: m, n: patch, transposeA: true, beta: 1, c: this.weight.grad });
    }
    if (this.bias) {
      const gb = new Float32Array(channelsOut);
      for (let r = 0; r < m; r++) {
        for (let o = 0; o < channelsOut; o++) gb[o] = (gb[o] as number) + (rows[r * channelsOut + o] as number);
      }
      this.bias.accumulateGrad(gb);
    }
    const gradColumns = gemm(rows, weight, { m, k: channelsOut, n: patch });
    const gradInput = col2im(gradColumns, geometry, this.kernelSize, this.stride, this.padding);
    return { data: gradInput, shape: input.shape };
  }
}

/** Rows (b, oy, ox), columns (c, ky, kx); zero where the window hangs over the padding. */
function im2col(x: Float32Array, g: ConvGeometry, kernel: number, stride: number, padding: number): Float32Array {
  const { batch, channels, height, width, outHeight, outWidth } = g;
  const patch = channels * kernel * kernel;
  const columns = new Float32Array(batch * outHeight * outWidth * patch);
  let row = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        let col = row * patch;
        for (let c = 0; c < channels; c++) {
          const plane = (b * channels + c) * height;
          for (let ky = 0; ky < kernel; ky++) {
            const iy = oy * stride - padding + ky;
            const inside = iy >= 0 && iy < height;
            const base = (plane + iy) * width;
            for (let kx = 0; kx < kernel; kx++) {
              const ix = ox * stride - padding + kx;
              columns[col++] = inside && ix >= 0 && ix < width ? (x[base + ix] as number) : 0;
            }
          }
        }
        row++;
      }
    }
  }
  return columns;
}

/** Adjoint of im2col: scatters column gradients back, summing overlaps. */
function col2im(columns: Float32Array, g: ConvGeometry, kernel: number, stride: number, padding: number): Float32Array {
  const { batch, channels, height, width, outHeight, outWidth } = g;
  const out = new Float32Array(batch * channels * height * width);
  let col = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        for (let c = 0; c < channels; c++) {
          const plane = (b * channels + c) * height;
          for (let ky = 0; ky < kernel; ky++) {
            const iy = oy * stride - padding + ky;
            const inside = iy >= 0 && iy < height;
            const base = (plane + iy) * width;
            for (let kx = 0; kx < kernel; kx++) {
              const ix = ox * stride - padding + kx;
              if (inside && ix >= 0 && ix < width)
                out[base + ix] = (out[base + ix] as number) + (columns[col] as number);
              col++;
            }
          }
        }
      }
    }
  }
  return out;
}
