import type { Tensor } from "@mc/core";
import { assertGradShape, assertInput, Module, requireCache } from "./module";

/** max(0, x). The gradient at exactly 0 is taken as 0, like PyTorch. */
export class ReLU extends Module {
  private cache: Tensor | undefined;

  forward(input: Tensor): Tensor {
    assertInput(input, "ReLU.forward", 1);
    const x = input.data;
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      y[i] = Math.max(v, 0); // NaN stays NaN (as in PyTorch), so divergence is not hidden
    }
    this.cache = input;
    return { data: y, shape: input.shape };
  }

  backward(gradOutput: Tensor): Tensor {
    const input = requireCache(this.cache, "ReLU.backward");
    assertGradShape(gradOutput, input.shape, "ReLU.backward");
    const x = input.data;
    const g = gradOutput.data;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) > 0 ? (g[i] as number) : 0;
    return { data: out, shape: input.shape };
  }
}

/** tanh(x); backward uses 1 - tanh². */
export class Tanh extends Module {
  private cache: Tensor | undefined;

  forward(input: Tensor): Tensor {
    assertInput(input, "Tanh.forward", 1);
    const x = input.data;
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i] as number);
    this.cache = { data: y, shape: input.shape };
    return { data: y, shape: input.shape };
  }

  backward(gradOutput: Tensor): Tensor {
    const output = requireCache(this.cache, "Tanh.backward");
    assertGradShape(gradOutput, output.shape, "Tanh.backward");
    const y = output.data;
    const g = gradOutput.data;
    const out = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const t = y[i] as number;
      out[i] = (g[i] as number) * (1 - t * t);
    }
    return { data: out, shape: output.shape };
  }
}

/**
 * erf(x) from Numerical Recipes' Chebyshev fit of erfc (fractional error < 1.2e-7 for all x):
 * below fp32's own rounding of GELU's output, and smooth, so finite differences agree.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

const INV_SQRT2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Exact GELU, x·Φ(x) with Φ the standard normal CDF (PyTorch's default, not the tanh form). */
export class GELU extends Module {
  private cache: Tensor | undefined;

  forward(input: Tensor): Tensor {
    assertInput(input, "GELU.forward", 1);
    const x = input.data;
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      y[i] = 0.5 * v * (1 + erf(v * INV_SQRT2));
    }
    this.cache = input;
    return { data: y, shape: input.shape };
  }

  backward(gradOutput: Tensor): Tensor {
    const input = requireCache(this.cache, "GELU.backward");
    assertGradShape(gradOutput, input.shape, "GELU.backward");
    const x = input.data;
    const g = gradOutput.data;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      out[i] = (g[i] as number) * (cdf + v * pdf);
    }
    return { data: out, shape: input.shape };
  }
}

/** Softmax over the last axis, max-subtracted for stability. */
export class Softmax extends Module {
  private cache: Tensor | undefined;

  forward(input: Tensor): Tensor {
    assertInput(input, "Softmax.forward", 1);
    const y = softmaxLastAxis(input.data, input.shape[input.shape.length - 1] as number);
    this.cache = { data: y, shape: input.shape };
    return { data: y, shape: input.shape };
  }

  backward(gradOutput: Tensor): Tensor {
    const output = requireCache(this.cache, "Softmax.backward");
    assertGradShape(gradOutput, output.shape, "Softmax.backward");
    const width = output.shape[output.shape.length - 1] as number;
    return { data: softmaxBackward(output.data, gradOutput.data, width), shape: output.shape };
  }
}

/** Row-wise softmax of a [rows, width] buffer. */
export function softmaxLastAxis(x: Float32Array, width: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += width) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < width; j++) max = Math.max(max, x[base + j] as number);
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp((x[base + j] as number) - max);
      y[base + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < width; j++) y[base + j] = (y[base + j] as number) * inv;
  }
  return y;
}

/** dx = y ⊙ (g - Σ g·y), row-wise. */
export function softmaxBackward(y: Float32Array, g: Float32Array, width: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let base = 0; base < y.length; base += width) {
    let dot = 0;
    for (let j = 0; j < width; j++) dot += (g[base + j] as number) * (y[base + j] as number);
    for (let j = 0; j < width; j++) out[base + j] = (y[base + j] as number) * ((g[base + j] as number) - dot);
  }
  return out;
}
