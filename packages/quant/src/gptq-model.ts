import { InvalidArgumentError, type Tensor } from "@mc/core";
import { gemm } from "@mc/kernels";
import { Linear, type Module, Sequential } from "@mc/nn";
import { dequantize } from "./dequantize";
import { GptqHessian, type GptqOptions, type GptqResult, gptqQuantize, quantizeRoundToNearest } from "./gptq";

export interface QuantizeModelGptqOptions extends GptqOptions {
  /** "gptq" (default) or the round-to-nearest baseline with the same grid. */
  method?: "gptq" | "rtn";
  onProgress?: (progress: { layer: string; index: number; layers: number }) => void;
}

export interface QuantizeModelGptqResult {
  /** One result per Linear child, keyed by its weight's parameter name (e.g. `fc1.weight`). */
  layers: Record<string, GptqResult>;
}

/**
 * GPTQ over the Linear layers of a Sequential, in order, as the paper's sequential mode: each
 * layer's Hessian comes from the inputs it receives when the layers before it already use
 * their quantized weights. The model is not changed; dequantize the results (or load them
 * into a copy) to run it.
 */
export function quantizeModelGptq(
  model: Sequential,
  calibration: readonly Tensor[],
  options: QuantizeModelGptqOptions = {},
): QuantizeModelGptqResult {
  const caller = "quantizeModelGptq";
  if (!(model instanceof Sequential)) {
    throw new InvalidArgumentError({ message: `${caller}: model must be an @mc/nn Sequential`, argument: "model" });
  }
  if (!Array.isArray(calibration) || calibration.length === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: needs at least one calibration batch`,
      argument: "calibration",
    });
  }
  const { method = "gptq", onProgress, ...gptqOptions } = options;
  const children = model.children();
  const linearIndices = children.flatMap(([, child], i) => (child instanceof Linear ? [i] : []));
  const replaced = new Map<number, Float32Array>();
  const layers: Record<string, GptqResult> = {};
  const wasTraining = model.training;
  model.eval();
  try {
    for (const [step, index] of linearIndices.entries()) {
      const layer = children[index]?.[1] as Linear;
      onProgress?.({ layer: layer.weight.name, index: step, layers: linearIndices.length });
      let result: GptqResult;
      if (method === "rtn") {
        result = quantizeRoundToNearest(layer.weight.value, gptqOptions);
      } else {
        const hessian = new GptqHessian(layer.inFeatures);
        for (const batch of calibration) hessian.addBatch(runUntil(children, index, batch, replaced));
        result = gptqQuantize(layer.weight.value, hessian, gptqOptions);
      }
      layers[layer.weight.name] = result;
      replaced.set(index, dequantize(result.quantized).data);
    }
  } finally {
    if (wasTraining) model.train();
  }
  return { layers };
}

/** The input of child `stop`, with already-quantized Linear layers using their dequantized weights. */
function runUntil(
  children: readonly [string, Module][],
  stop: number,
  input: Tensor,
  replaced: Map<number, Float32Array>,
): Tensor<Float32Array> {
  let x = input;
  for (let i = 0; i < stop; i++) {
    const child = children[i]?.[1] as Module;
    const weight = replaced.get(i);
    if (weight && child instanceof Linear) {
      const rows = x.data.length / child.inFeatures;
      const out = gemm(x.data as Float32Array, weight, {
        m: rows,
        k: child.inFeatures,
        n: child.outFeatures,
        transposeB: true,
      });
      const bias = child.bias?.value.data;
      if (bias)
        for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + (bias[j % child.outFeatures] as number);
      x = { data: out, shape: [...x.shape.slice(0, -1), child.outFeatures] };
    } else {
      x = child.forward(x);
    }
  }
  const last = x.shape[x.shape.length - 1] as number;
  return { data: x.data as Float32Array, shape: [x.data.length / last, last] };
}
