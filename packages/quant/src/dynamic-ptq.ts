import { formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor, UnsupportedError } from "@mc/core";
import { linearDynamicInt8, type PackedLinearInt8 } from "@mc/kernels";
import { Linear, Module, Sequential } from "@mc/nn";
import type { QuantizedTensor } from "./quant-dtype";
import {
  packQuantizedWeight,
  quantizedTensorBytes,
  quantizeWeightInt8,
  type WeightQuantizationOptions,
} from "./weight-quantization";

/** A module that only runs inference and knows how many bytes it stores. */
export abstract class InferenceModule extends Module {
  abstract storageBytes(): number;

  backward(_gradOutput: Tensor): Tensor {
    throw new UnsupportedError({
      message: `${this.constructor.name}.backward: quantized modules run inference only; train the float model (or use prepareQat)`,
      feature: "backward",
    });
  }
}

/**
 * Linear with int8 weights and activations quantized per call (ONNX `DynamicQuantizeLinear`
 * semantics), executed by @mc/kernels' `linearDynamicInt8`: int32 accumulation, fp32 bias.
 */
export class DynamicQuantizedLinear extends InferenceModule {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: QuantizedTensor;
  readonly bias: Float32Array | undefined;
  private readonly packed: PackedLinearInt8;

  constructor(weight: QuantizedTensor, bias: Float32Array | undefined) {
    super();
    this.weight = weight;
    this.bias = bias?.slice();
    this.outFeatures = weight.shape[0] as number;
    this.inFeatures = weight.shape[1] as number;
    this.packed = packQuantizedWeight(weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    const last = input.shape[input.shape.length - 1];
    if (last !== this.inFeatures || !(input.data instanceof Float32Array)) {
      throw new ShapeMismatchError({
        message: `DynamicQuantizedLinear.forward: input has shape ${formatShape(input.shape)} but this layer expects last dimension ${this.inFeatures}`,
        actual: input.shape,
      });
    }
    const rows = input.data.length / this.inFeatures;
    const out = linearDynamicInt8(input.data, rows, this.packed);
    return { data: out, shape: [...input.shape.slice(0, -1), this.outFeatures] };
  }

  storageBytes(): number {
    return quantizedTensorBytes(this.weight) + 4 * (this.bias?.length ?? 0);
  }
}

/** Float parameters' bytes, or the module's own count for quantized modules. */
export function storageBytes(module: Module): number {
  if (module instanceof InferenceModule) return module.storageBytes();
  let total = 0;
  for (const p of module.parameters()) total += 4 * p.value.data.length;
  return total;
}

/**
 * Children run in order, without re-registering them (their parameter names stay as they
 * were in the float model). Inference only.
 */
export class QuantizedSequential extends InferenceModule {
  readonly layers: readonly [string, Module][];

  constructor(layers: [string, Module][]) {
    super();
    this.layers = layers;
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const [, layer] of this.layers) x = layer.forward(x);
    return x;
  }

  override eval(): this {
    for (const [, layer] of this.layers) layer.eval();
    this.training = false;
    return this;
  }

  override train(): this {
    for (const [, layer] of this.layers) layer.train();
    this.training = true;
    return this;
  }

  storageBytes(): number {
    let total = 0;
    for (const [, layer] of this.layers) total += storageBytes(layer);
    return total;
  }
}

export interface QuantizeDynamicOptions extends WeightQuantizationOptions {}

/**
 * Dynamic post-training quantization (PyTorch `quantize_dynamic`, ORT `quantize_dynamic`):
 * every `Linear` child becomes a `DynamicQuantizedLinear` with symmetric int8 weights (per
 * output channel by default); other layers stay float. Nested `Sequential`s are walked. The
 * float model is not changed.
 */
export function quantizeDynamic(model: Module, options: QuantizeDynamicOptions = {}): QuantizedSequential {
  const { perChannel = true, narrowRange = true } = options;
  if (!(model instanceof Module)) {
    throw new InvalidArgumentError({ message: "quantizeDynamic: model must be an @mc/nn Module", argument: "model" });
  }
  const convert = (module: Module): Module => {
    if (module instanceof Linear) {
      const weight = quantizeWeightInt8(module.weight.value, { perChannel, narrowRange });
      return new DynamicQuantizedLinear(weight, module.bias?.value.data);
    }
    if (module instanceof Sequential) {
      return new QuantizedSequential(module.children().map(([name, child]) => [name, convert(child)]));
    }
    return module; // other layers (and custom containers) stay float
  };
  if (!(model instanceof Sequential)) return new QuantizedSequential([["0", convert(model)]]);
  return new QuantizedSequential(model.children().map(([name, child]) => [name, convert(child)]));
}
