import { assertFiniteNumber, assertInteger, formatShape, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertGradShape, assertInput, Module, type Parameter, requireCache } from "./module";

/**
 * Layer normalization over the last axis (Ba et al. 2016): y = γ·(x − μ)/√(σ² + ε) + β with
 * the biased variance, as in PyTorch. γ starts at 1, β at 0.
 */
export class LayerNorm extends Module {
  readonly size: number;
  readonly epsilon: number;
  readonly weight: Parameter;
  readonly bias: Parameter;
  private cache:
    | { normalized: Float32Array; inverseStd: Float32Array; gamma: Float32Array; shape: readonly number[] }
    | undefined;

  constructor(size: number, options: { epsilon?: number } = {}) {
    super();
    this.size = assertInteger(size, "LayerNorm", "size", { min: 1 });
    this.epsilon = assertFiniteNumber(options.epsilon ?? 1e-5, "LayerNorm", "options.epsilon", { min: 0 });
    this.weight = this.addParameter("weight", { data: new Float32Array(size).fill(1), shape: [size] }, "norm.weight");
    this.bias = this.addParameter("bias", { data: new Float32Array(size), shape: [size] }, "bias");
  }

  forward(input: Tensor): Tensor {
    assertInput(input, "LayerNorm.forward", 1);
    const d = this.size;
    if (input.shape[input.shape.length - 1] !== d) {
      throw new ShapeMismatchError({
        message: `LayerNorm.forward: input has shape ${formatShape(input.shape)} but this layer normalizes a last dimension of ${d}`,
        actual: input.shape,
      });
    }
    const x = input.data;
    const rows = x.length / d;
    const gamma = this.weight.effectiveValue();
    const beta = this.bias.effectiveValue();
    const normalized = new Float32Array(x.length);
    const inverseStd = new Float32Array(rows);
    const out = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      let mean = 0;
      for (let j = 0; j < d; j++) mean += x[base + j] as number;
      mean /= d;
      let variance = 0;
      for (let j = 0; j < d; j++) {
        const c = (x[base + j] as number) - mean;
        variance += c * c;
      }
      variance /= d;
      const inv = 1 / Math.sqrt(variance + this.epsilon);
      inverseStd[r] = inv;
      for (let j = 0; j < d; j++) {
        const n = ((x[base + j] as number) - mean) * inv;
        normalized[base + j] = n;
        out[base + j] = n * (gamma[j] as number) + (beta[j] as number);
      }
    }
    this.cache = { normalized, inverseStd, gamma, shape: input.shape };
    return { data: out, shape: input.shape };
  }

  backward(gradOutput: Tensor): Tensor {
    const { normalized, inverseStd, gamma, shape } = requireCache(this.cache, "LayerNorm.backward");
    assertGradShape(gradOutput, shape, "LayerNorm.backward");
    const d = this.size;
    const g = gradOutput.data;
    const rows = g.length / d;
    const gradGamma = new Float32Array(d);
    const gradBeta = new Float32Array(d);
    const out = new Float32Array(g.length);
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      let meanG = 0;
      let meanGn = 0;
      for (let j = 0; j < d; j++) {
        const gj = g[base + j] as number;
        const nj = normalized[base + j] as number;
        gradGamma[j] = (gradGamma[j] as number) + gj * nj;
        gradBeta[j] = (gradBeta[j] as number) + gj;
        const gn = gj * (gamma[j] as number);
        meanG += gn;
        meanGn += gn * nj;
      }
      meanG /= d;
      meanGn /= d;
      const inv = inverseStd[r] as number;
      for (let j = 0; j < d; j++) {
        const gn = (g[base + j] as number) * (gamma[j] as number);
        out[base + j] = inv * (gn - meanG - (normalized[base + j] as number) * meanGn);
      }
    }
    this.weight.accumulateGrad(gradGamma);
    this.bias.accumulateGrad(gradBeta);
    return { data: out, shape };
  }
}
