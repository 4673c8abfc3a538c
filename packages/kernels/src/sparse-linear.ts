import { InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { dispatchSparse } from "./select-kernel";
import { checkDimension, checkFloat32Array, checkLength, checkOptionalBias, checkOptions } from "./validate-args";

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
