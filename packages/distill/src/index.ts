export { attentionLoss } from "./attention-loss";
export { cosineEmbeddingLoss } from "./cosine-embedding-loss";
export {
  type DistillEpochSummary,
  type DistillLossWeights,
  type DistillOptions,
  type DistillProgress,
  type DistillResult,
  distill,
  type HiddenPair,
} from "./distill";
export { type HiddenStateLossOptions, type HiddenStateLossResult, hiddenStateLoss } from "./hidden-state-loss";
export {
  type DistillationLossInput,
  type DistillationLossResult,
  distillationLoss,
  type KdLossOptions,
  kdLoss,
  type Labels,
  type LossWithGradient,
} from "./kd-loss";
export { type LayerMappingStrategy, mapLayers, type TransformerLayerPairs, transformerLayerPairs } from "./map-layers";
export {
  autoAdapter,
  type ForwardTaps,
  type ModelAdapter,
  sequentialAdapter,
  type TapGradients,
  transformerAdapter,
} from "./model-adapter";
