import { assertFiniteNumber, InvalidArgumentError } from "@mc/core";
import { Module, type Parameter } from "./module";

function resolveParameters(target: Module | Parameter[], caller: string): Parameter[] {
  const list = target instanceof Module ? target.parameters() : target;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: needs a Module or a non-empty array of parameters`,
      argument: "parameters",
    });
  }
  return list;
}

function runAfterStep(parameter: Parameter): void {
  for (const hook of parameter.hooks) hook.afterStep?.(parameter);
}

/** Common surface of the optimizers: `train` sets `learningRate` from a schedule. */
export interface Optimizer {
  learningRate: number;
  readonly parameters: readonly Parameter[];
  step(): void;
  zeroGrad(): void;
}

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  /** L2 penalty added to the gradient (PyTorch `weight_decay`). */
  weightDecay?: number;
  nesterov?: boolean;
}

/** SGD with PyTorch's momentum convention: v = μv + g; w -= lr·v (or lr·(g + μv) if Nesterov). */
export class SGD implements Optimizer {
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly parameters: readonly Parameter[];
  private readonly velocities: Float32Array[];

  constructor(parameters: Module | Parameter[], options: SgdOptions = {}) {
    const { learningRate = 0.01, momentum = 0, weightDecay = 0, nesterov = false } = options;
    this.parameters = resolveParameters(parameters, "SGD");
    this.learningRate = assertFiniteNumber(learningRate, "SGD", "options.learningRate", { min: 0 });
    this.momentum = assertFiniteNumber(momentum, "SGD", "options.momentum", { min: 0, max: 1 });
    this.weightDecay = assertFiniteNumber(weightDecay, "SGD", "options.weightDecay", { min: 0 });
    this.nesterov = nesterov;
    this.velocities = this.parameters.map((p) => new Float32Array(momentum > 0 ? p.grad.length : 0));
  }

  step(): void {
    const lr = this.learningRate;
    const mu = this.momentum;
    const wd = this.weightDecay;
    for (let index = 0; index < this.parameters.length; index++) {
      const p = this.parameters[index] as Parameter;
      const w = p.value.data;
      const g = p.grad;
      const v = this.velocities[index] as Float32Array;
      for (let i = 0; i < w.length; i++) {
        let d = (g[i] as number) + wd * (w[i] as number);
        if (mu > 0) {
          const vi = mu * (v[i] as number) + d;
          v[i] = vi;
          d = this.nesterov ? d + mu * vi : vi;
        }
        w[i] = (w[i] as number) - lr * d;
      }
      runAfterStep(p);
    }
  }

  zeroGrad(): void {
    for (const p of this.parameters) p.zeroGrad();
  }
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty added to the gradient (PyTorch `Adam(weight_decay)`), unless `decoupled`. */
  weightDecay?: number;
  /** AdamW: decay the weight directly by lr·weightDecay instead of through the gradient. */
  decoupled?: boolean;
}

/** Adam (Kingma & Ba 2015) with bias correction, as in PyTorch. */
export class Adam implements Optimizer {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  readonly parameters: readonly Parameter[];
  private stepCount = 0;
  private readonly firstMoments: Float32Array[];
  private readonly secondMoments: Float32Array[];

  constructor(parameters: Module | Parameter[], options: AdamOptions = {}) {
    const {
      learningRate = 0.001,
      beta1 = 0.9,
      beta2 = 0.999,
      epsilon = 1e-8,
      weightDecay = 0,
      decoupled = false,
    } = options;
    this.parameters = resolveParameters(parameters, "Adam");
    this.learningRate = assertFiniteNumber(learningRate, "Adam", "options.learningRate", { min: 0 });
    this.beta1 = assertFiniteNumber(beta1, "Adam", "options.beta1", { min: 0, max: 1 });
    this.beta2 = assertFiniteNumber(beta2, "Adam", "options.beta2", { min: 0, max: 1 });
    this.epsilon = assertFiniteNumber(epsilon, "Adam", "options.epsilon", { min: 0, exclusiveMin: true });
    this.weightDecay = assertFiniteNumber(weightDecay, "Adam", "options.weightDecay", { min: 0 });
    this.decoupled = decoupled;
    this.firstMoments = this.parameters.map((p) => new Float32Array(p.grad.length));
    this.secondMoments = this.parameters.map((p) => new Float32Array(p.grad.length));
  }

  step(): void {
    this.stepCount++;
    const { beta1, beta2, epsilon, weightDecay } = this;
    const lr = this.learningRate;
    const correction1 = 1 - beta1 ** this.stepCount;
    const correction2 = 1 - beta2 ** this.stepCount;
    const stepSize = lr / correction1;
    const sqrtCorrection2 = Math.sqrt(correction2);
    for (let index = 0; index < this.parameters.length; index++) {
      const p = this.parameters[index] as Parameter;
      const w = p.value.data;
      const g = p.grad;
      const m = this.firstMoments[index] as Float32Array;
      const v = this.secondMoments[index] as Float32Array;
      for (let i = 0; i < w.length; i++) {
        let wi = w[i] as number;
        let gi = g[i] as number;
        if (weightDecay > 0) {
          if (this.decoupled) wi -= lr * weightDecay * wi;
          else gi += weightDecay * wi;
        }
        const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
        const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - (stepSize * mi) / (Math.sqrt(vi) / sqrtCorrection2 + epsilon);
      }
      runAfterStep(p);
    }
  }

  zeroGrad(): void {
    for (const p of this.parameters) p.zeroGrad();
  }
}

/** Learning rate as a function of (fractional) epoch: epoch 1.5 is halfway through the second. */
export type LearningRateSchedule = (epoch: number) => number;

/** lr = initial · gamma^floor(epoch / stepSize). */
export function stepDecay(options: { initial: number; stepSize: number; gamma?: number }): LearningRateSchedule {
  const { initial, stepSize, gamma = 0.1 } = options;
  assertFiniteNumber(initial, "stepDecay", "options.initial", { min: 0 });
  assertFiniteNumber(stepSize, "stepDecay", "options.stepSize", { min: 0, exclusiveMin: true });
  assertFiniteNumber(gamma, "stepDecay", "options.gamma", { min: 0 });
  return (epoch) => initial * gamma ** Math.floor(epoch / stepSize);
}

/** Cosine from `initial` at epoch 0 to `minimum` at `epochs` (SGDR without restarts), optional linear warmup. */
export function cosineDecay(options: {
  initial: number;
  epochs: number;
  minimum?: number;
  warmupEpochs?: number;
}): LearningRateSchedule {
  const { initial, epochs, minimum = 0, warmupEpochs = 0 } = options;
  assertFiniteNumber(initial, "cosineDecay", "options.initial", { min: 0 });
  assertFiniteNumber(epochs, "cosineDecay", "options.epochs", { min: 0, exclusiveMin: true });
  assertFiniteNumber(minimum, "cosineDecay", "options.minimum", { min: 0 });
  assertFiniteNumber(warmupEpochs, "cosineDecay", "options.warmupEpochs", { min: 0 });
  return (epoch) => {
    if (epoch < warmupEpochs) return (initial * (epoch + 1e-3)) / warmupEpochs;
    const progress = Math.min(1, (epoch - warmupEpochs) / Math.max(1e-12, epochs - warmupEpochs));
    return minimum + 0.5 * (initial - minimum) * (1 + Math.cos(Math.PI * progress));
  };
}
