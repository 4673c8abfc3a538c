export { type AttachedMasks, attachPruningMasks } from "./attach-masks";
export {
  type CscMatrix,
  type CsrMatrix,
  csrByteLength,
  fromCsc,
  fromCsr,
  type SparseConversionOptions,
  toCsc,
  toCsr,
} from "./csr";
export {
  type HeadImportanceOptions,
  type HeadImportanceResult,
  headImportance,
  type IterativeHeadPruningOptions,
  type IterativeHeadPruningResult,
  pruneHeadsIteratively,
  selectHeadsToPrune,
} from "./head-importance";
export { HeadPrunedAttention, removeMaskedHeadsInPlace } from "./head-pruned-attention";
export {
  type IterativePruneOptions,
  type IterativePruneProgress,
  type IterativePruneResult,
  type IterativePruneRound,
  iterativePrune,
  type ModelMaskOptions,
  modelMagnitudeMasks,
  type PruningScope,
  prunableParameterNames,
} from "./iterative-prune";
export {
  applyMask,
  type GlobalMagnitudeMaskResult,
  globalMagnitudeMask,
  type MagnitudeMaskOptions,
  type MagnitudeMaskResult,
  magnitudeMask,
  measureSparsity,
} from "./magnitude-mask";
export { type NmMaskOptions, type NmMaskResult, nmMask, satisfiesNm } from "./n-m-mask";
export {
  type PruneNeuronsOptions,
  type PruneNeuronsResult,
  pruneNeurons,
  selectUnitsToKeep,
  type UnitNorm,
  unitNorms,
} from "./prune-neurons";
export {
  decodeRelativeIndices,
  type EncodeRelativeIndicesOptions,
  encodeRelativeIndices,
  type RelativeIndexByteLength,
  type RelativeIndexByteLengthOptions,
  type RelativeIndexEncoding,
  relativeIndexByteLength,
} from "./relative-index";
export { attachScheduledPruning, type ScheduledPruning, type ScheduledPruningOptions } from "./scheduled-pruning";
export {
  type ConstantSparsityOptions,
  constantSparsity,
  type PolynomialDecayOptions,
  type PruningSchedule,
  polynomialDecay,
  type ScheduleDecision,
} from "./schedules";
export { type AttentionProjections, type ProjectionWeights, sliceAttentionHeads } from "./slice-heads";
export { type ThresholdMaskOptions, type ThresholdMaskResult, thresholdMask } from "./threshold-mask";
export {
  getHeadMask,
  setHeadMask,
  type TransformerHeadImportanceOptions,
  transformerHeadImportance,
} from "./transformer-heads";
