import { InvalidArgumentError, McError, type Tensor } from "@mc/core";
import { addParameterHook, Module, type Parameter, Sequential } from "@mc/nn";
import type { QParams } from "./choose-qparams";
import { fakeQuantize, fakeQuantizeBackward } from "./fake-quantize";
import { MovingAverageMinMaxObserver } from "./min-max-observer";
import { buildStaticModel, planStatic, type StaticPlan, type StaticQuantizedModel } from "./static-ptq";
import { quantizeWeightInt8 } from "./weight-quantization";

/**
 * Fake quantization of an activation to uint8: in training mode a moving-average min/max
 * observer (PyTorch's QAT default, constant 0.01) updates the range before each pass; in eval
 * mode the range is frozen. Backward is the straight-through estimator.
 */
export class ActivationFakeQuantize extends Module {
  readonly observer: MovingAverageMinMaxObserver;
  qparams: QParams | undefined;
  private mask: Uint8Array | undefined;

  constructor(options: { averagingConstant?: number; qparams?: QParams } = {}) {
    super();
    this.observer = new MovingAverageMinMaxObserver({ averagingConstant: options.averagingConstant ?? 0.01 });
    this.qparams = options.qparams;
  }

  forward(input: Tensor): Tensor {
    if (this.training || this.qparams === undefined) {
      this.observer.observe(input);
      this.qparams = this.observer.computeQParams();
    }
    const { output, mask } = fakeQuantize(input, { ...this.qparams, dtype: "uint8" });
    this.mask = mask;
    return output;
  }

  backward(gradOutput: Tensor): Tensor {
    if (this.mask === undefined) {
      throw new McError({ message: "ActivationFakeQuantize.backward: backward called before forward" });
    }
    return { data: fakeQuantizeBackward(gradOutput.data as Float32Array, this.mask), shape: gradOutput.shape };
  }
}

/** Forward/backward hooks that fake-quantize a weight exactly as `quantizeWeightInt8` will quantize it. */
function weightFakeQuantHook(perChannel: boolean) {
  let mask: Uint8Array | undefined;
  return {
    forward(weight: Float32Array, parameter: Parameter): Float32Array {
      const rows = parameter.value.shape[0] as number;
      const flat = { data: weight, shape: [rows, weight.length / rows] };
      const q = quantizeWeightInt8(flat, { perChannel });
      const result = fakeQuantize(flat, {
        scale: perChannel ? q.scale : (q.scale[0] as number),
        zeroPoint: perChannel ? q.zeroPoint : 0,
        axis: 0,
        narrowRange: true,
      });
      mask = result.mask;
      return result.output.data;
    },
    backward(gradient: Float32Array): Float32Array {
      return mask === undefined ? gradient : fakeQuantizeBackward(gradient, mask);
    },
  };
}

export interface PrepareQatOptions {
  /** Per-output-channel weight scales (default), matching quantizeStatic. */
  perChannel?: boolean;
  averagingConstant?: number;
}

/**
 * A Sequential prepared for quantization-aware training: its linear/conv weights are
 * fake-quantized through @mc/nn parameter hooks (in place, on the original model), and
 * activation fake-quantizers sit at exactly the points `quantizeStatic` will quantize.
 * Train it with @mc/nn's `train` (optimize `parameters()`), then `convertQat`.
 */
export class QatModel extends Module {
  readonly model: Sequential;
  readonly plan: StaticPlan;
  readonly activationQuantizers: ReadonlyMap<string, ActivationFakeQuantize>;
  readonly perChannel: boolean;
  private readonly removers: (() => void)[];

  constructor(model: Sequential, options: PrepareQatOptions = {}) {
    super();
    const { perChannel = true, averagingConstant = 0.01 } = options;
    this.model = model;
    this.perChannel = perChannel;
    this.plan = planStatic(model);
    this.activationQuantizers = new Map(
      this.plan.taps.map((tap) => [tap, new ActivationFakeQuantize({ averagingConstant })]),
    );
    this.removers = model
      .parameters()
      .filter((p) => p.kind === "linear.weight" || p.kind === "conv.weight")
      .map((p) => addParameterHook(model, p.name, weightFakeQuantHook(perChannel)));
  }

  forward(input: Tensor): Tensor {
    let x = this.activationQuantizers.get("input")?.forward(input) ?? input;
    for (const [name, child] of this.model.children()) {
      x = child.forward(x);
      const fq = this.activationQuantizers.get(name);
      if (fq) x = fq.forward(x);
    }
    return x;
  }

  backward(gradOutput: Tensor): Tensor {
    let g = gradOutput;
    const children = this.model.children();
    for (let i = children.length - 1; i >= 0; i--) {
      const [name, child] = children[i] as [string, Module];
      const fq = this.activationQuantizers.get(name);
      if (fq) g = fq.backward(g);
      g = child.backward(g);
    }
    return this.activationQuantizers.get("input")?.backward(g) ?? g;
  }

  override parameters(): Parameter[] {
    return this.model.parameters();
  }

  override train(): this {
    this.model.train();
    for (const fq of this.activationQuantizers.values()) fq.train();
    this.training = true;
    return this;
  }

  override eval(): this {
    this.model.eval();
    for (const fq of this.activationQuantizers.values()) fq.eval();
    this.training = false;
    return this;
  }

  /** Detaches the weight hooks, leaving the float model as it was (with its fine-tuned weights). */
  removeHooks(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}

/** Prepares a Sequential for QAT (see `QatModel`). */
export function prepareQat(model: Sequential, options: PrepareQatOptions = {}): QatModel {
  if (!(model instanceof Sequential)) {
    throw new InvalidArgumentError({ message: "prepareQat: model must be an @mc/nn Sequential", argument: "model" });
  }
  return new QatModel(model, options);
}

/**
 * The integer model a QAT model was trained to become: weights quantized as the hooks
 * fake-quantized them, activations with the fake-quantizers' learned ranges.
 */
export function convertQat(qat: QatModel): StaticQuantizedModel {
  const qparams: Record<string, QParams> = {};
  for (const [tap, fq] of qat.activationQuantizers) {
    if (fq.qparams === undefined) {
      throw new McError({
        message: `convertQat: activation "${tap}" was never observed; run at least one forward pass`,
      });
    }
    qparams[tap] = fq.qparams;
  }
  return buildStaticModel(qat.model, qparams, { perChannel: qat.perChannel });
}
