import { FormatError, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertMask } from "./validate";

/** Compressed sparse rows; the same shape as `@mc/kernels`' `CsrMatrix` (structurally typed). */
export interface CsrMatrix {
  rows: number;
  cols: number;
  /** rows + 1 offsets into columnIndices/values; row r is [rowPointers[r], rowPointers[r + 1]). */
  rowPointers: Int32Array;
  /** Column of each stored entry, ascending within a row. */
  columnIndices: Int32Array;
  values: Float32Array;
}

/** Compressed sparse columns: the transpose layout of `CsrMatrix`. */
export interface CscMatrix {
  rows: number;
  cols: number;
  /** cols + 1 offsets into rowIndices/values. */
  columnPointers: Int32Array;
  /** Row of each stored entry, ascending within a column. */
  rowIndices: Int32Array;
  values: Float32Array;
}

export interface SparseConversionOptions {
  /**
   * Which entries to store (1 = store). Default: every entry whose value is not 0 (−0 counts as
   * 0). With a mask, kept entries that happen to be exactly 0 are stored too.
   */
  mask?: Uint8Array;
}

function assertMatrix(weight: unknown, caller: string): Tensor<Float32Array> {
  const tensor = weight as Tensor;
  if (typeof weight !== "object" || weight === null || !(tensor.data instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: weight must be a tensor with Float32Array data`,
      argument: "weight",
      value: weight,
    });
  }
  if (!Array.isArray(tensor.shape) || tensor.shape.length !== 2) {
    throw new ShapeMismatchError({
      message: `${caller}: weight must have rank 2, got shape ${formatShape(tensor.shape ?? [])}; reshape a conv weight [out, in, kh, kw] to [out, in·kh·kw] first`,
      actual: tensor.shape,
    });
  }
  const [rows, cols] = tensor.shape;
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
    throw new InvalidArgumentError({
      message: `${caller}: weight has an invalid shape ${formatShape(tensor.shape)}`,
      argument: "weight",
      value: tensor.shape,
    });
  }
  if (tensor.data.length !== rows * cols) {
    throw new ShapeMismatchError({
      message: `${caller}: weight.data has ${tensor.data.length} elements but shape ${formatShape(tensor.shape)} needs ${rows * cols}`,
      expected: [rows * cols],
      actual: [tensor.data.length],
    });
  }
  return tensor;
}

/**
 * Compresses a row-major [rows, cols] matrix along one axis: "rows" gives CSR (pointers per
 * row, column indices), "columns" gives CSC (pointers per column, row indices). Stored entries
 * are the nonzeros, or where `mask` is 1.
 */
function compressMatrix(
  weight: Tensor,
  options: SparseConversionOptions,
  along: "rows" | "columns",
  caller: string,
): { rows: number; cols: number; pointers: Int32Array; indices: Int32Array; values: Float32Array } {
  const tensor = assertMatrix(weight, caller);
  const [rows, cols] = tensor.shape;
  const data = tensor.data;
  const { mask } = options;
  if (mask !== undefined) assertMask(mask, tensor.shape, data.length, caller, "options.mask");
  const stored = (i: number) => (mask === undefined ? data[i] !== 0 : mask[i] === 1);
  let count = 0;
  for (let i = 0; i < data.length; i++) if (stored(i)) count++;
  const [outer, inner] = along === "rows" ? [rows, cols] : [cols, rows];
  const pointers = new Int32Array(outer + 1);
  const indices = new Int32Array(count);
  const values = new Float32Array(count);
  let next = 0;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const i = along === "rows" ? o * cols + q : q * cols + o;
      if (stored(i)) {
        indices[next] = q;
        values[next] = data[i];
        next++;
      }
    }
    pointers[o + 1] = next;
  }
  return { rows, cols, pointers, indices, values };
}

/** Row-major [rows, cols] weight → CSR. The input is not changed. */
export function toCsr(weight: Tensor, options: SparseConversionOptions = {}): CsrMatrix {
  const { rows, cols, pointers, indices, values } = compressMatrix(weight, options, "rows", "toCsr");
  return { rows, cols, rowPointers: pointers, columnIndices: indices, values };
}

/** Row-major [rows, cols] weight → CSC. */
export function toCsc(weight: Tensor, options: SparseConversionOptions = {}): CscMatrix {
  const { rows, cols, pointers, indices, values } = compressMatrix(weight, options, "columns", "toCsc");
  return { rows, cols, columnPointers: pointers, rowIndices: indices, values };
}

/**
 * Checks a compressed layout that may come from an untrusted file: pointer array length,
 * monotone pointers that start at 0 and end at the entry count, indices in range and strictly
 * ascending within each line (no duplicates). Violations are `FormatError`s.
 */
function validateCompressed(
  caller: string,
  lines: number,
  span: number,
  pointers: unknown,
  indices: unknown,
  values: unknown,
  names: { pointers: string; indices: string; lines: string; span: string },
): void {
  for (const [name, value] of [
    [names.lines, lines],
    [names.span, span],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new FormatError({ message: `${caller}: ${name} must be a non-negative integer, got ${String(value)}` });
    }
  }
  if (!(pointers instanceof Int32Array) || !(indices instanceof Int32Array) || !(values instanceof Float32Array)) {
    throw new FormatError({
      message: `${caller}: ${names.pointers} and ${names.indices} must be Int32Array and values a Float32Array`,
    });
  }
  if (pointers.length !== lines + 1) {
    throw new FormatError({
      message: `${caller}: ${names.pointers} has length ${pointers.length}, expected ${names.lines} + 1 = ${lines + 1}`,
    });
  }
  const count = values.length;
  if (indices.length !== count) {
    throw new FormatError({
      message: `${caller}: ${names.indices} has ${indices.length} entries but values has ${count}`,
    });
  }
  if (pointers[0] !== 0 || pointers[lines] !== count) {
    throw new FormatError({
      message: `${caller}: ${names.pointers} must start at 0 and end at ${count}, got ${pointers[0]} … ${pointers[lines]}`,
    });
  }
  for (let line = 0; line < lines; line++) {
    const start = pointers[line];
    const end = pointers[line + 1];
    if (end < start || end > count) {
      throw new FormatError({
        message: `${caller}: ${names.pointers}[${line + 1}] = ${end} is below ${names.pointers}[${line}] = ${start} or past ${count}`,
        offset: line + 1,
      });
    }
    for (let e = start; e < end; e++) {
      const index = indices[e];
      if (index < 0 || index >= span) {
        throw new FormatError({
          message: `${caller}: ${names.indices}[${e}] = ${index} is out of range [0, ${span})`,
          offset: e,
        });
      }
      if (e > start && index <= indices[e - 1]) {
        throw new FormatError({
          message: `${caller}: ${names.indices}[${e}] = ${index} does not ascend (previous ${indices[e - 1]}) within line ${line}`,
          offset: e,
        });
      }
    }
  }
  if (lines * span > 2 ** 31) {
    throw new FormatError({ message: `${caller}: a dense [${lines}, ${span}] matrix is too large to allocate` });
  }
}

/** CSR → dense row-major [rows, cols] tensor, after validating the structure. */
export function fromCsr(csr: CsrMatrix): Tensor {
  const caller = "fromCsr";
  if (typeof csr !== "object" || csr === null) {
    throw new InvalidArgumentError({ message: `${caller}: csr must be a CsrMatrix`, argument: "csr", value: csr });
  }
  const { rows, cols, rowPointers, columnIndices, values } = csr;
  validateCompressed(caller, rows, cols, rowPointers, columnIndices, values, {
    pointers: "rowPointers",
    indices: "columnIndices",
    lines: "rows",
    span: "cols",
  });
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let e = rowPointers[r]; e < rowPointers[r + 1]; e++) data[r * cols + columnIndices[e]] = values[e];
  }
  return { data, shape: [rows, cols] };
}

/** CSC → dense row-major [rows, cols] tensor, after validating the structure. */
export function fromCsc(csc: CscMatrix): Tensor {
  const caller = "fromCsc";
  if (typeof csc !== "object" || csc === null) {
    throw new InvalidArgumentError({ message: `${caller}: csc must be a CscMatrix`, argument: "csc", value: csc });
  }
  const { rows, cols, columnPointers, rowIndices, values } = csc;
  validateCompressed(caller, cols, rows, columnPointers, rowIndices, values, {
    pointers: "columnPointers",
    indices: "rowIndices",
    lines: "cols",
    span: "rows",
  });
  const data = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    for (let e = columnPointers[c]; e < columnPointers[c + 1]; e++) data[rowIndices[e] * cols + c] = values[e];
  }
  return { data, shape: [rows, cols] };
}

/** Bytes a CSR matrix occupies as stored here: int32 pointers and indices, fp32 values. */
export function csrByteLength(csr: CsrMatrix): number {
  return csr.rowPointers.byteLength + csr.columnIndices.byteLength + csr.values.byteLength;
}
