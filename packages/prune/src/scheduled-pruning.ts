import { InvalidArgumentError } from "@mc/core";
import type { Module } from "@mc/nn";
import { type AttachedMasks, attachPruningMasks } from "./attach-masks";
import { modelMagnitudeMasks, type PruningScope, prunableParameterNames } from "./iterative-prune";
import type { PruningSchedule } from "./schedules";

export interface ScheduledPruningOptions {
  schedule: PruningSchedule;
  scope?: PruningScope;
  parameters?: string[];
}

export interface ScheduledPruning {
  attached: AttachedMasks;
  /**
   * Call once per optimizer step (e.g. from `train`'s `onProgress` with phase "batch"). The n-th
   * call is step n − 1; on the schedule's pruning steps the masks are recomputed by magnitude at
   * the schedule's sparsity. Returns whether the masks changed.
   */
  step(): boolean;
  /** Steps taken so far. */
  readonly steps: number;
  /** Sparsity the masks currently hold (the last update's target, 0 before the first). */
  readonly sparsity: number;
}

/**
 * TF-MOT-style gradual pruning inside a training loop: masks are attached at once (all ones) and
 * tightened on the schedule's pruning steps, so `polynomialDecay({ frequency: 100, … })` updates
 * the masks every 100 optimizer steps between beginStep and endStep, exactly as TF-MOT's
 * `prune_low_magnitude` wrapper does, while the hooks keep pruned weights at zero in between.
 */
export function attachScheduledPruning(model: Module, options: ScheduledPruningOptions): ScheduledPruning {
  const caller = "attachScheduledPruning";
  const { schedule, scope = "layer", parameters = prunableParameterNames(model) } = options ?? {};
  if (!schedule || typeof schedule.at !== "function") {
    throw new InvalidArgumentError({
      message: `${caller}: options.schedule must be a PruningSchedule (polynomialDecay or constantSparsity)`,
      argument: "options.schedule",
    });
  }
  const ones: Record<string, Uint8Array> = {};
  for (const name of parameters) ones[name] = new Uint8Array(model.getParameter(name).value.data.length).fill(1);
  const attached = attachPruningMasks(model, ones);
  let steps = 0;
  let sparsity = 0;
  return {
    attached,
    step() {
      const decision = schedule.at(steps);
      steps++;
      if (!decision.shouldPrune) return false;
      const masks = modelMagnitudeMasks(model, { sparsity: decision.sparsity, scope, parameters });
      for (const [name, mask] of Object.entries(masks)) attached.setMask(name, mask);
      sparsity = decision.sparsity;
      return true;
    },
    get steps() {
      return steps;
    },
    get sparsity() {
      return sparsity;
    },
  };
}
