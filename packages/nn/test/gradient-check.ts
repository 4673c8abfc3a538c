import { createRng, type Tensor } from "@mc/core";
import { expect } from "vitest";
import type { Module } from "../src/module";

/** Random fp32 tensor with entries in (-scale, scale). */
export function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { data: createRng(seed).fillUniform(new Float32Array(count), -scale, scale), shape };
}

/**
 * Central finite differences of L = Σ r ⊙ f(x) (r fixed random), in float64 sums of fp32
 * forwards, against the module's backward. Checks the input gradient and every parameter
 * gradient; `tolerance` bounds |analytic − numeric| / max(0.05, |numeric|), so gradients near
 * zero are held to an absolute 0.05·tolerance (fp32 forward noise is ~1e-5 here).
 */
export function checkModuleGradients(
  module: Module,
  input: Tensor,
  options: { epsilon?: number; tolerance?: number; seed?: number; skipInput?: boolean; samples?: number } = {},
): void {
  const { epsilon = 1e-2, tolerance = 2e-2, seed = 99, skipInput = false, samples = 40 } = options;
  const output = module.forward(input);
  const weights = createRng(seed).fillUniform(new Float32Array(output.data.length), -1, 1);
  const loss = (): number => {
    const y = module.forward(input).data;
    let total = 0;
    for (let i = 0; i < y.length; i++) total += (y[i] as number) * (weights[i] as number);
    return total;
  };
  module.zeroGrad();
  module.forward(input);
  const gradInput = module.backward({ data: weights, shape: output.shape });
  const pick = createRng(seed + 1);
  const compare = (values: Float32Array, analytic: Float32Array, what: string): void => {
    const count = Math.min(samples, values.length);
    for (let s = 0; s < count; s++) {
      const i = values.length <= samples ? s : pick.integer(0, values.length - 1);
      const saved = values[i] as number;
      values[i] = saved + epsilon;
      const plus = loss();
      values[i] = saved - epsilon;
      const minus = loss();
      values[i] = saved;
      const numeric = (plus - minus) / (2 * epsilon);
      const got = analytic[i] as number;
      const error = Math.abs(got - numeric) / Math.max(0.05, Math.abs(numeric));
      if (error > tolerance) {
        expect.fail(`${what}[${i}] analytic ${got} vs numeric ${numeric} (error ${error}, shape [${input.shape}])`);
      }
    }
  };
  if (!skipInput) compare(input.data, gradInput.data, "input");
  for (const p of module.parameters()) compare(p.value.data, p.grad.slice(), p.name);
}
