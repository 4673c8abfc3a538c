import { assertInteger, createRng, InvalidArgumentError, type Tensor } from "@mc/core";
import { assertGradShape, assertInput, Module, type Parameter, requireCache } from "./module";

/**
 * A lookup table [numEmbeddings, dimension], initialized N(0, 1) like PyTorch. The input holds
 * integer indices (stored in a Float32Array tensor, exact below 2^24); the output appends the
 * embedding dimension. Indices get no gradient: `backward` returns zeros of the input's shape.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly dimension: number;
  readonly weight: Parameter;
  private cache: { indices: Int32Array; shape: readonly number[] } | undefined;

  constructor(numEmbeddings: number, dimension: number, options: { seed?: number } = {}) {
    super();
    this.numEmbeddings = assertInteger(numEmbeddings, "Embedding", "numEmbeddings", { min: 1 });
    this.dimension = assertInteger(dimension, "Embedding", "dimension", { min: 1 });
    const values = createRng(options.seed ?? 0).fillNormal(new Float32Array(numEmbeddings * dimension));
    this.weight = this.addParameter("weight", { data: values, shape: [numEmbeddings, dimension] }, "embedding.weight");
  }

  forward(input: Tensor): Tensor {
    assertInput(input, "Embedding.forward", 1);
    const d = this.dimension;
    const table = this.weight.effectiveValue();
    const indices = new Int32Array(input.data.length);
    const out = new Float32Array(indices.length * d);
    for (let i = 0; i < indices.length; i++) {
      const index = input.data[i] as number;
      if (!Number.isInteger(index) || index < 0 || index >= this.numEmbeddings) {
        throw new InvalidArgumentError({
          message: `Embedding.forward: input[${i}] is ${index}; indices must be integers in [0, ${this.numEmbeddings - 1}]`,
          argument: "input",
          value: index,
        });
      }
      indices[i] = index;
      out.set(table.subarray(index * d, (index + 1) * d), i * d);
    }
    this.cache = { indices, shape: input.shape };
    return { data: out, shape: [...input.shape, d] };
  }

  backward(gradOutput: Tensor): Tensor {
    const { indices, shape } = requireCache(this.cache, "Embedding.backward");
    const d = this.dimension;
    assertGradShape(gradOutput, [...shape, d], "Embedding.backward");
    const grad = new Float32Array(this.weight.grad.length);
    for (let i = 0; i < indices.length; i++) {
      const base = (indices[i] as number) * d;
      for (let j = 0; j < d; j++) grad[base + j] = (grad[base + j] as number) + (gradOutput.data[i * d + j] as number);
    }
    this.weight.accumulateGrad(grad);
    return { data: new Float32Array(indices.length), shape };
  }
}
