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
export { type DynamicQuantizeLinearResult, dynamicQuantizeLinear } from "./dynamic-quantize-linear";
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
export { EntropyObserver, type EntropyObserverOptions, searchEntropyThreshold } from "./entropy-observer";
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
export { RunningHistogram } from "./running-histogram";
