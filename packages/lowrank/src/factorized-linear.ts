import { InvalidArgumentError, type Tensor } from "@mc/core";
import { Linear, Module, Sequential } from "@mc/nn";
import { type FactorizeLinearOptions, type FactorizeLinearResult, factorizeLinear } from "./factorize-linear";

/**
 * A trainable low-rank linear layer y = (x·Bᵀ)·Aᵀ + b: `rightFactor` is a Linear(N → K)
 * without bias holding B [K, N], `leftFactor` a Linear(K → M) holding A [M, K] and the
 * original bias. Both factors are ordinary `@mc/nn` Linear layers, so optimizers, hooks
 * and `saveParameters` see `rightFactor.weight`, `leftFactor.weight`, `leftFactor.bias`.
 */
export class FactorizedLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly rank: number;
  readonly rightFactor: Linear;
  readonly leftFactor: Linear;

  constructor(inFeatures: number, outFeatures: number, rank: number, options: { bias?: boolean; seed?: number } = {}) {
    super();
    const { bias = true, seed = 0 } = options;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.rank = rank;
    // Registration order fixes parameter order: the factor applied first comes first.
    this.rightFactor = this.addModule("rightFactor", new Linear(inFeatures, rank, { bias: false, seed }));
    this.leftFactor = this.addModule("leftFactor", new Linear(rank, outFeatures, { bias, seed: seed + 1 }));
  }

  /**
   * Builds the layer from a trained Linear by truncated SVD of its weight (see
   * `factorizeLinear`); the bias is copied. Returns the layer and the factorization report.
   */
  static fromLinear(
    linear: Linear,
    options: FactorizeLinearOptions = {},
  ): { layer: FactorizedLinear; factorization: FactorizeLinearResult } {
    if (!(linear instanceof Linear)) {
      throw new InvalidArgumentError({
        message: "FactorizedLinear.fromLinear: linear must be an @mc/nn Linear layer",
        argument: "linear",
      });
    }
    const factorization = factorizeLinear(linear.weight.value, options);
    const layer = new FactorizedLinear(linear.inFeatures, linear.outFeatures, factorization.rank, {
      bias: linear.bias !== undefined,
    });
    layer.rightFactor.weight.value.data.set(factorization.rightFactor.data);
    layer.leftFactor.weight.value.data.set(factorization.leftFactor.data);
    if (linear.bias && layer.leftFactor.bias) layer.leftFactor.bias.value.data.set(linear.bias.value.data);
    return { layer, factorization };
  }

  forward(input: Tensor): Tensor {
    return this.leftFactor.forward(this.rightFactor.forward(input));
  }

  backward(gradOutput: Tensor): Tensor {
    return this.rightFactor.backward(this.leftFactor.backward(gradOutput));
  }

  /** The dense weight A·B [out, in] this layer currently represents (for export or checks). */
  denseWeight(): Tensor<Float32Array> {
    const a = this.leftFactor.weight.value.data;
    const b = this.rightFactor.weight.value.data;
    const { outFeatures: m, inFeatures: n, rank: k } = this;
    const out = new Float32Array(m * n);
    const row = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let r = 0; r < k; r++) {
        const scale = a[i * k + r] as number;
        for (let j = 0; j < n; j++) row[j] += scale * (b[r * n + j] as number);
      }
      for (let j = 0; j < n; j++) out[i * n + j] = row[j] as number;
    }
    return { data: out, shape: [m, n] };
  }
}

export interface FactorizeModelLayerResult {
  /** A new Sequential with the named child replaced; every other child is shared with the input. */
  model: Sequential;
  layer: FactorizedLinear;
  factorization: FactorizeLinearResult;
}

/**
 * Replaces the Linear child `layerName` of a Sequential by a `FactorizedLinear` of the given
 * rank. The input model is left intact (its parameter names too); the returned model shares
 * the other layers' parameter objects, so train one or the other, not both.
 */
export function factorizeModelLayer(
  model: Sequential,
  layerName: string,
  options: FactorizeLinearOptions = {},
): FactorizeModelLayerResult {
  const caller = "factorizeModelLayer";
  if (!(model instanceof Sequential)) {
    throw new InvalidArgumentError({ message: `${caller}: model must be an @mc/nn Sequential`, argument: "model" });
  }
  const children = model.children();
  const target = children.find(([name]) => name === layerName);
  if (!target) {
    throw new InvalidArgumentError({
      message: `${caller}: model has no child named "${layerName}"; children: ${children.map(([name]) => name).join(", ")}`,
      argument: "layerName",
      value: layerName,
    });
  }
  if (!(target[1] instanceof Linear)) {
    throw new InvalidArgumentError({
      message: `${caller}: child "${layerName}" is a ${target[1].constructor.name}, not a Linear`,
      argument: "layerName",
      value: layerName,
    });
  }
  const { layer, factorization } = FactorizedLinear.fromLinear(target[1], options);

  // Sequential prefixes child parameter names on registration; strip the prefix this model
  // gave them so the new container re-applies the same names (top-level names are unchanged).
  const entries: Record<string, Module> = {};
  for (const [name, child] of children) {
    if (name === layerName) {
      entries[name] = layer;
      continue;
    }
    for (const parameter of child.parameters()) {
      if (parameter.name.startsWith(`${name}.`)) {
        parameter.name = parameter.name.slice(name.length + 1);
      }
    }
    entries[name] = child;
  }
  const replaced = new Sequential(entries);
  return { model: replaced, layer, factorization };
}
