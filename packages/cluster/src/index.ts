export {
  addWeightSharingHook,
  centroidGradients,
  type FineTuneCentroidsOptions,
  type FineTuneCentroidsResult,
  fineTuneCentroids,
  type WeightSharingHandle,
} from "./centroid-fine-tuning";
export { buildHuffmanCode, type HuffmanCode, type HuffmanCodeOptions, maxSupportedCodeLength } from "./huffman-code";
export { huffmanDecode } from "./huffman-decode";
export { type HuffmanEncodeOptions, huffmanEncode, huffmanFormatVersion } from "./huffman-encode";
export { type Kmeans1dOptions, type Kmeans1dResult, type KmeansInit, kmeans1d, kmeansInits } from "./kmeans1d";
export { type Kmeans1dOptimalOptions, kmeans1dOptimal } from "./kmeans1d-optimal";
export { packBits, unpackBits } from "./pack-bits";
export { reconstructWeights, type SharedWeights, type ShareWeightsOptions, shareWeights } from "./share-weights";
export { assignToCentroids, type ClusterAssignments } from "./sorted-values";
