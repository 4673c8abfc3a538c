import { assertFiniteNumber, assertInteger, assertOneOf, InvalidArgumentError, type Tensor } from "@mc/core";
import { type Dataset, evaluate, type Module, type Optimizer, type ParameterKind, SGD, train } from "@mc/nn";
import { type AttachedMasks, attachPruningMasks } from "./attach-masks";
import { globalMagnitudeMask, magnitudeMask } from "./magnitude-mask";
import { polynomialDecay } from "./schedules";
import { assertSparsity } from "./validate";

export type PruningScope = "layer" | "global";

const DEFAULT_KINDS: readonly ParameterKind[] = ["linear.weight", "conv.weight"];

/** Names of the parameters magnitude pruning acts on by default: every Linear and Conv weight. */
export function prunableParameterNames(model: Module): string[] {
  return model
    .parameters()
    .filter((p) => DEFAULT_KINDS.includes(p.kind))
    .map((p) => p.name);
}

export interface ModelMaskOptions {
  /** One overall sparsity, or a sparsity per parameter name (scope "layer" only). */
  sparsity?: number | Record<string, number>;
  /** "layer": each tensor reaches its sparsity; "global": one magnitude ranking over all of them. */
  scope?: PruningScope;
  /** Parameters to prune; default `prunableParameterNames(model)`. */
  parameters?: string[];
}

/** Magnitude masks for a model's parameters (the model is not changed). */
export function modelMagnitudeMasks(model: Module, options: ModelMaskOptions = {}): Record<string, Uint8Array> {
  const caller = "modelMagnitudeMasks";
  const { sparsity = 0.5, scope = "layer", parameters = prunableParameterNames(model) } = options;
  assertOneOf(scope, ["layer", "global"], caller, "options.scope");
  if (parameters.length === 0) {
    throw new InvalidArgumentError({ message: `${caller}: no parameters to prune`, argument: "options.parameters" });
  }
  const weights: Record<string, Tensor> = {};
  for (const name of parameters) weights[name] = model.getParameter(name).value;
  if (scope === "global") {
    if (typeof sparsity !== "number") {
      throw new InvalidArgumentError({
        message: `${caller}: scope "global" takes one number for options.sparsity`,
        argument: "options.sparsity",
        value: sparsity,
      });
    }
    return globalMagnitudeMask(weights, { sparsity }).masks;
  }
  const masks: Record<string, Uint8Array> = {};
  for (const name of parameters) {
    const layerSparsity = typeof sparsity === "number" ? sparsity : sparsity[name];
    if (layerSparsity === undefined) {
      throw new InvalidArgumentError({
        message: `${caller}: options.sparsity has no entry for "${name}"`,
        argument: "options.sparsity",
        value: name,
      });
    }
    masks[name] = magnitudeMask(weights[name], { sparsity: layerSparsity }).mask;
  }
  return masks;
}

export interface IterativePruneProgress {
  /** "pruned" after masks were tightened, "retrained" after the round's training and evaluation. */
  phase: "pruned" | "retrained";
  round: number;
  rounds: number;
  /** Overall sparsity of the pruned parameters after this round's masks. */
  sparsity: number;
  /** Validation accuracy (phase "retrained"). */
  accuracy?: number;
  loss?: number;
}

export interface IterativePruneRound {
  round: number;
  sparsity: number;
  layerSparsity: Record<string, number>;
  accuracy: number;
  loss: number;
}

export interface IterativePruneOptions {
  train: Dataset;
  validation: Dataset;
  /** Final sparsity: one number, or one per parameter (scope "layer"). */
  targetSparsity: number | Record<string, number>;
  /** Prune → retrain rounds; round k reaches target·(1 − (1 − k/rounds)³) (Zhu & Gupta's cubic). */
  rounds?: number;
  scope?: PruningScope;
  parameters?: string[];
  /** Epochs of retraining after each pruning round. */
  retrainEpochs?: number;
  batchSize?: number;
  seed?: number;
  /** Optimizer for each round's retraining; default SGD(lr 0.01, momentum 0.9). */
  createOptimizer?: (model: Module, round: number) => Optimizer;
  /** Stop (and roll back the round) when validation accuracy falls below this. */
  accuracyFloor?: number;
  onProgress?: (progress: IterativePruneProgress) => void;
}

export interface IterativePruneResult {
  baseline: { accuracy: number; loss: number };
  history: IterativePruneRound[];
  /** "target" when every round ran; "accuracyFloor" when a round was rolled back. */
  stoppedBy: "target" | "accuracyFloor";
  /** Masks of the final state; still attached to the model (call `attached.detach()` to free the hooks). */
  masks: Record<string, Uint8Array>;
  attached: AttachedMasks;
  sparsity: number;
  accuracy: number;
}

function sparsityOf(masks: Record<string, Uint8Array>): { overall: number; layers: Record<string, number> } {
  let zeros = 0;
  let total = 0;
  const layers: Record<string, number> = {};
  for (const [name, mask] of Object.entries(masks)) {
    let layerZeros = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0) layerZeros++;
    layers[name] = mask.length === 0 ? 0 : layerZeros / mask.length;
    zeros += layerZeros;
    total += mask.length;
  }
  return { overall: total === 0 ? 0 : zeros / total, layers };
}

/**
 * Han et al. 2015's iterative pruning: prune by magnitude, retrain with the masks held by
 * parameter hooks (so pruned weights stay exactly zero), evaluate, and repeat with a higher
 * sparsity, until the target is reached or validation accuracy drops below `accuracyFloor`
 * (that round is then rolled back: weights and masks return to the previous round's). The model
 * is trained in place.
 */
export function iterativePrune(model: Module, options: IterativePruneOptions): IterativePruneResult {
  const caller = "iterativePrune";
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError({ message: `${caller}: options are required`, argument: "options" });
  }
  const {
    train: trainData,
    validation,
    targetSparsity,
    rounds = 5,
    scope = "layer",
    parameters = prunableParameterNames(model),
    retrainEpochs = 1,
    batchSize = 64,
    seed = 0,
    createOptimizer = (m: Module) => new SGD(m, { learningRate: 0.01, momentum: 0.9 }),
    accuracyFloor,
    onProgress,
  } = options;
  assertInteger(rounds, caller, "options.rounds", { min: 1 });
  assertInteger(retrainEpochs, caller, "options.retrainEpochs", { min: 0 });
  if (accuracyFloor !== undefined)
    assertFiniteNumber(accuracyFloor, caller, "options.accuracyFloor", { min: 0, max: 1 });
  if (typeof targetSparsity === "number") assertSparsity(targetSparsity, caller, "options.targetSparsity");
  else if (typeof targetSparsity === "object" && targetSparsity !== null) {
    for (const [name, value] of Object.entries(targetSparsity)) {
      assertSparsity(value, caller, `options.targetSparsity.${name}`);
    }
  } else {
    throw new InvalidArgumentError({
      message: `${caller}: options.targetSparsity is required (a number or a record of parameter → sparsity)`,
      argument: "options.targetSparsity",
      value: targetSparsity,
    });
  }
  // One schedule per target value; frequency 1 so each round is an update step.
  const sparsityAtRound = (target: number, round: number) =>
    polynomialDecay({ initialSparsity: 0, finalSparsity: target, beginStep: 0, endStep: rounds, frequency: 1 }).at(
      round,
    ).sparsity;
  const roundSparsity = (round: number): number | Record<string, number> => {
    if (typeof targetSparsity === "number") return sparsityAtRound(targetSparsity, round);
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(targetSparsity)) out[name] = sparsityAtRound(value, round);
    return out;
  };

  const baseline = evaluate(model, validation, { batchSize: 256 });
  const allOnes: Record<string, Uint8Array> = {};
  for (const name of parameters) allOnes[name] = new Uint8Array(model.getParameter(name).value.data.length).fill(1);
  const attached = attachPruningMasks(model, allOnes);
  const history: IterativePruneRound[] = [];
  let stoppedBy: IterativePruneResult["stoppedBy"] = "target";
  let accuracy = baseline.accuracy;

  for (let round = 1; round <= rounds; round++) {
    const snapshot = model.parameters().map((p) => p.value.data.slice());
    const previousMasks = Object.fromEntries(Object.entries(attached.masks).map(([k, v]) => [k, v.slice()]));
    const masks = modelMagnitudeMasks(model, { sparsity: roundSparsity(round), scope, parameters });
    for (const [name, mask] of Object.entries(masks)) attached.setMask(name, mask);
    const measured = sparsityOf(attached.masks);
    onProgress?.({ phase: "pruned", round, rounds, sparsity: measured.overall });
    if (retrainEpochs > 0) {
      train(model, trainData, {
        optimizer: createOptimizer(model, round),
        epochs: retrainEpochs,
        batchSize,
        seed: seed + round,
      });
    }
    const result = evaluate(model, validation, { batchSize: 256 });
    onProgress?.({
      phase: "retrained",
      round,
      rounds,
      sparsity: measured.overall,
      accuracy: result.accuracy,
      loss: result.loss,
    });
    if (accuracyFloor !== undefined && result.accuracy < accuracyFloor) {
      model.parameters().forEach((p, i) => {
        p.value.data.set(snapshot[i]);
      });
      for (const [name, mask] of Object.entries(previousMasks)) attached.setMask(name, mask);
      stoppedBy = "accuracyFloor";
      break;
    }
    history.push({
      round,
      sparsity: measured.overall,
      layerSparsity: measured.layers,
      accuracy: result.accuracy,
      loss: result.loss,
    });
    accuracy = result.accuracy;
  }
  return {
    baseline: { accuracy: baseline.accuracy, loss: baseline.loss },
    history,
    stoppedBy,
    masks: attached.masks as Record<string, Uint8Array>,
    attached,
    sparsity: sparsityOf(attached.masks).overall,
    accuracy,
  };
}
