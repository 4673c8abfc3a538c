import { dispatchCodebookLinear } from "./select-kernel";
import { checkCodeIndices } from "./sparse-linear";
import { checkDimension, checkFloat32Array, checkLength, checkOptionalBias, checkOptions } from "./validate-args";

export interface CodebookWeight {
  outFeatures: number;
  inFeatures: number;
  /** [out×in] cluster index per weight. */
  indices: Uint8Array | Uint16Array;
  codebook: Float32Array;
}

/** y[batch×out] = x·Wᵀ + bias with W[o, i] = codebook[indices[o·in + i]] (weight sharing). */
export function codebookLinear(
  input: Float32Array,
  batch: number,
  weight: CodebookWeight,
  bias?: Float32Array,
): Float32Array {
  const caller = "codebookLinear";
  checkOptions(weight, caller);
  const outFeatures = checkDimension(weight.outFeatures, caller, "weight.outFeatures");
  const inFeatures = checkDimension(weight.inFeatures, caller, "weight.inFeatures");
  checkDimension(batch, caller, "batch");
  checkFloat32Array(input, caller, "input");
  checkLength(input, batch * inFeatures, caller, "input", [batch, inFeatures]);
  const codebook = checkFloat32Array(weight.codebook, caller, "weight.codebook");
  checkCodeIndices(weight.indices, outFeatures * inFeatures, codebook.length, caller, "weight.indices");
  const b = checkOptionalBias(bias, outFeatures, caller);
  const y = new Float32Array(batch * outFeatures);
  if (y.length === 0) return y;
  dispatchCodebookLinear(input, batch, outFeatures, inFeatures, weight.indices, codebook, b, y);
  return y;
}
