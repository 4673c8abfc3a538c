import { assertInteger, createRng, formatShape, ShapeMismatchError, type Tensor } from "@mc/core";
import { gemm } from "./gemm";
import { assertGradShape, assertInput, Module, type Parameter, type ParameterKind, requireCache } from "./module";

export interface LinearOptions {
  bias?: boolean;
  seed?: number;
  /** `linear.weight` by default; attention projections use `attention.weight`. */
  kind?: ParameterKind;
}

/**
 * y = x·Wᵀ + b with W stored [outFeatures, inFeatures] (PyTorch layout). Inputs of any rank
 * >= 2 are treated as [rows, inFeatures] with every leading dimension folded into rows.
 * Initialized like PyTorch: U(-1/√in, 1/√in) for weight and bias.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  private cache: { input: Tensor; weight: Float32Array; rows: number } | undefined;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    const { bias = true, seed = 0, kind = "linear.weight" } = options;
    assertInteger(inFeatures, "Linear", "inFeatures", { min: 1 });
    assertInteger(outFeatures, "Linear", "outFeatures", { min: 1 });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = createRng(seed);
    const bound = 1 / Math.sqrt(inFeatures);
    const weight = rng.fillUniform(new Float32Array(outFeatures * inFeatures), -bound, bound);
    this.weight = this.addParameter("weight", { data: weight, shape: [outFeatures, inFeatures] }, kind);
    if (bias) {
      const values = rng.fillUniform(new Float32Array(outFeatures), -bound, bound);
      this.bias = this.addParameter("bias", { data: values, shape: [outFeatures] }, "bias");
    }
  }

  forward(input: Tensor): Tensor {
    assertInput(input, "Linear.forward", 2);
    const last = input.shape[input.shape.length - 1] as number;
    if (last !== this.inFeatures) {
      throw new ShapeMismatchError({
        message: `Linear.forward: input has shape ${formatShape(input.shape)} but this layer expects last dimension ${this.inFeatures}`,
        expected: [...input.shape.slice(0, -1), this.inFeatures],
        actual: input.shape,
      });
    }
    const rows = input.data.length / last;
    const weight = this.weight.effectiveValue();
    const output = gemm(input.data, weight, { m: rows, k: this.inFeatures, n: this.outFeatures, transposeB: true });
    if (this.bias) {
      const b = this.bias.effectiveValue();
      const n = this.outFeatures;
      for (let r = 0; r < rows; r++) {
        const base = r * n;
        for (let j = 0; j < n; j++) output[base + j] = (output[base + j] as number) + (b[j] as number);
      }
    }
    this.cache = { input, weight, rows };
    return { data: output, shape: [...input.shape.slice(0, -1), this.outFeatures] };
  }

  backward(gradOutput: Tensor): Tensor {
    const { input, weight, rows } = requireCache(this.cache, "Linear.backward");
    assertGradShape(gradOutput, [...input.shape.slice(0, -1), this.outFeatures], "Linear.backward");
    const m = this.outFeatures;
    const n = this.inFeatures;
    const g = gradOutput.data;
    // dW = gᵀ·x, accumulated straight into .grad unless a hook must see it first.
    if (this.weight.hasBackwardHooks()) {
      this.weight.accumulateGrad(gemm(g, input.data, { m, k: rows, n, transposeA: true }));
    } else {
      gemm(g, input.data, { m, k: rows, n, transposeA: true, beta: 1, c: this.weight.grad });
    }
    if (this.bias) {
      const gb = new Float32Array(m);
      for (let r = 0; r < rows; r++) {
        const base = r * m;
        for (let j = 0; j < m; j++) gb[j] = (gb[j] as number) + (g[base + j] as number);
      }
      this.bias.accumulateGrad(gb);
    }
    const gradInput = gemm(g, weight, { m: rows, k: m, n });
    return { data: gradInput, shape: input.shape };
  }
}
