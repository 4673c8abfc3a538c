import { assertInteger, assertOneOf, ShapeMismatchError } from "@mc/core";
import type { PackedSparseConv2d } from "./packed-sparse-linear";
import { dispatchPackedConv, makeResident } from "./select-kernel";
import { type CsrMatrix, checkedSparseWeight, type SparseCodebookWeight } from "./sparse-linear";
import {
  checkDimension,
  checkFloat32Array,
  checkLength,
  checkOptionalBias,
  checkOptions,
  checkOutput,
  checkPackKind,
} from "./validate-args";

export interface PackSparseConv2dOptions {
  inChannels: number;
  kernelSize: number;
  bias?: Float32Array;
  /** Applied to every output; "relu" = max(0, y) (NaN stays NaN). Default "none". */
  activation?: "none" | "relu";
}

/**
 * Validates a sparse convolution weight — PyTorch's [out, in, k, k] flattened to a CSR matrix of
 * `out` rows and `in·k·k` columns, with `values` or `codeIndices` into a `codebook` (what @mc/io's
 * `toKernelPack` gives for a conv layer) — once, and copies it for `sparseConv2dPacked`.
 */
export function packSparseConv2d(
  weight: CsrMatrix | SparseCodebookWeight,
  options: PackSparseConv2dOptions,
): PackedSparseConv2d {
  const caller = "packSparseConv2d";
  checkOptions(options, caller);
  const { activation = "none" } = options;
  assertOneOf(activation, ["none", "relu"] as const, caller, "options.activation");
  const inChannels = assertInteger(options.inChannels, caller, "options.inChannels", { min: 1 });
  const kernelSize = assertInteger(options.kernelSize, caller, "options.kernelSize", { min: 1 });
  const { rows, cols, rowPointers, columnIndices, values, codes, codebook } = checkedSparseWeight(weight, caller);
  if (cols !== inChannels * kernelSize * kernelSize) {
    throw new ShapeMismatchError({
      message: `${caller}: weight has ${cols} columns but inChannels ${inChannels} × kernelSize² ${kernelSize * kernelSize} = ${inChannels * kernelSize * kernelSize}`,
      expected: [rows, inChannels, kernelSize, kernelSize],
      actual: [rows, cols],
    });
  }
  const bias = checkOptionalBias(options.bias, rows, caller, "options.bias")?.slice();
  const packed: PackedSparseConv2d = {
    kind: "PackedSparseConv2d",
    outChannels: rows,
    inChannels,
    kernelSize,
    rowPointers,
    columnIndices,
    values,
    codes,
    codebook,
    bias,
    activation,
  };
  makeResident(packed);
  return packed;
}

/**
 * Direct sparse convolution, stride 1, no padding (`valid`), NCHW: input [batch, in, height,
 * width] → output [batch, out, height − k + 1, width − k + 1] = act(conv(x, W) + bias). Each
 * stored weight is applied to whole output rows (SIMD along the row), as in Park et al., "Faster
 * CNNs with Direct Sparse Convolutions" (ICLR 2017); fp32, matching a dense convolution within
 * 1e-5 relative.
 */
export function sparseConv2dPacked(
  input: Float32Array,
  shape: { batch: number; height: number; width: number },
  packed: PackedSparseConv2d,
  output?: Float32Array,
): Float32Array {
  const caller = "sparseConv2dPacked";
  checkPackKind(packed, "PackedSparseConv2d", "packSparseConv2d", caller);
  checkOptions(shape, caller);
  const batch = checkDimension(shape.batch, caller, "shape.batch");
  const height = checkDimension(shape.height, caller, "shape.height");
  const width = checkDimension(shape.width, caller, "shape.width");
  const k = packed.kernelSize;
  if (height < k || width < k) {
    throw new ShapeMismatchError({
      message: `${caller}: input ${height}×${width} is smaller than the ${k}×${k} kernel`,
      expected: [k, k],
      actual: [height, width],
    });
  }
  checkFloat32Array(input, caller, "input");
  const inputShape = [batch, packed.inChannels, height, width];
  checkLength(input, batch * packed.inChannels * height * width, caller, "input", inputShape);
  const outputShape = [batch, packed.outChannels, height - k + 1, width - k + 1];
  const y = checkOutput(
    output,
    outputShape.reduce((a, b) => a * b, 1),
    caller,
    outputShape,
  );
  if (y.length > 0) dispatchPackedConv(input, { batch, height, width }, packed, y);
  return y;
}
