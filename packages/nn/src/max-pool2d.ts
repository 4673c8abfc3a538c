import { assertInteger, formatShape, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertGradShape, assertInput, Module, requireCache } from "./module";

/**
 * Max pooling over k×k windows of NCHW input (no padding; stride defaults to k). The gradient
 * goes to the first maximal element of each window, as in PyTorch.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  private cache: { inputShape: readonly number[]; argmax: Int32Array; outputShape: number[] } | undefined;

  constructor(kernelSize: number, options: { stride?: number } = {}) {
    super();
    this.kernelSize = assertInteger(kernelSize, "MaxPool2d", "kernelSize", { min: 1 });
    this.stride = assertInteger(options.stride ?? kernelSize, "MaxPool2d", "options.stride", { min: 1 });
  }

  forward(input: Tensor): Tensor {
    assertInput(input, "MaxPool2d.forward", 4);
    if (input.shape.length !== 4) {
      throw new ShapeMismatchError({
        message: `MaxPool2d.forward: input must be [batch, channels, height, width], got ${formatShape(input.shape)}`,
        actual: input.shape,
      });
    }
    const [batch, channels, height, width] = input.shape as [number, number, number, number];
    const k = this.kernelSize;
    const s = this.stride;
    const outHeight = Math.floor((height - k) / s) + 1;
    const outWidth = Math.floor((width - k) / s) + 1;
    if (outHeight < 1 || outWidth < 1) {
      throw new ShapeMismatchError({
        message: `MaxPool2d.forward: input ${formatShape(input.shape)} is smaller than the ${k}×${k} window`,
        actual: input.shape,
      });
    }
    const x = input.data;
    const out = new Float32Array(batch * channels * outHeight * outWidth);
    const argmax = new Int32Array(out.length);
    let o = 0;
    for (let plane = 0; plane < batch * channels; plane++) {
      const base = plane * height * width;
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++) {
          let best = base + oy * s * width + ox * s;
          let bestValue = x[best] as number;
          for (let ky = 0; ky < k; ky++) {
            const rowBase = base + (oy * s + ky) * width + ox * s;
            for (let kx = 0; kx < k; kx++) {
              const v = x[rowBase + kx] as number;
              if (v > bestValue) {
                bestValue = v;
                best = rowBase + kx;
              }
            }
          }
          out[o] = bestValue;
          argmax[o] = best;
          o++;
        }
      }
    }
    const outputShape = [batch, channels, outHeight, outWidth];
    this.cache = { inputShape: input.shape, argmax, outputShape };
    return { data: out, shape: outputShape };
  }

  backward(gradOutput: Tensor): Tensor {
    const { inputShape, argmax, outputShape } = requireCache(this.cache, "MaxPool2d.backward");
    assertGradShape(gradOutput, outputShape, "MaxPool2d.backward");
    const out = new Float32Array(inputShape.reduce((a, b) => a * b, 1));
    const g = gradOutput.data;
    for (let i = 0; i < argmax.length; i++) {
      const target = argmax[i] as number;
      out[target] = (out[target] as number) + (g[i] as number);
    }
    return { data: out, shape: inputShape };
  }
}
