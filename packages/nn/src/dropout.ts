import { assertFiniteNumber, createRng, InvalidArgumentError, type Rng, type Tensor } from "@mc/core";
import { assertGradShape, assertInput, Module, requireCache } from "./module";

/**
 * Inverted dropout: in training mode each element is kept with probability 1 − p and scaled by
 * 1/(1 − p); in eval mode it is the identity. The mask stream comes from `seed`, so a seeded
 * training run is reproducible.
 */
export class Dropout extends Module {
  readonly probability: number;
  private readonly rng: Rng;
  private cache: { mask: Float32Array | undefined; shape: readonly number[] } | undefined;

  constructor(probability = 0.5, options: { seed?: number } = {}) {
    super();
    this.probability = assertFiniteNumber(probability, "Dropout", "probability", { min: 0, max: 1 });
    if (probability === 1) {
      throw new InvalidArgumentError({
        message: "Dropout: probability must be below 1 (keeping nothing leaves no signal to rescale)",
        argument: "probability",
        value: probability,
      });
    }
    this.rng = createRng(options.seed ?? 0);
  }

  forward(input: Tensor): Tensor {
    assertInput(input, "Dropout.forward", 1);
    if (!this.training || this.probability === 0) {
      this.cache = { mask: undefined, shape: input.shape };
      return input;
    }
    const scale = 1 / (1 - this.probability);
    const mask = new Float32Array(input.data.length);
    const out = new Float32Array(input.data.length);
    for (let i = 0; i < mask.length; i++) {
      const keep = this.rng.uniform() >= this.probability ? scale : 0;
      mask[i] = keep;
      out[i] = (input.data[i] as number) * keep;
    }
    this.cache = { mask, shape: input.shape };
    return { data: out, shape: input.shape };
  }

  backward(gradOutput: Tensor): Tensor {
    const { mask, shape } = requireCache(this.cache, "Dropout.backward");
    assertGradShape(gradOutput, shape, "Dropout.backward");
    if (!mask) return gradOutput;
    const out = new Float32Array(mask.length);
    for (let i = 0; i < mask.length; i++) out[i] = (gradOutput.data[i] as number) * (mask[i] as number);
    return { data: out, shape };
  }
}
