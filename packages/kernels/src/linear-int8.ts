import { assertInteger, InvalidArgumentError } from "@mc/core";
import { dynamicQuantizeLinear } from "./dynamic-quantize-linear";
import type { PackedLinearInt8 } from "./packed-linear-int8";
import { dispatchLinearDynamicInt8, dispatchLinearInt8 } from "./select-kernel";
import {
  checkDimension,
  checkFloat32Array,
  checkInt8Like,
  checkLength,
  checkOptionalBias,
  checkOptions,
  checkOutput,
  checkPackKind,
  checkScale,
  dtypeRange,
} from "./validate-args";

export interface PackLinearInt8Options {
  outFeatures: number;
  inFeatures: number;
  /** Per output channel (length outFeatures) or one number for the whole tensor. */
  scales: Float32Array | number;
  bias?: Float32Array;
}

export function packLinearInt8(weight: Int8Array, options: PackLinearInt8Options): PackedLinearInt8 {
  const caller = "packLinearInt8";
  checkOptions(options, caller);
  const outFeatures = checkDimension(options.outFeatures, caller, "outFeatures");
  const inFeatures = checkDimension(options.inFeatures, caller, "inFeatures");
  if (!(weight instanceof Int8Array)) {
    throw new InvalidArgumentError({ message: `${caller}: weight must be an Int8Array`, argument: "weight" });
  }
  checkLength(weight, outFeatures * inFeatures, caller, "weight", [outFeatures, inFeatures]);
  let scales: Float32Array;
  if (typeof options.scales === "number") {
    scales = new Float32Array(outFeatures).fill(checkScale(options.scales, caller, "scales"));
  } else {
    const given = checkFloat32Array(options.scales, caller, "scales");
    checkLength(given, outFeatures, caller, "scales", [outFeatures]);
    for (let o = 0; o < outFeatures; o++) checkScale(given[o], caller, `scales[${o}]`);
    scales = given.slice();
  }
  const bias = checkOptionalBias(options.bias, outFeatures, caller)?.slice();
  const weightRowSums = new Int32Array(outFeatures);
  for (let o = 0; o < outFeatures; o++) {
    let s = 0;
    for (let p = 0; p < inFeatures; p++) s += weight[o * inFeatures + p]!;
    weightRowSums[o] = s;
  }
  return { kind: "PackedLinearInt8", outFeatures, inFeatures, weight: weight.slice(), scales, bias, weightRowSums };
}

function checkPacked(packed: PackedLinearInt8, caller: string): void {
  checkPackKind(packed, "PackedLinearInt8", "packLinearInt8", caller);
}

/**
 * y[batch×out] = dequantize(quantize(x)·Wᵀ) + bias, the activations quantized per call to
 * uint8 exactly like ONNX `DynamicQuantizeLinear` (one scale and zero point for the tensor).
 */
export function linearDynamicInt8(
  input: Float32Array,
  batch: number,
  packed: PackedLinearInt8,
  output?: Float32Array,
): Float32Array {
  const caller = "linearDynamicInt8";
  checkPacked(packed, caller);
  checkDimension(batch, caller, "batch");
  checkFloat32Array(input, caller, "input");
  checkLength(input, batch * packed.inFeatures, caller, "input", [batch, packed.inFeatures]);
  const out = checkOutput(output, batch * packed.outFeatures, caller, [batch, packed.outFeatures]);
  if (out.length === 0) return out;
  if (dispatchLinearDynamicInt8(input, batch, packed, out)) return out;
  const q = dynamicQuantizeLinear(input);
  dispatchLinearInt8(q.data, q.zeroPoint, q.scale, batch, packed, out);
  return out;
}

export interface LinearStaticInt8Options {
  inputScale: number;
  inputZeroPoint: number;
  /** When both output parameters are given the result is requantized. */
  outputScale?: number;
  outputZeroPoint?: number;
  /** dtype of the requantized output; default "uint8". */
  outputType?: "uint8" | "int8";
}

/**
 * Linear layer on already-quantized activations (uint8 or int8 with the given scale and
 * zero point): int32 accumulation, then dequantize + bias to float32, or, with output
 * parameters, requantize: saturate(roundHalfEven(y / outputScale) + outputZeroPoint).
 */
export function linearStaticInt8(
  input: Uint8Array | Int8Array,
  batch: number,
  packed: PackedLinearInt8,
  options: LinearStaticInt8Options & { outputScale: number; outputZeroPoint: number; outputType: "int8" },
): Int8Array;
export function linearStaticInt8(
  input: Uint8Array | Int8Array,
  batch: number,
  packed: PackedLinearInt8,
  options: LinearStaticInt8Options & { outputScale: number; outputZeroPoint: number },
): Uint8Array;
export function linearStaticInt8(
  input: Uint8Array | Int8Array,
  batch: number,
  packed: PackedLinearInt8,
  options: LinearStaticInt8Options,
): Float32Array;
export function linearStaticInt8(
  input: Uint8Array | Int8Array,
  batch: number,
  packed: PackedLinearInt8,
  options: LinearStaticInt8Options,
): Float32Array | Uint8Array | Int8Array {
  const caller = "linearStaticInt8";
  checkPacked(packed, caller);
  checkOptions(options, caller);
  checkDimension(batch, caller, "batch");
  checkInt8Like(input, caller, "input");
  checkLength(input, batch * packed.inFeatures, caller, "input", [batch, packed.inFeatures]);
  const range = dtypeRange(input);
  const inputScale = checkScale(options.inputScale, caller, "inputScale");
  const inputZeroPoint = assertInteger(options.inputZeroPoint, caller, "inputZeroPoint", range);
  const requantize = options.outputScale !== undefined || options.outputZeroPoint !== undefined;
  const y = new Float32Array(batch * packed.outFeatures);
  if (!requantize) {
    if (y.length > 0) dispatchLinearInt8(input, inputZeroPoint, inputScale, batch, packed, y);
    return y;
  }
  const outputType = options.outputType ?? "uint8";
  if (outputType !== "uint8" && outputType !== "int8") {
    throw new InvalidArgumentError({
      message: `${caller}: outputType must be "uint8" or "int8", got ${String(outputType)}`,
      argument: "outputType",
      value: outputType,
    });
  }
  const outRange = outputType === "int8" ? { min: -128, max: 127 } : { min: 0, max: 255 };
  const outputScale = checkScale(options.outputScale, caller, "outputScale");
  const outputZeroPoint = assertInteger(options.outputZeroPoint, caller, "outputZeroPoint", outRange);
  if (y.length > 0) dispatchLinearInt8(input, inputZeroPoint, inputScale, batch, packed, y);
  const out = outputType === "int8" ? new Int8Array(y.length) : new Uint8Array(y.length);
  const s = Math.fround(outputScale);
  for (let i = 0; i < y.length; i++) {
    const v = Math.fround(y[i]! / s);
    // roundHalfEven inlined: the hot loop of every requantizing layer.
    const r = Math.round(v);
    const q = (r - v === 0.5 && r % 2 !== 0 ? r - 1 : r) + outputZeroPoint;
    out[i] = q < outRange.min ? outRange.min : q > outRange.max ? outRange.max : q;
  }
  return out;
}

export type { PackedLinearInt8 };
