import { assertOneOf, findNonFinite, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import type { PackedSparseLinear } from "./packed-sparse-linear";
import { dispatchPackedSparse, dispatchSparse, makeResident } from "./select-kernel";
import {
  checkDimension,
  checkFloat32Array,
  checkLength,
  checkOptionalBias,
  checkOptions,
  checkOutput,
  checkPackKind,
} from "./validate-args";

/** Compressed sparse rows; the same shape as @mc/prune's `toCsr` output. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  /** rows + 1 offsets into columnIndices/values, starting at 0, non-decreasing. */
  rowPointers: Int32Array;
  columnIndices: Int32Array;
  values: Float32Array;
}

/** Checks the CSR structure in O(nnz); returns the number of stored entries. */
export function checkCsrStructure(
  rows: number,
  cols: number,
  rowPointers: unknown,
  columnIndices: unknown,
  caller: string,
  argument: string,
  checkColumns = true,
): number {
  if (!(rowPointers instanceof Int32Array) || !(columnIndices instanceof Int32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}.rowPointers and ${argument}.columnIndices must be Int32Arrays`,
      argument,
    });
  }
  checkLength(rowPointers, rows + 1, caller, `${argument}.rowPointers`, [rows + 1]);
  const nnz = rowPointers[rows]!;
  if (rowPointers[0] !== 0 || nnz !== columnIndices.length) {
    throw new ShapeMismatchError({
      message: `${caller}: ${argument}.rowPointers must start at 0 and end at columnIndices.length (${columnIndices.length}), got ${rowPointers[0]}..${nnz}`,
      expected: [columnIndices.length],
      actual: [nnz],
    });
  }
  for (let r = 0; r < rows; r++) {
    if (rowPointers[r + 1]! < rowPointers[r]!) {
      throw new InvalidArgumentError({
        message: `${caller}: ${argument}.rowPointers decreases at row ${r} (${rowPointers[r]} > ${rowPointers[r + 1]})`,
        argument: `${argument}.rowPointers`,
      });
    }
  }
  if (checkColumns) checkColumnIndices(columnIndices, nnz, cols, caller, argument);
  return nnz;
}

/** The O(nnz) half of the CSR check; the wasm tier runs it in SIMD and calls this only to name the bad entry. */
export function checkColumnIndices(
  columnIndices: Int32Array,
  nnz: number,
  cols: number,
  caller: string,
  argument: string,
): void {
  for (let e = 0; e < nnz; e++) {
    const c = columnIndices[e]!;
    if (c < 0 || c >= cols) {
      throw new InvalidArgumentError({
        message: `${caller}: ${argument}.columnIndices[${e}] = ${c} is outside [0, ${cols})`,
        argument: `${argument}.columnIndices`,
        value: c,
      });
    }
  }
}

/** y[batch×rows] = x[batch×cols]·Wᵀ + bias for a CSR weight W [rows×cols] (out×in). */
export function sparseLinear(input: Float32Array, batch: number, weight: CsrMatrix, bias?: Float32Array): Float32Array {
  const caller = "sparseLinear";
  checkOptions(weight, caller);
  const rows = checkDimension(weight.rows, caller, "weight.rows");
  const cols = checkDimension(weight.cols, caller, "weight.cols");
  checkDimension(batch, caller, "batch");
  checkFloat32Array(input, caller, "input");
  checkLength(input, batch * cols, caller, "input", [batch, cols]);
  const nnz = checkCsrStructure(rows, cols, weight.rowPointers, weight.columnIndices, caller, "weight", false);
  checkFloat32Array(weight.values, caller, "weight.values");
  checkLength(weight.values, nnz, caller, "weight.values", [nnz]);
  const b = checkOptionalBias(bias, rows, caller);
  const checkEntries = () => checkColumnIndices(weight.columnIndices, nnz, cols, caller, "weight");
  const y = new Float32Array(batch * rows);
  if (y.length > 0) dispatchSparse(input, batch, weight, b, y, checkEntries);
  else checkEntries();
  return y;
}

export interface SparseCodebookWeight {
  rows: number;
  cols: number;
  rowPointers: Int32Array;
  columnIndices: Int32Array;
  /** One codebook index per stored entry. */
  codeIndices: Uint8Array | Uint16Array;
  codebook: Float32Array;
}

/** CSR sparsity and weight sharing together: w[e] = codebook[codeIndices[e]] (Deep Compression). */
export function sparseCodebookLinear(
  input: Float32Array,
  batch: number,
  weight: SparseCodebookWeight,
  bias?: Float32Array,
): Float32Array {
  const caller = "sparseCodebookLinear";
  checkOptions(weight, caller);
  const rows = checkDimension(weight.rows, caller, "weight.rows");
  const cols = checkDimension(weight.cols, caller, "weight.cols");
  checkDimension(batch, caller, "batch");
  checkFloat32Array(input, caller, "input");
  checkLength(input, batch * cols, caller, "input", [batch, cols]);
  const nnz = checkCsrStructure(rows, cols, weight.rowPointers, weight.columnIndices, caller, "weight", false);
  const codebook = checkFloat32Array(weight.codebook, caller, "weight.codebook");
  checkCodeIndices(weight.codeIndices, nnz, codebook.length, caller, "weight.codeIndices", false);
  const b = checkOptionalBias(bias, rows, caller);
  const { rowPointers, columnIndices, codeIndices } = weight;
  const checkEntries = () => {
    checkColumnIndices(columnIndices, nnz, cols, caller, "weight");
    checkCodeIndices(codeIndices, nnz, codebook.length, caller, "weight.codeIndices");
  };
  const y = new Float32Array(batch * rows);
  if (y.length > 0) {
    dispatchSparse(
      input,
      batch,
      { rows, cols, rowPointers, columnIndices, codes: codeIndices, codebook },
      b,
      y,
      checkEntries,
    );
  } else checkEntries();
  return y;
}

export function checkCodeIndices(
  indices: unknown,
  count: number,
  codebookLength: number,
  caller: string,
  argument: string,
  checkValues = true,
): void {
  if (!(indices instanceof Uint8Array) && !(indices instanceof Uint16Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a Uint8Array or Uint16Array`,
      argument,
    });
  }
  checkLength(indices, count, caller, argument, [count]);
  if (!checkValues) return;
  for (let i = 0; i < count; i++) {
    if (indices[i]! >= codebookLength) {
      throw new InvalidArgumentError({
        message: `${caller}: ${argument}[${i}] = ${indices[i]} is outside the codebook of ${codebookLength} entries`,
        argument,
        value: indices[i],
      });
    }
  }
}

export interface PackSparseLinearOptions {
  bias?: Float32Array;
  /** Applied to every output; "relu" = max(0, y) (NaN stays NaN). Default "none". */
  activation?: "none" | "relu";
}

/**
 * Validates a CSR weight (with `values`, or `codeIndices` into a `codebook`) once and lays it
 * out by input column for `sparseLinearPacked`, copying every array (later changes to the
 * inputs do not reach the pack). Weights must be finite: a zero input skips its column, which
 * equals the dense product only when no weight is ±Infinity or NaN.
 */
export function packSparseLinear(
  weight: CsrMatrix | SparseCodebookWeight,
  options: PackSparseLinearOptions = {},
): PackedSparseLinear {
  const caller = "packSparseLinear";
  checkOptions(options, caller);
  const { activation = "none" } = options;
  assertOneOf(activation, ["none", "relu"] as const, caller, "options.activation");
  const checked = checkedSparseWeight(weight, caller);
  const { rows, cols, nnz, rowPointers, columnIndices, values: csrValues, codes: csrCodes, codebook } = checked;
  const bias = checkOptionalBias(options.bias, rows, caller, "options.bias")?.slice();
  const values = csrValues === undefined ? undefined : new Float32Array(nnz);
  const codes =
    csrCodes === undefined ? undefined : csrCodes instanceof Uint8Array ? new Uint8Array(nnz) : new Uint16Array(nnz);
  // Counting sort by column; rows come in ascending order, so each column's rows ascend too.
  const colPointers = new Int32Array(cols + 1);
  for (let e = 0; e < nnz; e++) colPointers[columnIndices[e]! + 1]!++;
  for (let c = 0; c < cols; c++) colPointers[c + 1]! += colPointers[c]!;
  const next = colPointers.slice(0, cols);
  const rowIndices = new Int32Array(nnz);
  for (let r = 0; r < rows; r++) {
    for (let e = rowPointers[r]!; e < rowPointers[r + 1]!; e++) {
      const at = next[columnIndices[e]!]!++;
      rowIndices[at] = r;
      if (values !== undefined) values[at] = csrValues![e]!;
      else codes![at] = csrCodes![e]!;
    }
  }
  const packed: PackedSparseLinear = {
    kind: "PackedSparseLinear",
    outFeatures: rows,
    inFeatures: cols,
    colPointers,
    rowIndices,
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
 * Validates a CSR weight with `values`, or `codeIndices` into a `codebook`, completely (structure,
 * column indices, codes in range, finite weights) and returns copies in CSR order.
 */
export function checkedSparseWeight(
  weight: CsrMatrix | SparseCodebookWeight,
  caller: string,
): {
  rows: number;
  cols: number;
  nnz: number;
  rowPointers: Int32Array;
  columnIndices: Int32Array;
  values: Float32Array | undefined;
  codes: Uint8Array | Uint16Array | undefined;
  codebook: Float32Array | undefined;
} {
  checkOptions(weight, caller);
  const rows = checkDimension(weight.rows, caller, "weight.rows");
  const cols = checkDimension(weight.cols, caller, "weight.cols");
  const nnz = checkCsrStructure(rows, cols, weight.rowPointers, weight.columnIndices, caller, "weight");
  const csr = { rows, cols, nnz, rowPointers: weight.rowPointers.slice(), columnIndices: weight.columnIndices.slice() };
  if ("values" in weight) {
    checkLength(checkFloat32Array(weight.values, caller, "weight.values"), nnz, caller, "weight.values", [nnz]);
    checkFinite(weight.values, caller, "weight.values");
    return { ...csr, values: weight.values.slice(), codes: undefined, codebook: undefined };
  }
  const codebook = checkFloat32Array(weight.codebook, caller, "weight.codebook").slice();
  checkFinite(codebook, caller, "weight.codebook");
  checkCodeIndices(weight.codeIndices, nnz, codebook.length, caller, "weight.codeIndices");
  return { ...csr, values: undefined, codes: weight.codeIndices.slice(), codebook };
}

function checkFinite(values: Float32Array, caller: string, argument: string): void {
  const bad = findNonFinite(values);
  if (bad !== -1) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument}[${bad}] = ${values[bad]} is not finite (zero inputs skip their weights, which is only exact for finite weights)`,
      argument,
      value: values[bad],
    });
  }
}

/**
 * y[batch×out] = act(x·Wᵀ + bias) for a `packSparseLinear` pack. Inputs equal to 0 skip their
 * column of W (EIE-style activation sparsity), so MNIST digits and ReLU outputs cost only their
 * non-zeros. fp32 accumulation in column order: results match `sparseLinear` up to rounding.
 */
export function sparseLinearPacked(
  input: Float32Array,
  batch: number,
  packed: PackedSparseLinear,
  output?: Float32Array,
): Float32Array {
  const caller = "sparseLinearPacked";
  checkPackKind(packed, "PackedSparseLinear", "packSparseLinear", caller);
  checkDimension(batch, caller, "batch");
  checkFloat32Array(input, caller, "input");
  checkLength(input, batch * packed.inFeatures, caller, "input", [batch, packed.inFeatures]);
  const y = checkOutput(output, batch * packed.outFeatures, caller, [batch, packed.outFeatures]);
  if (y.length > 0) dispatchPackedSparse(input, batch, packed, y);
  return y;
}
