import { assertFiniteNumber, assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError } from "@mc/core";

/**
 * Attention-head importance and selection, after Michel, Levy & Neubig 2019 ("Are Sixteen Heads
 * Really Better than One?", §4 and their `run_bertology.py`). Written over plain functions so it
 * serves any model that can return ∂L/∂ξ for a head mask ξ of shape [layers, heads].
 */

export interface HeadImportanceOptions {
  layers: number;
  heads: number;
  /** Number of batches to average over; `gradient` is called with 0 … batches − 1. */
  batches: number;
  /**
   * ∂L/∂ξ for one batch, [layers × heads] row-major, evaluated at `headMask` (1 = active,
   * 0 = pruned). L is the batch's mean loss.
   */
  gradient: (batch: number, headMask: Float32Array) => Float32Array;
  /** Current head mask; default all ones. */
  headMask?: Float32Array;
  /** Divide each layer's scores by their L2 norm (the paper's per-layer normalization). Default true. */
  normalizePerLayer?: boolean;
}

export interface HeadImportanceResult {
  /** I_h, [layers × heads]; normalized per layer when asked. Pruned heads score 0. */
  importance: Float32Array;
  /** E|∂L/∂ξ_h| before normalization. */
  raw: Float32Array;
}

function assertHeadMask(mask: unknown, layers: number, heads: number, caller: string, argument: string): Float32Array {
  if (!(mask instanceof Float32Array)) {
    throw new InvalidArgumentError({ message: `${caller}: ${argument} must be a Float32Array`, argument });
  }
  if (mask.length !== layers * heads) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument} has ${mask.length} entries but [layers, heads] = ${formatShape([layers, heads])} needs ${layers * heads}`,
      expected: [layers, heads],
      actual: [mask.length],
    });
  }
  return mask;
}

/**
 * I_h = E_x |∂L(x)/∂ξ_h|, the expectation taken over batches (as the reference code does; with
 * batches of one example it is the per-example expectation of the paper's equation 2). Per-layer
 * normalization divides each layer's scores by their L2 norm (+1e-20, as in the reference code).
 */
export function headImportance(options: HeadImportanceOptions): HeadImportanceResult {
  const caller = "headImportance";
  const { layers, heads, batches, gradient, normalizePerLayer = true } = options;
  assertInteger(layers, caller, "options.layers", { min: 1 });
  assertInteger(heads, caller, "options.heads", { min: 1 });
  assertInteger(batches, caller, "options.batches", { min: 1 });
  if (typeof gradient !== "function") {
    throw new InvalidArgumentError({
      message: `${caller}: options.gradient must be a function`,
      argument: "options.gradient",
    });
  }
  const headMask = options.headMask ?? new Float32Array(layers * heads).fill(1);
  assertHeadMask(headMask, layers, heads, caller, "options.headMask");
  const sum = new Float64Array(layers * heads);
  for (let b = 0; b < batches; b++) {
    const g = gradient(b, headMask.slice());
    assertHeadMask(g, layers, heads, caller, `gradient(${b})`);
    for (let i = 0; i < sum.length; i++) sum[i] += Math.abs(g[i]);
  }
  const raw = new Float32Array(layers * heads);
  for (let i = 0; i < raw.length; i++) raw[i] = headMask[i] === 0 ? 0 : sum[i] / batches;
  const importance = raw.slice();
  if (normalizePerLayer) {
    for (let l = 0; l < layers; l++) {
      let squares = 0;
      for (let h = 0; h < heads; h++) squares += raw[l * heads + h] ** 2;
      const norm = Math.sqrt(squares) + 1e-20;
      for (let h = 0; h < heads; h++) importance[l * heads + h] = raw[l * heads + h] / norm;
    }
  }
  return { importance, raw };
}

/**
 * The `count` active heads with the lowest importance (ties: lower flat index first). With
 * `keepOnePerLayer` (default) the last active head of a layer is never chosen, so no layer loses
 * all its heads. Throws when fewer than `count` heads can be pruned.
 */
export function selectHeadsToPrune(
  importance: Float32Array,
  headMask: Float32Array,
  options: { heads: number; count: number; keepOnePerLayer?: boolean },
): Int32Array {
  const caller = "selectHeadsToPrune";
  const { heads, count, keepOnePerLayer = true } = options;
  assertInteger(heads, caller, "options.heads", { min: 1 });
  assertInteger(count, caller, "options.count", { min: 0 });
  const layers = importance.length / heads;
  if (!Number.isInteger(layers)) {
    throw new ShapeMismatchError({
      message: `${caller}: importance has ${importance.length} entries, not a multiple of heads = ${heads}`,
      actual: [importance.length],
    });
  }
  assertHeadMask(headMask, layers, heads, caller, "headMask");
  const active = new Int32Array(layers);
  for (let i = 0; i < headMask.length; i++) if (headMask[i] !== 0) active[Math.floor(i / heads)]++;
  const order = Array.from({ length: importance.length }, (_, i) => i)
    .filter((i) => headMask[i] !== 0)
    .sort((a, b) => importance[a] - importance[b] || a - b);
  const chosen: number[] = [];
  for (const index of order) {
    if (chosen.length === count) break;
    const layer = Math.floor(index / heads);
    if (keepOnePerLayer && active[layer] <= 1) continue;
    active[layer]--;
    chosen.push(index);
  }
  if (chosen.length < count) {
    throw new InvalidArgumentError({
      message: `${caller}: cannot prune ${count} heads; only ${chosen.length} can go without removing every head of a layer`,
      argument: "options.count",
      value: count,
    });
  }
  return Int32Array.from(chosen).sort();
}

export interface IterativeHeadPruningOptions {
  layers: number;
  heads: number;
  /** Fraction of all heads to remove in the end, e.g. 0.4. */
  targetFraction: number;
  /** Fraction of all heads removed per step (the paper: 10%). At least one head per step. */
  stepFraction?: number;
  /** Importance for the current mask (e.g. `headImportance(...).importance`). */
  importance: (headMask: Float32Array) => Float32Array;
  /** Score (e.g. accuracy) with the given mask; called before pruning and after every step. */
  evaluate: (headMask: Float32Array) => number;
  /** Stop before a step whose score would fall below this. */
  scoreFloor?: number;
  keepOnePerLayer?: boolean;
  onProgress?: (progress: { step: number; pruned: number; score: number; headMask: Float32Array }) => void;
}

export interface IterativeHeadPruningResult {
  /** Final mask [layers × heads], 1 = kept. */
  headMask: Float32Array;
  /** Flat indices of pruned heads in the order they were removed. */
  prunedOrder: number[];
  history: { step: number; pruned: number; score: number }[];
  stoppedBy: "target" | "scoreFloor";
}

/**
 * Michel et al.'s iterative procedure: recompute importance under the current mask, mask the
 * least important `stepFraction` of all heads, evaluate, repeat until `targetFraction` of the
 * heads are gone (or the score would drop below `scoreFloor`; that step is undone).
 */
export function pruneHeadsIteratively(options: IterativeHeadPruningOptions): IterativeHeadPruningResult {
  const caller = "pruneHeadsIteratively";
  const { layers, heads, targetFraction, stepFraction = 0.1, importance, evaluate, scoreFloor, onProgress } = options;
  const { keepOnePerLayer = true } = options;
  assertInteger(layers, caller, "options.layers", { min: 1 });
  assertInteger(heads, caller, "options.heads", { min: 1 });
  assertFiniteNumber(targetFraction, caller, "options.targetFraction", { min: 0, max: 1 });
  assertFiniteNumber(stepFraction, caller, "options.stepFraction", { min: 0, max: 1, exclusiveMin: true });
  const total = layers * heads;
  const target = Math.round(targetFraction * total);
  const perStep = Math.max(1, Math.floor(stepFraction * total));
  const headMask = new Float32Array(total).fill(1);
  const prunedOrder: number[] = [];
  const history = [{ step: 0, pruned: 0, score: evaluate(headMask.slice()) }];
  let stoppedBy: IterativeHeadPruningResult["stoppedBy"] = "target";
  for (let step = 1; prunedOrder.length < target; step++) {
    const scores = importance(headMask.slice());
    assertHeadMask(scores, layers, heads, caller, "importance()");
    const count = Math.min(perStep, target - prunedOrder.length);
    const chosen = selectHeadsToPrune(scores, headMask, { heads, count, keepOnePerLayer });
    for (const index of chosen) headMask[index] = 0;
    const score = evaluate(headMask.slice());
    if (scoreFloor !== undefined && score < scoreFloor) {
      for (const index of chosen) headMask[index] = 1;
      stoppedBy = "scoreFloor";
      break;
    }
    prunedOrder.push(...chosen);
    history.push({ step, pruned: prunedOrder.length, score });
    onProgress?.({ step, pruned: prunedOrder.length, score, headMask: headMask.slice() });
  }
  return { headMask, prunedOrder, history, stoppedBy };
}
