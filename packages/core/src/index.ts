export {
  FormatError,
  InvalidArgumentError,
  McError,
  type McErrorCode,
  ShapeMismatchError,
  UnsupportedError,
} from "./errors";
export {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32Array,
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToBfloat16Bits,
  float32ToFloat16Array,
  float32ToFloat16Bits,
  roundToBfloat16,
  roundToFloat16,
} from "./float16";
export { createRng, type Rng } from "./rng";
export { roundHalfEven, roundHalfEvenArray } from "./round";
export {
  assertRank,
  assertSameShape,
  assertTensor,
  createTensor,
  elementCount,
  formatShape,
  isTensor,
  shapesEqual,
  type Tensor,
  type TensorData,
  zeros,
} from "./tensor";
export { assertAllFinite, assertFiniteNumber, assertInteger, assertOneOf, findNonFinite } from "./validate";
