import { formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { linearStaticInt8, type PackedLinearInt8 } from "@mc/kernels";
import { Conv2d, Flatten, Linear, MaxPool2d, type Module, ReLU, Sequential } from "@mc/nn";
import type { QParams } from "./choose-qparams";
import { InferenceModule } from "./dynamic-ptq";
import { EntropyObserver } from "./entropy-observer";
import { HistogramObserver } from "./histogram-observer";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "./min-max-observer";
import type { Observer } from "./observer";
import { PercentileObserver } from "./percentile-observer";
import type { QuantizedTensor } from "./quant-dtype";
import { quantizePerTensor } from "./quantize-per-tensor";
import { packQuantizedWeight, quantizedTensorBytes, quantizeWeightInt8 } from "./weight-quantization";

/** A value between stages: float, or uint8 with its per-tensor scale and zero point. */
type Activation =
  | { kind: "float"; data: Float32Array; shape: number[] }
  | { kind: "uint8"; data: Uint8Array; shape: number[]; scale: number; zeroPoint: number };

export type StaticStepKind = "linear" | "conv" | "relu" | "maxpool" | "flatten" | "float";

export interface StaticPlanStep {
  name: string;
  kind: StaticStepKind;
  layer: Module;
  /** Name of a ReLU child folded into this linear/conv step (its clamp is the requantization's). */
  fusedRelu?: string;
  /** Tap whose calibrated qparams requantize this step's output; absent: the output stays float. */
  outputTap?: string;
}

export interface StaticPlan {
  steps: StaticPlanStep[];
  /** "input" and every child whose output is (re)quantized: the points an observer watches. */
  taps: string[];
}

function stepKind(layer: Module): StaticStepKind {
  if (layer instanceof Linear) return "linear";
  if (layer instanceof Conv2d) return "conv";
  if (layer instanceof ReLU) return "relu";
  if (layer instanceof MaxPool2d) return "maxpool";
  if (layer instanceof Flatten) return "flatten";
  return "float";
}

/**
 * Where activations are quantized in a Sequential: the input, and the output of every
 * linear/conv (after a following ReLU, which requantization absorbs: its clamp at the zero
 * point is the ReLU) and every unsupported layer, except the last step, whose output stays
 * float (logits). ReLU, max-pool and flatten work on uint8 directly and keep their input's qparams.
 */
export function planStatic(model: Sequential): StaticPlan {
  const children = model.children();
  const steps: StaticPlanStep[] = [];
  const taps = ["input"];
  for (let i = 0; i < children.length; i++) {
    const [name, layer] = children[i] as [string, Module];
    const kind = stepKind(layer);
    const step: StaticPlanStep = { name, kind, layer };
    let end = i;
    if (kind === "linear" || kind === "conv") {
      const next = children[i + 1];
      if (next && next[1] instanceof ReLU) {
        step.fusedRelu = next[0];
        end = i + 1;
      }
    }
    if ((kind === "linear" || kind === "conv" || kind === "float") && end < children.length - 1) {
      step.outputTap = step.fusedRelu ?? name;
      taps.push(step.outputTap);
    }
    steps.push(step);
    i = end;
  }
  return { steps, taps };
}

export type ObserverChoice = "minmax" | "moving-average" | "histogram" | "percentile" | "entropy" | (() => Observer);

export function createObserver(choice: ObserverChoice): Observer {
  if (typeof choice === "function") return choice();
  switch (choice) {
    case "minmax":
      return new MinMaxObserver();
    case "moving-average":
      return new MovingAverageMinMaxObserver();
    case "histogram":
      return new HistogramObserver();
    case "percentile":
      return new PercentileObserver();
    case "entropy":
      return new EntropyObserver();
    default:
      throw new InvalidArgumentError({
        message: `createObserver: observer must be "minmax", "moving-average", "histogram", "percentile", "entropy" or a factory, got ${JSON.stringify(choice)}`,
        argument: "options.observer",
        value: choice,
      });
  }
}

/**
 * Runs calibration batches through the float model (eval mode) and returns the qparams each
 * tap's observer chooses.
 */
export function calibrateActivations(
  model: Sequential,
  batches: readonly Tensor[],
  taps: readonly string[],
  observer: ObserverChoice = "minmax",
): Record<string, QParams> {
  if (!Array.isArray(batches) || batches.length === 0) {
    throw new InvalidArgumentError({
      message: "calibrateActivations: needs at least one calibration batch",
      argument: "batches",
    });
  }
  const observers = new Map(taps.map((tap) => [tap, createObserver(observer)]));
  const wasTraining = model.training;
  model.eval();
  try {
    for (const batch of batches) {
      observers.get("input")?.observe(batch);
      let x = batch;
      for (const [name, child] of model.children()) {
        x = child.forward(x);
        observers.get(name)?.observe(x);
      }
    }
  } finally {
    if (wasTraining) model.train();
  }
  return Object.fromEntries([...observers].map(([tap, o]) => [tap, o.computeQParams()]));
}

interface Stage {
  run(x: Activation): Activation;
  storageBytes(): number;
}

function requireUint8(x: Activation, caller: string): Extract<Activation, { kind: "uint8" }> {
  if (x.kind !== "uint8") {
    throw new InvalidArgumentError({ message: `${caller}: expected a uint8 activation`, argument: "input" });
  }
  return x;
}

function dequantizeActivation(x: Activation): Float32Array {
  if (x.kind === "float") return x.data;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = ((x.data[i] as number) - x.zeroPoint) * x.scale;
  return out;
}

function quantizeActivation(data: Float32Array, shape: number[], qp: QParams): Activation {
  const q = quantizePerTensor({ data, shape }, qp.scale, qp.zeroPoint, "uint8");
  return { kind: "uint8", data: q.data as Uint8Array, shape, scale: q.scale[0] as number, zeroPoint: qp.zeroPoint };
}

function reluFloat(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, values[i] as number);
  return out;
}

/** int8 × uint8 matrix product of rows [rows, in] through @mc/kernels, requantized or float. */
function runPacked(
  input: Uint8Array,
  rows: number,
  x: { scale: number; zeroPoint: number },
  packed: PackedLinearInt8,
  output: QParams | undefined,
  relu: boolean,
): { data: Float32Array | Uint8Array; scale?: number; zeroPoint?: number } {
  const base = { inputScale: x.scale, inputZeroPoint: x.zeroPoint };
  if (output) {
    const data = linearStaticInt8(input, rows, packed, {
      ...base,
      outputScale: output.scale,
      outputZeroPoint: output.zeroPoint,
    });
    if (relu)
      for (let i = 0; i < data.length; i++) if ((data[i] as number) < output.zeroPoint) data[i] = output.zeroPoint;
    return { data, scale: output.scale, zeroPoint: output.zeroPoint };
  }
  const data = linearStaticInt8(input, rows, packed, base);
  return { data: relu ? reluFloat(data) : data };
}

class LinearStage implements Stage {
  private readonly packed: PackedLinearInt8;
  constructor(
    private readonly weight: QuantizedTensor,
    private readonly bias: Float32Array | undefined,
    private readonly output: QParams | undefined,
    private readonly relu: boolean,
  ) {
    this.packed = packQuantizedWeight(weight, bias);
  }

  run(activation: Activation): Activation {
    const x = requireUint8(activation, "StaticQuantizedModel (linear)");
    const inFeatures = this.packed.inFeatures;
    const rows = x.data.length / inFeatures;
    const shape = [...x.shape.slice(0, -1), this.packed.outFeatures];
    const r = runPacked(x.data, rows, x, this.packed, this.output, this.relu);
    return r.data instanceof Uint8Array
      ? { kind: "uint8", data: r.data, shape, scale: r.scale as number, zeroPoint: r.zeroPoint as number }
      : { kind: "float", data: r.data, shape };
  }

  storageBytes(): number {
    return quantizedTensorBytes(this.weight) + 4 * (this.bias?.length ?? 0) + (this.output ? 8 : 0);
  }
}

class ConvStage implements Stage {
  private readonly packed: PackedLinearInt8;
  constructor(
    private readonly conv: Conv2d,
    private readonly weight: QuantizedTensor,
    private readonly bias: Float32Array | undefined,
    private readonly output: QParams | undefined,
    private readonly relu: boolean,
  ) {
    this.packed = packQuantizedWeight(weight, bias);
  }

  run(activation: Activation): Activation {
    const x = requireUint8(activation, "StaticQuantizedModel (conv)");
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const { kernelSize: k, stride, padding, outChannels } = this.conv;
    if (x.shape.length !== 4 || channels !== this.conv.inChannels) {
      throw new ShapeMismatchError({
        message: `StaticQuantizedModel: conv input has shape ${formatShape(x.shape)}, expected [batch, ${this.conv.inChannels}, h, w]`,
        actual: x.shape,
      });
    }
    const outH = Math.floor((height + 2 * padding - k) / stride) + 1;
    const outW = Math.floor((width + 2 * padding - k) / stride) + 1;
    const pixels = outH * outW;
    const patch = channels * k * k;
    // im2col on the integers: padding is the zero point, the integer that means 0.0.
    const columns = new Uint8Array(batch * pixels * patch).fill(x.zeroPoint);
    for (let b = 0; b < batch; b++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const row = ((b * outH + oy) * outW + ox) * patch;
          for (let c = 0; c < channels; c++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * stride + ky - padding;
              if (iy < 0 || iy >= height) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * stride + kx - padding;
                if (ix < 0 || ix >= width) continue;
                columns[row + (c * k + ky) * k + kx] = x.data[
                  ((b * channels + c) * height + iy) * width + ix
                ] as number;
              }
            }
          }
        }
      }
    }
    const r = runPacked(columns, batch * pixels, x, this.packed, this.output, this.relu);
    const shape = [batch, outChannels, outH, outW];
    const out = r.data instanceof Uint8Array ? new Uint8Array(r.data.length) : new Float32Array(r.data.length);
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < outChannels; o++) {
        const dst = (b * outChannels + o) * pixels;
        for (let p = 0; p < pixels; p++) out[dst + p] = r.data[(b * pixels + p) * outChannels + o] as number;
      }
    }
    return out instanceof Uint8Array
      ? { kind: "uint8", data: out, shape, scale: r.scale as number, zeroPoint: r.zeroPoint as number }
      : { kind: "float", data: out, shape };
  }

  storageBytes(): number {
    return quantizedTensorBytes(this.weight) + 4 * (this.bias?.length ?? 0) + (this.output ? 8 : 0);
  }
}

class MaxPoolStage implements Stage {
  constructor(private readonly pool: MaxPool2d) {}

  run(x: Activation): Activation {
    if (x.kind === "float") {
      const y = this.pool.forward({ data: x.data, shape: x.shape });
      return { kind: "float", data: y.data as Float32Array, shape: [...y.shape] };
    }
    // max commutes with a monotone affine map, so pooling the integers is exact.
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const { kernelSize: k, stride: s } = this.pool;
    const outH = Math.floor((height - k) / s) + 1;
    const outW = Math.floor((width - k) / s) + 1;
    const out = new Uint8Array(batch * channels * outH * outW);
    let o = 0;
    for (let plane = 0; plane < batch * channels; plane++) {
      const base = plane * height * width;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          let best = 0;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const v = x.data[base + (oy * s + ky) * width + ox * s + kx] as number;
              if (v > best) best = v;
            }
          }
          out[o++] = best;
        }
      }
    }
    return { ...x, data: out, shape: [batch, channels, outH, outW] };
  }

  storageBytes(): number {
    return 0;
  }
}

class ReluStage implements Stage {
  run(x: Activation): Activation {
    if (x.kind === "float") return { ...x, data: reluFloat(x.data) };
    const out = new Uint8Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.max(x.zeroPoint, x.data[i] as number);
    return { ...x, data: out };
  }

  storageBytes(): number {
    return 0;
  }
}

class FlattenStage implements Stage {
  run(x: Activation): Activation {
    const batch = x.shape[0] as number;
    return { ...x, shape: [batch, x.data.length / batch] };
  }

  storageBytes(): number {
    return 0;
  }
}

/** Fallback for layers without an integer kernel: dequantize, run in float, requantize. */
class FloatStage implements Stage {
  constructor(
    private readonly layer: Module,
    private readonly output: QParams | undefined,
  ) {}

  run(x: Activation): Activation {
    const y = this.layer.forward({ data: dequantizeActivation(x), shape: x.shape });
    const data = y.data as Float32Array;
    return this.output
      ? quantizeActivation(data, [...y.shape], this.output)
      : { kind: "float", data, shape: [...y.shape] };
  }

  storageBytes(): number {
    let total = 0;
    for (const p of this.layer.parameters()) total += 4 * p.value.data.length;
    return total + (this.output ? 8 : 0);
  }
}

/**
 * A statically quantized Sequential: the input is quantized to uint8 once, linear and conv
 * layers run on @mc/kernels' int8 path (`linearStaticInt8`, int32 accumulation) and hand
 * uint8 activations straight to the next layer; only the last layer's output is float.
 */
export class StaticQuantizedModel extends InferenceModule {
  readonly plan: StaticPlan;
  readonly activationQParams: Readonly<Record<string, QParams>>;
  private readonly stages: Stage[];

  constructor(plan: StaticPlan, activationQParams: Record<string, QParams>, stages: Stage[]) {
    super();
    this.plan = plan;
    this.activationQParams = activationQParams;
    this.stages = stages;
  }

  forward(input: Tensor): Tensor {
    if (!(input.data instanceof Float32Array)) {
      throw new InvalidArgumentError({
        message: "StaticQuantizedModel.forward: input must be float32",
        argument: "input",
      });
    }
    let x = quantizeActivation(input.data, [...input.shape], this.activationQParams.input as QParams);
    for (const stage of this.stages) x = stage.run(x);
    return { data: dequantizeActivation(x), shape: x.shape };
  }

  storageBytes(): number {
    let total = 8; // input scale and zero point
    for (const stage of this.stages) total += stage.storageBytes();
    return total;
  }
}

export interface BuildStaticOptions {
  /** Per-output-channel weight scales (default) or one per tensor. */
  perChannel?: boolean;
}

/** Builds the integer pipeline of `planStatic(model)` from activation qparams for every tap. */
export function buildStaticModel(
  model: Sequential,
  activationQParams: Record<string, QParams>,
  options: BuildStaticOptions = {},
): StaticQuantizedModel {
  const { perChannel = true } = options;
  const plan = planStatic(model);
  for (const tap of plan.taps) {
    if (!activationQParams[tap]) {
      throw new InvalidArgumentError({
        message: `buildStaticModel: activationQParams has no entry for tap "${tap}" (needs ${plan.taps.join(", ")})`,
        argument: "activationQParams",
      });
    }
  }
  const stages: Stage[] = plan.steps.map((step) => {
    const output = step.outputTap ? activationQParams[step.outputTap] : undefined;
    const relu = step.fusedRelu !== undefined;
    if (step.kind === "linear" || step.kind === "conv") {
      const layer = step.layer as Linear | Conv2d;
      const shape = layer.weight.value.shape;
      const rows = shape[0] as number;
      const flat = { data: layer.weight.value.data, shape: [rows, layer.weight.value.data.length / rows] };
      const weight = quantizeWeightInt8(flat, { perChannel });
      const bias = layer.bias?.value.data;
      return step.kind === "linear"
        ? new LinearStage(weight, bias, output, relu)
        : new ConvStage(layer as Conv2d, weight, bias, output, relu);
    }
    if (step.kind === "maxpool") return new MaxPoolStage(step.layer as MaxPool2d);
    if (step.kind === "relu") return new ReluStage();
    if (step.kind === "flatten") return new FlattenStage();
    return new FloatStage(step.layer, output);
  });
  return new StaticQuantizedModel(plan, activationQParams, stages);
}

export interface QuantizeStaticOptions extends BuildStaticOptions {
  /** How activation ranges are calibrated; default min/max. */
  observer?: ObserverChoice;
}

/**
 * Static post-training quantization of a Sequential (Linear, Conv2d, ReLU, MaxPool2d,
 * Flatten run in integers; other layers fall back to float between a dequantize and a
 * requantize): calibrate activation ranges on `calibration` batches with the chosen observer,
 * quantize weights to symmetric int8 per output channel, and build the integer pipeline.
 */
export function quantizeStatic(
  model: Sequential,
  calibration: readonly Tensor[],
  options: QuantizeStaticOptions = {},
): StaticQuantizedModel {
  if (!(model instanceof Sequential)) {
    throw new InvalidArgumentError({
      message: "quantizeStatic: model must be an @mc/nn Sequential",
      argument: "model",
    });
  }
  const { observer = "minmax", ...buildOptions } = options;
  const plan = planStatic(model);
  const qparams = calibrateActivations(model, calibration, plan.taps, observer);
  return buildStaticModel(model, qparams, buildOptions);
}
