import { assertAllFinite, assertFiniteNumber, assertInteger, InvalidArgumentError } from "@mc/core";

/** Exactly one criterion: kept energy, a parameter budget for an M×N layer, or an error bound. */
export type SelectRankCriterion =
  | { energy: number; parameterBudget?: undefined; relativeError?: undefined }
  | { parameterBudget: number; shape: readonly [number, number]; energy?: undefined; relativeError?: undefined }
  | { relativeError: number; energy?: undefined; parameterBudget?: undefined };

export interface SelectRankResult {
  rank: number;
  /** Σ_{i<rank} σ² / Σ σ² over the given values. */
  keptEnergy: number;
  /** √(Σ_{i≥rank} σ²) / √(Σ σ²): the relative Frobenius error of the rank-`rank` truncation. */
  relativeError: number;
}

/**
 * Picks a rank from a descending spectrum.
 * - `{ energy }`: the smallest rank keeping at least that fraction of Σσ² (0 < energy ≤ 1).
 * - `{ relativeError }`: the smallest rank whose truncation error ‖M − M_K‖_F / ‖M‖_F is at
 *   most that value (the same rule as energy = 1 − relativeError², stated as an error).
 * - `{ parameterBudget, shape: [M, N] }`: the largest rank whose factors fit the budget,
 *   (M + N)·K ≤ budget; a budget below M + N fits no factorization and is an error.
 *
 * Energies are relative to the values given: pass the full spectrum (`allSingularValues` of
 * `truncatedSvd`) for true fractions.
 */
export function selectRank(singularValues: ArrayLike<number>, criterion: SelectRankCriterion): SelectRankResult {
  const caller = "selectRank";
  if (singularValues === null || typeof singularValues !== "object" || typeof singularValues.length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: singularValues must be an array of numbers`,
      argument: "singularValues",
    });
  }
  const count = singularValues.length;
  if (count === 0) {
    throw new InvalidArgumentError({ message: `${caller}: singularValues is empty`, argument: "singularValues" });
  }
  assertAllFinite(singularValues, caller, "singularValues");
  for (let i = 0; i < count; i++) {
    const value = singularValues[i] as number;
    const previous = i === 0 ? Number.POSITIVE_INFINITY : (singularValues[i - 1] as number);
    if (value < 0 || value > previous) {
      throw new InvalidArgumentError({
        message: `${caller}: singularValues must be non-negative and descending; index ${i} holds ${value} after ${previous}`,
        argument: "singularValues",
        value,
      });
    }
  }
  if (criterion === null || typeof criterion !== "object") {
    throw new InvalidArgumentError({
      message: `${caller}: criterion must be { energy }, { relativeError } or { parameterBudget, shape }`,
      argument: "criterion",
    });
  }
  const given = (["energy", "relativeError", "parameterBudget"] as const).filter((key) => criterion[key] !== undefined);
  if (given.length !== 1) {
    throw new InvalidArgumentError({
      message: `${caller}: criterion must set exactly one of energy, relativeError, parameterBudget; got ${given.length === 0 ? "none" : given.join(", ")}`,
      argument: "criterion",
    });
  }

  // suffix[k] = Σ_{i≥k} σ², accumulated from the small end for accuracy.
  const suffix = new Float64Array(count + 1);
  for (let i = count - 1; i >= 0; i--) suffix[i] = (suffix[i + 1] as number) + (singularValues[i] as number) ** 2;
  const total = suffix[0] as number;
  const describe = (rank: number): SelectRankResult => {
    if (total === 0) return { rank, keptEnergy: 1, relativeError: 0 };
    const discarded = suffix[rank] as number;
    return { rank, keptEnergy: (total - discarded) / total, relativeError: Math.sqrt(discarded / total) };
  };

  if (criterion.energy !== undefined) {
    const energy = assertFiniteNumber(criterion.energy, caller, "criterion.energy", {
      min: 0,
      max: 1,
      exclusiveMin: true,
    });
    for (let rank = 1; rank <= count; rank++) {
      if (total === 0 || total - (suffix[rank] as number) >= energy * total * (1 - 1e-12)) return describe(rank);
    }
    return describe(count);
  }
  if (criterion.relativeError !== undefined) {
    const bound = assertFiniteNumber(criterion.relativeError, caller, "criterion.relativeError", { min: 0 });
    for (let rank = 1; rank <= count; rank++) {
      if (total === 0 || Math.sqrt((suffix[rank] as number) / total) <= bound * (1 + 1e-12)) return describe(rank);
    }
    return describe(count);
  }

  const budget = assertFiniteNumber(criterion.parameterBudget, caller, "criterion.parameterBudget", { min: 0 });
  const shape = (criterion as { shape?: unknown }).shape;
  if (!Array.isArray(shape) || shape.length !== 2) {
    throw new InvalidArgumentError({
      message: `${caller}: criterion.shape must be the layer's [rows, columns] when parameterBudget is used`,
      argument: "criterion.shape",
      value: shape,
    });
  }
  const rows = assertInteger(shape[0], caller, "criterion.shape[0]", { min: 1 });
  const columns = assertInteger(shape[1], caller, "criterion.shape[1]", { min: 1 });
  const perRank = rows + columns;
  const rank = Math.min(Math.floor(budget / perRank), count, Math.min(rows, columns));
  if (rank < 1) {
    throw new InvalidArgumentError({
      message: `${caller}: criterion.parameterBudget ${budget} is below ${perRank}, the cost of one rank for shape [${rows}, ${columns}]`,
      argument: "criterion.parameterBudget",
      value: budget,
    });
  }
  return describe(rank);
}
