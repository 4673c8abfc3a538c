export type { WriteTargetOptions } from "./atomic-write";
export { crc32 } from "./crc32";
export { type HuffmanEncoded, huffmanDecodeSymbols, huffmanEncodeSymbols } from "./huffman";
export { type KernelPack, toKernelPack } from "./kernel-packs";
export {
  type DecodedMcz,
  decodeMcz,
  decodeMczTensors,
  type ExpandOptions,
  encodeMcz,
  expandMczEntry,
  readMcz,
  type WriteMczOptions,
  writeMcz,
} from "./mcz";
export { mczMagic, mczMajorVersion, mczMinorVersion } from "./mcz-container";
export {
  type McDenseEntry,
  type McEncoding,
  type McEntropyCoding,
  type McEntry,
  type McFloatDtype,
  type McLowRankEntry,
  type McModel,
  type McQuantizedEntry,
  type McSparseSharedEntry,
  mcEntropyCodings,
} from "./mcz-entries";
export { MczFile, type MczTensorInfo, openMcz } from "./mcz-file";
export { dequantizeLike, type QuantDtype, type QuantizedTensorLike } from "./quantized";
export {
  type EncodeSafetensorsOptions,
  encodeSafetensors,
  type NamedTensors,
  type ReadSafetensorsResult,
  readSafetensors,
  readSafetensorsFile,
  type SafetensorsData,
  type SafetensorsInputTensor,
  type SafetensorsTensor,
  type WriteSafetensorsOptions,
  writeSafetensors,
} from "./safetensors";
export { safetensorsToFloat32 } from "./safetensors-convert";
export {
  openSafetensors,
  SafetensorsFile,
  type SafetensorsTransform,
  type TransformSafetensorsOptions,
  transformSafetensors,
} from "./safetensors-file";
export {
  maxSafetensorsHeaderBytes,
  parseSafetensorsHeader,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
  safetensorsDtypeSize,
} from "./safetensors-header";
export {
  createSafetensorsWriter,
  type SafetensorsSpec,
  SafetensorsWriter,
  type SafetensorsWriterOptions,
} from "./safetensors-writer";
export {
  formatSizeBreakdown,
  type LayerSize,
  type MczSizeBreakdown,
  mczSizeBreakdown,
  type SizeCategory,
} from "./size-breakdown";
export {
  clusterIndexBits,
  type SparseSharedOptions,
  type SparseSharedTensor,
  sparseSharedFromIndices,
  sparseSharedFromWeights,
  sparseSharedPositions,
  sparseSharedToDense,
} from "./sparse-shared";
