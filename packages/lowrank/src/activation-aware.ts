import { assertFiniteNumber, assertOneOf, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { type FactorizeLinearOptions, type FactorizeLinearResult, factorizeMatrix } from "./factorize-linear";
import { assertMatrix } from "./matrix-input";

export interface ActivationScalesOptions {
  /** `"mean-abs"`: (1/n)Σ|x_j| as ASVD; `"rms"`: √((1/n)Σx_j²). */
  statistic?: "mean-abs" | "rms";
  /** Exponent α applied to the statistic; ASVD found 0.5 best. */
  alpha?: number;
}

const scaleDefaults = { statistic: "mean-abs", alpha: 0.5 } as const;

/**
 * Per-input-channel scales s_j = stat(x_j)^α from calibration inputs [count, N] (ASVD,
 * Yuan et al. 2023). Channels that never fire would get scale 0 and make W·diag(s)
 * lose them entirely, so scales are floored at 1e-6 of the largest (1 when all are 0).
 */
export function activationScales(
  activations: Tensor<Float32Array | Float64Array>,
  options: ActivationScalesOptions = {},
): Float64Array {
  const caller = "activationScales";
  const input = assertMatrix(activations, caller, "activations");
  const { statistic = scaleDefaults.statistic, alpha = scaleDefaults.alpha } = options;
  assertOneOf(statistic, ["mean-abs", "rms"] as const, caller, "options.statistic");
  assertFiniteNumber(alpha, caller, "options.alpha", { min: 0 });
  const { rows, columns, data } = input;
  const sums = new Float64Array(columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      const x = data[i * columns + j] as number;
      sums[j] += statistic === "rms" ? x * x : Math.abs(x);
    }
  }
  const scales = new Float64Array(columns);
  let largest = 0;
  for (let j = 0; j < columns; j++) {
    const mean = (sums[j] as number) / rows;
    const value = (statistic === "rms" ? Math.sqrt(mean) : mean) ** alpha;
    scales[j] = value;
    if (value > largest) largest = value;
  }
  const floor = largest === 0 ? 1 : largest * 1e-6;
  for (let j = 0; j < columns; j++) if ((scales[j] as number) < floor) scales[j] = floor;
  return scales;
}

export interface ActivationAwareResult extends FactorizeLinearResult {
  readonly columnScales: Float64Array;
}

/**
 * ASVD-style factorization: scale W's input columns by how strongly calibration
 * activations drive them, truncate, and undo the scaling in the right factor. Plain SVD
 * minimizes ‖W − AB‖_F; this approximately minimizes the error of the layer's outputs
 * ‖X(W − AB)ᵀ‖_F on inputs like `activations` [count, N], which is what the network sees.
 */
export function factorizeLinearActivationAware(
  weight: Tensor<Float32Array | Float64Array>,
  activations: Tensor<Float32Array | Float64Array>,
  options: Omit<FactorizeLinearOptions, "columnScales"> & ActivationScalesOptions = {},
): ActivationAwareResult {
  const caller = "factorizeLinearActivationAware";
  const w = assertMatrix(weight, caller, "weight");
  const x = assertMatrix(activations, caller, "activations");
  if (x.columns !== w.columns) {
    throw new ShapeMismatchError({
      message: `${caller}: activations have shape [${x.rows}, ${x.columns}] but the weight [${w.rows}, ${w.columns}] takes ${w.columns} inputs`,
      expected: [x.rows, w.columns],
      actual: [x.rows, x.columns],
    });
  }
  const { statistic, alpha, ...factorOptions } = options;
  const columnScales = activationScales(activations, { statistic, alpha });
  const result = factorizeMatrix(weight, { ...factorOptions, columnScales }, caller, "weight");
  return { ...result, columnScales };
}

export interface LayerOutputError {
  /** ‖X·Wᵀ − X·(A·B)ᵀ‖_F. */
  absolute: number;
  /** absolute / ‖X·Wᵀ‖_F. */
  relative: number;
}

/** Output error of the factorized layer on inputs X [count, N]: what the next layer sees. */
export function layerOutputError(
  weight: Tensor<Float32Array | Float64Array>,
  factors: Pick<FactorizeLinearResult, "leftFactor" | "rightFactor">,
  activations: Tensor<Float32Array | Float64Array>,
): LayerOutputError {
  const caller = "layerOutputError";
  const w = assertMatrix(weight, caller, "weight");
  const x = assertMatrix(activations, caller, "activations");
  const a = assertMatrix(factors?.leftFactor, caller, "factors.leftFactor");
  const b = assertMatrix(factors?.rightFactor, caller, "factors.rightFactor");
  if (x.columns !== w.columns || a.rows !== w.rows || b.columns !== w.columns || a.columns !== b.rows) {
    throw new ShapeMismatchError({
      message: `${caller}: shapes do not chain: activations [${x.rows}, ${x.columns}], weight [${w.rows}, ${w.columns}], leftFactor [${a.rows}, ${a.columns}], rightFactor [${b.rows}, ${b.columns}]`,
    });
  }
  const rank = a.columns;
  const { rows: count, columns: inputs } = x;
  const outputs = w.rows;
  let errorSquared = 0;
  let referenceSquared = 0;
  const hidden = new Float64Array(rank);
  for (let s = 0; s < count; s++) {
    const xo = s * inputs;
    hidden.fill(0);
    for (let r = 0; r < rank; r++) {
      let acc = 0;
      for (let j = 0; j < inputs; j++) acc += (b.data[r * inputs + j] as number) * (x.data[xo + j] as number);
      hidden[r] = acc;
    }
    for (let o = 0; o < outputs; o++) {
      let exact = 0;
      for (let j = 0; j < inputs; j++) exact += (w.data[o * inputs + j] as number) * (x.data[xo + j] as number);
      let approx = 0;
      for (let r = 0; r < rank; r++) approx += (a.data[o * rank + r] as number) * (hidden[r] as number);
      errorSquared += (exact - approx) ** 2;
      referenceSquared += exact * exact;
    }
  }
  const absolute = Math.sqrt(errorSquared);
  if (!Number.isFinite(absolute)) {
    throw new InvalidArgumentError({ message: `${caller}: the output error overflowed`, argument: "activations" });
  }
  return { absolute, relative: referenceSquared === 0 ? 0 : absolute / Math.sqrt(referenceSquared) };
}
