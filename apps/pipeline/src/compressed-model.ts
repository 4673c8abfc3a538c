import { McError, type Tensor } from "@mc/core";
import { type DecodedMcz, expandMczEntry, type McEntry, toKernelPack } from "@mc/io";
import { gemm, packSparseConv2d, packSparseLinear, sparseConv2dPacked, sparseLinearPacked } from "@mc/kernels";
import { Conv2d, type Dataset, MaxPool2d } from "@mc/nn";
import type { Architecture, ArchitectureLayer } from "./architecture";
import { architectures } from "./architecture";
import { CliError } from "./cli-error";

/**
 * A model run straight from a decoded `.mcz`: sparse + shared fully connected layers are packed
 * once for the kernels' sparse-codebook product (by input column, skipping zero inputs, with a
 * following ReLU fused in) without ever expanding to dense fp32; convolutions (which the kernels
 * do not take in compressed form) are expanded and run through @mc/nn's Conv2d.
 */
type Step = (input: Float32Array, batch: number) => Float32Array;

export interface CompressedModel {
  architecture: Architecture;
  /** Logits [batch × classes] for inputs [batch × product(input shape)]. */
  forward(input: Float32Array, batch: number): Float32Array;
  classes: number;
}

function entryByName(model: DecodedMcz, name: string): McEntry {
  const entry = model.entries.find((e) => e.name === name);
  if (!entry) throw new CliError(`the .mcz file has no tensor named '${name}' (its metadata names it)`);
  return entry;
}

function denseOf(model: DecodedMcz, name: string): Tensor<Float32Array> {
  return expandMczEntry(entryByName(model, name));
}

/** A compiled layer, and whether it applies the ReLU that follows it (the caller then skips that). */
interface LayerStep {
  step: Step;
  fusedRelu: boolean;
}

/**
 * A sparse-shared weight straight from its stored encoding to CSR + codebook and packed once for
 * `sparseLinearPacked` (zero inputs skip their column; the following ReLU fused in): never a
 * dense fp32 copy. Undefined for other encodings.
 */
function packedSparse(model: DecodedMcz, layer: { weight: string; bias: string }, relu: boolean) {
  const weightEntry = entryByName(model, layer.weight);
  if (weightEntry.encoding !== "sparse-shared") return undefined;
  const pack = toKernelPack(weightEntry);
  if (pack.type !== "sparse-codebook") return undefined;
  return packSparseLinear(pack.weight, { bias: denseOf(model, layer.bias).data, activation: relu ? "relu" : "none" });
}

function linearStep(
  model: DecodedMcz,
  layer: Extract<ArchitectureLayer, { op: "linear" }>,
  reluFollows: boolean,
): LayerStep {
  const packed = packedSparse(model, layer, reluFollows);
  if (packed) return { step: (input, batch) => sparseLinearPacked(input, batch, packed), fusedRelu: reluFollows };
  const weight = denseOf(model, layer.weight).data;
  const bias = denseOf(model, layer.bias).data;
  const step: Step = (input, batch) => {
    const out = new Float32Array(batch * layer.outFeatures);
    for (let b = 0; b < batch; b++) out.set(bias, b * layer.outFeatures);
    return gemm(input, weight, {
      m: batch,
      k: layer.inFeatures,
      n: layer.outFeatures,
      transposeB: true,
      beta: 1,
      c: out,
    });
  };
  return { step, fusedRelu: false };
}

/**
 * A sparse-shared convolution runs as the kernels' direct sparse convolution (each stored weight
 * applied to whole output rows, the following ReLU fused in), straight from the stored encoding.
 * Dense weights go through @mc/nn's Conv2d.
 */
function convStep(
  model: DecodedMcz,
  layer: Extract<ArchitectureLayer, { op: "conv2d" }>,
  inputShape: number[],
  reluFollows: boolean,
): LayerStep {
  const [, height, width] = inputShape as [number, number, number];
  const weightEntry = entryByName(model, layer.weight);
  const pack = weightEntry.encoding === "sparse-shared" ? toKernelPack(weightEntry) : undefined;
  if (pack?.type === "sparse-codebook") {
    const packed = packSparseConv2d(pack.weight, {
      inChannels: layer.inChannels,
      kernelSize: layer.kernelSize,
      bias: denseOf(model, layer.bias).data,
      activation: reluFollows ? "relu" : "none",
    });
    return {
      step: (input, batch) => sparseConv2dPacked(input, { batch, height, width }, packed),
      fusedRelu: reluFollows,
    };
  }
  const conv = new Conv2d(layer.inChannels, layer.outChannels, layer.kernelSize);
  conv.getParameter("weight").value.data.set(denseOf(model, layer.weight).data);
  conv.getParameter("bias").value.data.set(denseOf(model, layer.bias).data);
  conv.eval();
  return {
    step: (input, batch) => conv.forward({ data: input, shape: [batch, ...inputShape] }).data,
    fusedRelu: false,
  };
}

function poolStep(kernelSize: number, inputShape: number[]): Step {
  const pool = new MaxPool2d(kernelSize);
  pool.eval();
  return (input, batch) => pool.forward({ data: input, shape: [batch, ...inputShape] }).data;
}

/** Builds the runnable model from a decoded file whose metadata names its architecture. */
export function compileMcz(model: DecodedMcz): CompressedModel {
  const architectureName = model.metadata.architecture;
  const architecture = architectureName ? architectures[architectureName] : undefined;
  if (!architecture) {
    throw new CliError(
      `this .mcz file does not name a known architecture (metadata 'architecture' is ${JSON.stringify(architectureName)}); mc eval/bench run ${Object.keys(architectures).join(", ")}`,
    );
  }
  const steps: Step[] = [];
  let shape = [...architecture.input];
  const layers = architecture.layers;
  let reluDone = false; // the linear before this ReLU applied it
  for (const [index, layer] of layers.entries()) {
    switch (layer.op) {
      case "flatten":
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case "relu":
        if (reluDone) {
          reluDone = false;
          break;
        }
        steps.push((input) => {
          const out = new Float32Array(input.length);
          for (let i = 0; i < input.length; i++) out[i] = Math.max(0, input[i] as number);
          return out;
        });
        break;
      case "linear": {
        const linear = linearStep(model, layer, layers[index + 1]?.op === "relu");
        steps.push(linear.step);
        reluDone = linear.fusedRelu;
        shape = [layer.outFeatures];
        break;
      }
      case "conv2d": {
        const conv = convStep(model, layer, shape, layers[index + 1]?.op === "relu");
        steps.push(conv.step);
        reluDone = conv.fusedRelu;
        const [, height, width] = shape as [number, number, number];
        shape = [layer.outChannels, height - layer.kernelSize + 1, width - layer.kernelSize + 1];
        break;
      }
      case "maxpool2d": {
        steps.push(poolStep(layer.kernelSize, shape));
        const [channels, height, width] = shape as [number, number, number];
        shape = [channels, Math.floor(height / layer.kernelSize), Math.floor(width / layer.kernelSize)];
        break;
      }
    }
  }
  return {
    architecture,
    classes: shape[0] as number,
    forward(input, batch) {
      let x = input;
      for (const step of steps) x = step(x, batch);
      return x;
    },
  };
}

/** Top-1 accuracy of a compiled model on a dataset, in batches. */
export function evaluateCompressed(
  model: CompressedModel,
  data: Dataset,
  batchSize = 500,
): { accuracy: number; correct: number; count: number } {
  const features = data.images.length / data.count;
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const batch = Math.min(batchSize, data.count - start);
    const logits = model.forward(data.images.subarray(start * features, (start + batch) * features), batch);
    for (let b = 0; b < batch; b++) {
      let best = 0;
      for (let c = 1; c < model.classes; c++)
        if ((logits[b * model.classes + c] as number) > (logits[b * model.classes + best] as number)) best = c;
      if (best === data.labels[start + b]) correct++;
    }
  }
  return { accuracy: data.count === 0 ? 0 : correct / data.count, correct, count: data.count };
}

export function isMcError(error: unknown): error is McError {
  return McError.isInstance(error);
}
