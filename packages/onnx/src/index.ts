export {
  type ActivationObserver,
  type CalibrateOnnxOptions,
  calibrateOnnx,
  type OnnxRunner,
} from "./calibrate-onnx";
export { foldBatchNormInPlace } from "./fold-batch-norm";
export { cloneModel, defaultOpsetVersion, forEachGraph, forEachNode, forEachTensorProto } from "./graph-walk";
export { type InspectedTensor, inspectOnnx, type OnnxInspection } from "./inspect-onnx";
export { readOnnxFile, writeOnnxFile } from "./onnx-file";
export {
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxModel,
  type OperatorSetIdProto,
  type TensorProto,
  type ValueInfoProto,
} from "./onnx-schema";
export {
  decodeTensor,
  encodeTensor,
  type OnnxTensor,
  type OnnxTensorData,
  type OnnxTensorDataType,
  tensorToFloat32,
} from "./onnx-tensor";
export {
  type QuantizeMode,
  type QuantizeOnnxOptions,
  type QuantizeOnnxReport,
  type QuantizeOnnxResult,
  quantizeOnnx,
} from "./quantize-onnx";
export { type ActivationRanges, activationQParams } from "./quantize-static";
export type { TensorQuantizationReport } from "./quantize-weight-only";
export {
  MAX_SUPPORTED_OPSET,
  type ReadOnnxOptions,
  readOnnx,
  type WriteOnnxOptions,
  type WriteOnnxResult,
  writeOnnx,
} from "./read-onnx";
export { type ToOnnxOptions, toOnnx } from "./to-onnx";
