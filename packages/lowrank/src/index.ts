export {
  type ActivationAwareResult,
  type ActivationScalesOptions,
  activationScales,
  factorizeLinearActivationAware,
  type LayerOutputError,
  layerOutputError,
} from "./activation-aware";
export {
  type FactorizeEmbeddingResult,
  type FactorizeLinearOptions,
  type FactorizeLinearResult,
  factorizeEmbedding,
  factorizeLinear,
} from "./factorize-linear";
export { FactorizedLinear, type FactorizeModelLayerResult, factorizeModelLayer } from "./factorized-linear";
export { type RandomizedSvdOptions, randomizedSvd } from "./randomized-svd";
export { type SelectRankCriterion, type SelectRankResult, selectRank } from "./select-rank";
export {
  reconstructSvd,
  type SvdResult,
  type TruncatedSvdOptions,
  type TruncatedSvdResult,
  truncatedSvd,
} from "./truncated-svd";
