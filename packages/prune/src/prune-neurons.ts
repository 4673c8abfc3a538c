import { assertOneOf, formatShape, InvalidArgumentError, type Tensor } from "@mc/core";
import { Dropout, Flatten, GELU, Linear, type Module, ReLU, Sequential, Tanh } from "@mc/nn";
import { assertSparsity, assertWeight, prunedCountFor } from "./validate";

export type UnitNorm = "l2" | "l1";

/**
 * Norm of each output unit's incoming weights: row r of a [out, in] weight (or of a
 * [out, ...] conv weight, every entry of output channel r).
 */
export function unitNorms(weight: Tensor, options: { norm?: UnitNorm } = {}): Float64Array {
  const { norm = "l2" } = options;
  const caller = "unitNorms";
  const tensor = assertWeight(weight, caller);
  assertOneOf(norm, ["l2", "l1"], caller, "options.norm");
  if (tensor.shape.length < 2) {
    throw new InvalidArgumentError({
      message: `${caller}: weight must have rank >= 2 ([out, in, ...]), got shape ${formatShape(tensor.shape)}`,
      argument: "weight",
      value: tensor.shape,
    });
  }
  const units = tensor.shape[0];
  const width = units === 0 ? 0 : tensor.data.length / units;
  const scores = new Float64Array(units);
  for (let r = 0; r < units; r++) {
    let acc = 0;
    for (let c = 0; c < width; c++) {
      const v = tensor.data[r * width + c];
      acc += norm === "l2" ? v * v : Math.abs(v);
    }
    scores[r] = norm === "l2" ? Math.sqrt(acc) : acc;
  }
  return scores;
}

/**
 * Indices (ascending) of the units to keep when `prunedCount` of the lowest scores go. Ties:
 * the lower index is kept. Removing every unit is an error, since the layer would vanish.
 */
export function selectUnitsToKeep(scores: ArrayLike<number>, prunedCount: number, caller = "selectUnitsToKeep") {
  const units = scores.length;
  if (prunedCount >= units) {
    throw new InvalidArgumentError({
      message: `${caller}: removing ${prunedCount} of ${units} units would remove every unit of the layer`,
      argument: "options.sparsity",
      value: prunedCount,
    });
  }
  const order = Array.from({ length: units }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(order.slice(0, units - prunedCount)).sort();
}

export interface PruneNeuronsOptions {
  /**
   * Fraction of units to remove: one number for every hidden Linear (each Linear whose output
   * feeds another Linear), or a record from layer name to fraction.
   */
  sparsity?: number | Record<string, number>;
  norm?: UnitNorm;
}

export interface PruneNeuronsResult {
  /** A new, smaller model; the input model is not changed. */
  model: Sequential;
  /** For each pruned layer, the original indices of the units kept (ascending). */
  keptUnits: Record<string, Int32Array>;
  /** For each pruned layer, the norm of every original unit. */
  scores: Record<string, Float64Array>;
  /** Parameter count before and after. */
  parameterCount: { before: number; after: number };
}

/** Modules that act on each unit on its own, so a removed unit can be dropped across them. */
function isUnitwise(module: Module): boolean {
  return (
    module instanceof ReLU ||
    module instanceof Tanh ||
    module instanceof GELU ||
    module instanceof Flatten ||
    module instanceof Dropout
  );
}

/** A parameterless module copied so the two models never share forward caches. */
function cloneStateless(module: Module): Module {
  return Object.assign(Object.create(Object.getPrototypeOf(module)), module) as Module;
}

/**
 * Structured (neuron) pruning with physical removal on a `Sequential` MLP (Han et al. 2015 §3
 * prune neurons with zero in/out connections; Li et al. 2017 rank filters by L1 norm): for each
 * chosen Linear, rank its output units by the L2 (or L1) norm of their incoming weights, drop
 * the lowest fraction — the Linear's rows and bias entries — and drop the matching input columns
 * of the next Linear. The result computes exactly what the original computes with the next
 * layer's columns for removed units set to zero, in fewer operations.
 */
export function pruneNeurons(model: Sequential, options: PruneNeuronsOptions = {}): PruneNeuronsResult {
  const caller = "pruneNeurons";
  const { sparsity = 0.5, norm = "l2" } = options;
  if (!(model instanceof Sequential)) {
    throw new InvalidArgumentError({ message: `${caller}: model must be an @mc/nn Sequential`, argument: "model" });
  }
  assertOneOf(norm, ["l2", "l1"], caller, "options.norm");
  const children = model.children();

  // Hidden Linear i → index of the Linear it feeds, with only unit-wise modules in between.
  const feeds = new Map<number, number>();
  for (let i = 0; i < children.length; i++) {
    if (!(children[i][1] instanceof Linear)) continue;
    for (let j = i + 1; j < children.length; j++) {
      const module = children[j][1];
      if (module instanceof Linear) {
        feeds.set(i, j);
        break;
      }
      if (!isUnitwise(module)) break;
    }
  }
  const hiddenNames = [...feeds.keys()].map((i) => children[i][0]);
  const fractions: Record<string, number> = {};
  if (typeof sparsity === "number") {
    assertSparsity(sparsity, caller);
    for (const name of hiddenNames) fractions[name] = sparsity;
  } else {
    if (typeof sparsity !== "object" || sparsity === null) {
      throw new InvalidArgumentError({
        message: `${caller}: options.sparsity must be a number or a record of layer → fraction`,
        argument: "options.sparsity",
        value: sparsity,
      });
    }
    for (const [name, fraction] of Object.entries(sparsity)) {
      if (!hiddenNames.includes(name)) {
        throw new InvalidArgumentError({
          message: `${caller}: "${name}" is not a hidden Linear that feeds another Linear through unit-wise layers; prunable: ${hiddenNames.join(", ") || "none"}`,
          argument: "options.sparsity",
          value: name,
        });
      }
      fractions[name] = assertSparsity(fraction, caller, `options.sparsity.${name}`);
    }
  }

  const keptUnits: Record<string, Int32Array> = {};
  const scores: Record<string, Float64Array> = {};
  const keptInputsOf = new Map<number, Int32Array>();
  for (const [index, next] of feeds) {
    const [name, module] = children[index];
    const fraction = fractions[name];
    if (fraction === undefined) continue;
    const linear = module as Linear;
    const layerScores = unitNorms(linear.weight.value, { norm });
    const kept = selectUnitsToKeep(
      layerScores,
      prunedCountFor(fraction, linear.outFeatures),
      `${caller}: layer "${name}"`,
    );
    keptUnits[name] = kept;
    scores[name] = layerScores;
    keptInputsOf.set(next, kept);
  }

  const rebuilt: Record<string, Module> = {};
  children.forEach(([name, module], index) => {
    if (!(module instanceof Linear)) {
      if (module.parameters().length > 0) {
        throw new InvalidArgumentError({
          message: `${caller}: layer "${name}" (${module.constructor.name}) has parameters and is not a Linear; only MLPs are supported`,
          argument: "model",
          value: name,
        });
      }
      rebuilt[name] = cloneStateless(module);
      return;
    }
    rebuilt[name] = sliceLinear(module, keptUnits[name], keptInputsOf.get(index));
  });
  const pruned = new Sequential(rebuilt);
  pruned.training = model.training;
  const count = (m: Module) => m.parameters().reduce((sum, p) => sum + p.value.data.length, 0);
  return { model: pruned, keptUnits, scores, parameterCount: { before: count(model), after: count(pruned) } };
}

/** A new Linear holding rows `rows` and columns `columns` (all when undefined) of `source`. */
function sliceLinear(source: Linear, rows: Int32Array | undefined, columns: Int32Array | undefined): Linear {
  const inFeatures = columns ? columns.length : source.inFeatures;
  const outFeatures = rows ? rows.length : source.outFeatures;
  const target = new Linear(inFeatures, outFeatures, {
    bias: source.bias !== undefined,
    kind: source.weight.kind,
  });
  const from = source.weight.value.data;
  const weight = new Float32Array(outFeatures * inFeatures);
  for (let r = 0; r < outFeatures; r++) {
    const sourceRow = rows ? rows[r] : r;
    for (let c = 0; c < inFeatures; c++) {
      const sourceColumn = columns ? columns[c] : c;
      weight[r * inFeatures + c] = from[sourceRow * source.inFeatures + sourceColumn];
    }
  }
  target.weight.value = { data: weight, shape: [outFeatures, inFeatures] };
  target.weight.grad = new Float32Array(weight.length);
  if (source.bias && target.bias) {
    const bias = new Float32Array(outFeatures);
    for (let r = 0; r < outFeatures; r++) bias[r] = source.bias.value.data[rows ? rows[r] : r];
    target.bias.value = { data: bias, shape: [outFeatures] };
    target.bias.grad = new Float32Array(outFeatures);
  }
  return target;
}
