export { erf, GELU, ReLU, Softmax, softmaxBackward, softmaxLastAxis, Tanh } from "./activations";
export { type Augmentation, randomShift } from "./augment";
export { Conv2d, type Conv2dOptions } from "./conv2d";
export { assertDataset, type Dataset, gatherBatch, sliceDataset } from "./dataset";
export { Dropout } from "./dropout";
export { Embedding } from "./embedding";
export { Flatten } from "./flatten";
export { LayerNorm } from "./layer-norm";
export { Linear, type LinearOptions } from "./linear";
export { type LossResult, meanSquaredError, softmaxCrossEntropy } from "./losses";
export { MaxPool2d } from "./max-pool2d";
export { type LoadMnistOptions, loadIdx, loadMnist, parseIdx } from "./mnist";
export { createLenet5, createLenet300100 } from "./models";
export { addParameterHook, Module, Parameter, type ParameterHook, type ParameterKind } from "./module";
export {
  type AttentionExtraGradients,
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
} from "./multi-head-attention";
export {
  Adam,
  type AdamOptions,
  cosineDecay,
  type LearningRateSchedule,
  type Optimizer,
  SGD,
  type SgdOptions,
  stepDecay,
} from "./optimizers";
export { loadParameters, saveParameters } from "./parameters-io";
export { addTensors, Sequential, type SequentialIntermediates } from "./sequential";
export {
  type EpochSummary,
  evaluate,
  type LossFunction,
  predict,
  type TrainOptions,
  type TrainProgress,
  train,
} from "./train";
export {
  createRowTransformer,
  RowTransformer,
  type RowTransformerOptions,
  TransformerEncoderBlock,
  type TransformerEncoderBlockOptions,
  type TransformerExtraGradients,
  type TransformerIntermediates,
} from "./transformer";
