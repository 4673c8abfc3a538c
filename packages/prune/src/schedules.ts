import { assertInteger, InvalidArgumentError } from "@mc/core";
import { assertSparsity } from "./validate";

/** What a schedule says about one training step, as TF-MOT's `PruningSchedule.__call__` returns it. */
export interface ScheduleDecision {
  /** True on the steps where masks are recomputed. */
  shouldPrune: boolean;
  /** The schedule's sparsity formula at this step (meaningful when `shouldPrune`). */
  sparsity: number;
}

export interface PruningSchedule {
  readonly kind: "polynomialDecay" | "constantSparsity";
  readonly beginStep: number;
  /** Last step that may prune; -1 = no end (constantSparsity only). */
  readonly endStep: number;
  readonly frequency: number;
  at(step: number): ScheduleDecision;
  /**
   * Sparsity the masks hold once `step` has been processed: the formula's value at the last
   * pruning step ≤ `step`, or 0 before `beginStep`. Between updates the masks do not change.
   */
  sparsityInEffect(step: number): number;
}

export interface PolynomialDecayOptions {
  initialSparsity?: number;
  finalSparsity?: number;
  beginStep?: number;
  endStep?: number;
  power?: number;
  frequency?: number;
}

function validateSteps(caller: string, beginStep: number, endStep: number, frequency: number, allowNoEnd: boolean) {
  assertInteger(beginStep, caller, "options.beginStep", { min: 0 });
  assertInteger(endStep, caller, "options.endStep", { min: allowNoEnd ? -1 : 0 });
  assertInteger(frequency, caller, "options.frequency", { min: 1 });
  if (endStep !== -1 && endStep < beginStep) {
    throw new InvalidArgumentError({
      message: `${caller}: options.endStep (${endStep}) must be >= options.beginStep (${beginStep})`,
      argument: "options.endStep",
      value: endStep,
    });
  }
}

/** TF-MOT's `_should_prune_in_step`: inside [begin, end] (or no end) and on the frequency grid. */
function isPruningStep(step: number, beginStep: number, endStep: number, frequency: number): boolean {
  const inRange = step >= beginStep && (endStep < 0 || step <= endStep);
  return inRange && (step - beginStep) % frequency === 0;
}

function lastPruningStep(step: number, beginStep: number, endStep: number, frequency: number): number {
  if (step < beginStep) return -1;
  const capped = endStep < 0 ? step : Math.min(step, endStep);
  return beginStep + Math.floor((capped - beginStep) / frequency) * frequency;
}

/**
 * TF-MOT `PolynomialDecay` (Zhu & Gupta 2017, "To prune, or not to prune"):
 *
 *   p = clamp((step − beginStep) / (endStep − beginStep), 0, 1)
 *   sparsity = finalSparsity + (initialSparsity − finalSparsity) · (1 − p)^power
 *
 * Masks are recomputed only on steps beginStep, beginStep + frequency, … ≤ endStep. When
 * (endStep − beginStep) is not a multiple of `frequency`, the last update falls short of endStep
 * and finalSparsity is never applied, exactly as in TF-MOT. Differences from TF-MOT: the value is
 * computed in float64 (TF-MOT: float32, agreement ~1e-7); sparsity 1 is accepted (TF-MOT: [0, 1));
 * endStep must be > beginStep (TF-MOT accepts equality and then divides by zero).
 */
export function polynomialDecay(options: PolynomialDecayOptions = {}): PruningSchedule {
  const caller = "polynomialDecay";
  const { initialSparsity = 0, finalSparsity, beginStep = 0, endStep, power = 3, frequency = 100 } = options;
  if (finalSparsity === undefined || endStep === undefined) {
    throw new InvalidArgumentError({
      message: `${caller}: options.finalSparsity and options.endStep are required`,
      argument: finalSparsity === undefined ? "options.finalSparsity" : "options.endStep",
      value: undefined,
    });
  }
  assertSparsity(initialSparsity, caller, "options.initialSparsity");
  assertSparsity(finalSparsity, caller, "options.finalSparsity");
  validateSteps(caller, beginStep, endStep, frequency, false);
  if (endStep === beginStep) {
    throw new InvalidArgumentError({
      message: `${caller}: options.endStep (${endStep}) must be > options.beginStep (${beginStep}); the decay divides by their difference`,
      argument: "options.endStep",
      value: endStep,
    });
  }
  if (typeof power !== "number" || !Number.isFinite(power) || power < 0) {
    throw new InvalidArgumentError({
      message: `${caller}: options.power must be a finite number >= 0, got ${String(power)}`,
      argument: "options.power",
      value: power,
    });
  }
  const formula = (step: number): number => {
    const progress = Math.min(1, Math.max(0, (step - beginStep) / (endStep - beginStep)));
    return finalSparsity + (initialSparsity - finalSparsity) * (1 - progress) ** power;
  };
  return {
    kind: "polynomialDecay",
    beginStep,
    endStep,
    frequency,
    at(step) {
      assertInteger(step, "polynomialDecay.at", "step", { min: 0 });
      return { shouldPrune: isPruningStep(step, beginStep, endStep, frequency), sparsity: formula(step) };
    },
    sparsityInEffect(step) {
      assertInteger(step, "polynomialDecay.sparsityInEffect", "step", { min: 0 });
      const last = lastPruningStep(step, beginStep, endStep, frequency);
      return last < 0 ? 0 : formula(last);
    },
  };
}

export interface ConstantSparsityOptions {
  targetSparsity?: number;
  beginStep?: number;
  /** -1 (default) = keep pruning to the target forever. */
  endStep?: number;
  frequency?: number;
}

/** TF-MOT `ConstantSparsity`: the target sparsity on every `frequency`-th step from beginStep on. */
export function constantSparsity(options: ConstantSparsityOptions = {}): PruningSchedule {
  const caller = "constantSparsity";
  const { targetSparsity, beginStep = 0, endStep = -1, frequency = 100 } = options;
  if (targetSparsity === undefined) {
    throw new InvalidArgumentError({
      message: `${caller}: options.targetSparsity is required`,
      argument: "options.targetSparsity",
      value: undefined,
    });
  }
  assertSparsity(targetSparsity, caller, "options.targetSparsity");
  validateSteps(caller, beginStep, endStep, frequency, true);
  return {
    kind: "constantSparsity",
    beginStep,
    endStep,
    frequency,
    at(step) {
      assertInteger(step, "constantSparsity.at", "step", { min: 0 });
      return { shouldPrune: isPruningStep(step, beginStep, endStep, frequency), sparsity: targetSparsity };
    },
    sparsityInEffect(step) {
      assertInteger(step, "constantSparsity.sparsityInEffect", "step", { min: 0 });
      return lastPruningStep(step, beginStep, endStep, frequency) < 0 ? 0 : targetSparsity;
    },
  };
}
