import { McError, type Tensor } from "@mc/core";
import { type DecodedMcz, expandMczEntry, type McEntry, toKernelPack } from "@mc/io";
import { gemm, packSparseConv2d, packSparseLinear, sparseConv2dPacked, sparseLinearPacked } from "@mc/kernels";
import { Conv2d, type Dataset } from "@mc/nn";
import type { Architecture, ArchitectureLayer } from "./architecture";
import { architectures } from "./architecture";
import { CliError } from "./cli-error";

/**
 * A model run straight from a decoded `.mcz`: sparse + shared layers are packed once for the
 * kernels — fully connected ones by input column (zero inputs skip their weights), convolutions
 * for direct sparse convolution — with a following ReLU fused in, never expanded to dense fp32.
 * Dense entries run through `gemm` or @mc/nn's Conv2d. Every step writes into a buffer it keeps
 * between calls (allocating fresh multi-kilobyte typed arrays per call cost as much as the
 * kernels); `forward` returns a copy of the logits.
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

/** A step whose output ([batch × perSample]) lives in a buffer reused while the batch size stays. */
function reusing(perSample: number, compute: (input: Float32Array, batch: number, out: Float32Array) => void): Step {
  let buffer = new Float32Array(0);
  return (input, batch) => {
    if (buffer.length !== batch * perSample) buffer = new Float32Array(batch * perSample);
    compute(input, batch, buffer);
    return buffer;
  };
}

/** The sparse-codebook kernel pack of a sparse-shared weight, straight from its stored encoding. */
function sparsePackOf(model: DecodedMcz, name: string) {
  const entry = entryByName(model, name);
  if (entry.encoding !== "sparse-shared") return undefined;
  const pack = toKernelPack(entry);
  return pack.type === "sparse-codebook" ? pack.weight : undefined;
}

function linearStep(model: DecodedMcz, layer: Extract<ArchitectureLayer, { op: "linear" }>, relu: boolean): Step {
  const bias = denseOf(model, layer.bias).data;
  const sparse = sparsePackOf(model, layer.weight);
  if (sparse) {
    const packed = packSparseLinear(sparse, { bias, activation: relu ? "relu" : "none" });
    return reusing(layer.outFeatures, (input, batch, out) => sparseLinearPacked(input, batch, packed, out));
  }
  const weight = denseOf(model, layer.weight).data;
  const { inFeatures: k, outFeatures: n } = layer;
  return reusing(n, (input, batch, out) => {
    for (let b = 0; b < batch; b++) out.set(bias, b * n);
    gemm(input, weight, { m: batch, k, n, transposeB: true, beta: 1, c: out });
    if (relu) reluInPlace(out);
  });
}

function convStep(
  model: DecodedMcz,
  layer: Extract<ArchitectureLayer, { op: "conv2d" }>,
  inputShape: number[],
  relu: boolean,
): Step {
  const [, height, width] = inputShape as [number, number, number];
  const bias = denseOf(model, layer.bias).data;
  const outputSize = layer.outChannels * (height - layer.kernelSize + 1) * (width - layer.kernelSize + 1);
  const sparse = sparsePackOf(model, layer.weight);
  if (sparse) {
    const { inChannels, kernelSize } = layer;
    const packed = packSparseConv2d(sparse, { inChannels, kernelSize, bias, activation: relu ? "relu" : "none" });
    return reusing(outputSize, (input, batch, out) => sparseConv2dPacked(input, { batch, height, width }, packed, out));
  }
  const conv = new Conv2d(layer.inChannels, layer.outChannels, layer.kernelSize);
  conv.getParameter("weight").value.data.set(denseOf(model, layer.weight).data);
  conv.getParameter("bias").value.data.set(bias);
  conv.eval();
  return reusing(outputSize, (input, batch, out) => {
    out.set(conv.forward({ data: input, shape: [batch, ...inputShape] }).data);
    if (relu) reluInPlace(out);
  });
}

function reluInPlace(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) if ((values[i] as number) < 0) values[i] = 0;
}

/** Max over k×k windows, stride k (what @mc/nn's MaxPool2d computes), without the backward state. */
function poolStep(k: number, inputShape: number[]): Step {
  const [planes, height, width] = inputShape as [number, number, number];
  const outHeight = Math.floor(height / k);
  const outWidth = Math.floor(width / k);
  return reusing(planes * outHeight * outWidth, (input, batch, out) => {
    let at = 0;
    for (let plane = 0; plane < batch * planes; plane++) {
      const base = plane * height * width;
      for (let oy = 0; oy < outHeight; oy++) {
        const top = base + oy * k * width;
        if (k === 2) {
          // LeNet's 2×2 pools, unrolled: the generic loop below spent most of its time on loop control.
          for (let ox = 0; ox < outWidth; ox++) {
            const p = top + 2 * ox;
            out[at++] = Math.max(
              input[p] as number,
              input[p + 1] as number,
              input[p + width] as number,
              input[p + width + 1] as number,
            );
          }
          continue;
        }
        for (let ox = 0; ox < outWidth; ox++) {
          let best = Number.NEGATIVE_INFINITY;
          for (let ky = 0; ky < k; ky++) {
            const row = top + ky * width + ox * k;
            for (let kx = 0; kx < k; kx++) best = Math.max(best, input[row + kx] as number);
          }
          out[at++] = best;
        }
      }
    }
  });
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
  for (const [index, layer] of layers.entries()) {
    // Every layer that computes something takes the ReLU after it in; the ReLU op itself is a no-op.
    const reluFollows = layers[index + 1]?.op === "relu";
    switch (layer.op) {
      case "flatten":
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case "relu":
        if (index === 0 || layers[index - 1]?.op === "relu" || layers[index - 1]?.op === "flatten") {
          const size = shape.reduce((a, b) => a * b, 1);
          steps.push(
            reusing(size, (input, _batch, out) => {
              out.set(input);
              reluInPlace(out);
            }),
          );
        }
        break;
      case "linear":
        steps.push(linearStep(model, layer, reluFollows));
        shape = [layer.outFeatures];
        break;
      case "conv2d": {
        steps.push(convStep(model, layer, shape, reluFollows));
        const [, height, width] = shape as [number, number, number];
        shape = [layer.outChannels, height - layer.kernelSize + 1, width - layer.kernelSize + 1];
        break;
      }
      case "maxpool2d": {
        // A ReLU after a pool is applied by the pool's own step below.
        const pool = poolStep(layer.kernelSize, shape);
        const [channels, height, width] = shape as [number, number, number];
        shape = [channels, Math.floor(height / layer.kernelSize), Math.floor(width / layer.kernelSize)];
        steps.push(
          reluFollows
            ? (input, batch) => {
                const out = pool(input, batch);
                reluInPlace(out);
                return out;
              }
            : pool,
        );
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
      return x.slice();
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
