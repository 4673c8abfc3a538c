export { type CastResult, castBfloat16, castFloat16 } from "./cast-float16";
export {
  type ChannelQParams,
  type ChooseQParamsOptions,
  chooseQParams,
  chooseQParamsPerChannel,
  FLOAT32_EPSILON,
  type ObservedRange,
  type QParams,
} from "./choose-qparams";
export { dequantize } from "./dequantize";
export {
  DynamicQuantizedLinear,
  InferenceModule,
  type QuantizeDynamicOptions,
  QuantizedSequential,
  quantizeDynamic,
  storageBytes,
} from "./dynamic-ptq";
export { type DynamicQuantizeLinearResult, dynamicQuantizeLinear } from "./dynamic-quantize-linear";
export { EntropyObserver, type EntropyObserverOptions, searchEntropyThreshold } from "./entropy-observer";
export {
  type FakeQuantizeOptions,
  type FakeQuantizeResult,
  fakeQuantize,
  fakeQuantizeBackward,
} from "./fake-quantize";
export {
  GptqHessian,
  type GptqOptions,
  type GptqResult,
  gptqQuantize,
  quantizeRoundToNearest,
} from "./gptq";
export { type QuantizeModelGptqOptions, type QuantizeModelGptqResult, quantizeModelGptq } from "./gptq-model";
export {
  HistogramObserver,
  type HistogramObserverOptions,
  histogramQuantizationError,
  searchHistogramRange,
} from "./histogram-observer";
export {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  type MovingAverageMinMaxObserverOptions,
} from "./min-max-observer";
export { OBSERVER_DEFAULTS, type Observer, type ObserverOptions } from "./observer";
export { PerChannelMinMaxObserver, type PerChannelMinMaxObserverOptions } from "./per-channel-min-max-observer";
export { PercentileObserver, type PercentileObserverOptions } from "./percentile-observer";
export { ActivationFakeQuantize, convertQat, type PrepareQatOptions, prepareQat, QatModel } from "./qat";
export {
  packQuantData,
  QUANT_DTYPES,
  type QuantDtype,
  type QuantizedTensor,
  type QuantRange,
  type QuantRangeOptions,
  quantByteLength,
  quantRange,
  unpackQuantData,
} from "./quant-dtype";
export { type QuantizationErrorResult, quantizationError } from "./quantization-error";
export { type QuantizeBlockwiseOptions, quantizeBlockwise } from "./quantize-blockwise";
export { quantizePerChannel } from "./quantize-per-channel";
export { quantizePerTensor } from "./quantize-per-tensor";
export { RunningHistogram } from "./running-histogram";
export {
  type BuildStaticOptions,
  buildStaticModel,
  calibrateActivations,
  createObserver,
  type ObserverChoice,
  planStatic,
  type QuantizeStaticOptions,
  quantizeStatic,
  type StaticPlan,
  type StaticPlanStep,
  StaticQuantizedModel,
  type StaticStepKind,
} from "./static-ptq";
export {
  packQuantizedWeight,
  quantizedTensorBytes,
  quantizeWeightInt8,
  type WeightQuantizationOptions,
} from "./weight-quantization";
