import {
  assertFiniteNumber,
  assertRank,
  formatShape,
  InvalidArgumentError,
  ShapeMismatchError,
  type Tensor,
} from "@mc/core";
import { gemm } from "@mc/kernels";
import { assertFloatTensor, quantizeValue } from "./affine";
import { chooseQParams } from "./choose-qparams";
import { choleskyInverse, choleskyLower, choleskyUpper } from "./linear-algebra";
import { packQuantData, type QuantDtype, type QuantizedTensor, quantRange } from "./quant-dtype";

/**
 * The GPTQ Hessian H = (2 / n)·Σ xᵀx of a linear layer's inputs, accumulated batch by batch
 * exactly as the reference implementation's `add_batch` does (a running mean, float64).
 */
export class GptqHessian {
  readonly columns: number;
  readonly matrix: Float64Array;
  samples = 0;

  constructor(columns: number) {
    this.columns = columns;
    this.matrix = new Float64Array(columns * columns);
  }

  /** Adds inputs x [rows, columns] (any leading shape folded into rows). */
  addBatch(x: Tensor<Float32Array>): void {
    const input = assertFloatTensor(x, "GptqHessian.addBatch");
    const n = this.columns;
    if (input.shape[input.shape.length - 1] !== n) {
      throw new ShapeMismatchError({
        message: `GptqHessian.addBatch: x has shape ${formatShape(input.shape)} but the layer has ${n} input features`,
        actual: input.shape,
      });
    }
    const rows = input.data.length / n;
    if (rows === 0) return;
    const xtx = gemm(input.data, input.data, { m: n, k: rows, n, transposeA: true });
    const total = this.samples + rows;
    const keep = this.samples / total;
    const add = 2 / total;
    const h = this.matrix;
    for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) * keep + add * (xtx[i] as number);
    this.samples = total;
  }
}

export interface GptqOptions {
  bits?: 4 | 8;
  /** Columns per group sharing a scale and zero point; 0 = one per output row. Must divide the input size. */
  groupSize?: number;
  /** Quantize columns in order of decreasing Hessian diagonal (the paper's "act-order"). */
  actOrder?: boolean;
  /** λ = dampening · mean(diag H) added to the diagonal. */
  dampening?: number;
  /** Symmetric grid (signed dtype, zero point 0) instead of asymmetric (unsigned dtype). */
  symmetric?: boolean;
}

export interface GptqResult {
  /** Per-channel (axis 0) without groups, blockwise (axis 1, blockSize = groupSize) with groups. */
  quantized: QuantizedTensor;
  /** GPTQ's loss estimate Σ (w − q)² / [H⁻¹]ᵢᵢ², summed over the layer. */
  loss: number;
}

const GPTQ_DEFAULTS = { bits: 4, groupSize: 0, actOrder: false, dampening: 0.01, symmetric: false } as const;

function gptqDtype(bits: 4 | 8, symmetric: boolean): QuantDtype {
  if (bits === 4) return symmetric ? "int4" : "uint4";
  return symmetric ? "int8" : "uint8";
}

interface GroupParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
}

/** Per-row qparams from the min/max of columns [start, end) of the current weights. */
function findParams(
  w: Float64Array,
  rows: number,
  columns: number,
  cols: ArrayLike<number>,
  dtype: QuantDtype,
  symmetric: boolean,
): GroupParams {
  const scale = new Float32Array(rows);
  const zeroPoint = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let min = 0;
    let max = 0;
    for (let c = 0; c < cols.length; c++) {
      const v = Math.fround(w[r * columns + (cols[c] as number)] as number);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const q = chooseQParams({ min, max }, { dtype, symmetric });
    scale[r] = q.scale;
    zeroPoint[r] = q.zeroPoint;
  }
  return { scale, zeroPoint };
}

function checkOptions(weight: Tensor<Float32Array>, options: GptqOptions, caller: string) {
  const input = assertFloatTensor(weight, caller, "weight");
  assertRank(input, 2, caller, "weight");
  const merged = { ...GPTQ_DEFAULTS, ...options };
  const { bits, groupSize, dampening } = merged;
  if (bits !== 4 && bits !== 8) {
    throw new InvalidArgumentError({
      message: `${caller}: options.bits must be 4 or 8, got ${String(bits)}`,
      argument: "options.bits",
      value: bits,
    });
  }
  const columns = input.shape[1] as number;
  if (!Number.isInteger(groupSize) || groupSize < 0 || (groupSize > 0 && columns % groupSize !== 0)) {
    throw new InvalidArgumentError({
      message: `${caller}: options.groupSize ${String(groupSize)} must be 0 or divide the ${columns} input columns of weight ${formatShape(input.shape)}`,
      argument: "options.groupSize",
      value: groupSize,
    });
  }
  assertFiniteNumber(dampening, caller, "options.dampening", { min: 0 });
  return { input, ...merged };
}

function groupColumns(start: number, size: number): number[] {
  return Array.from({ length: size }, (_, i) => start + i);
}

/**
 * Round-to-nearest with GPTQ's grid (per row, or per group of columns): the baseline GPTQ is
 * measured against.
 */
export function quantizeRoundToNearest(weight: Tensor<Float32Array>, options: GptqOptions = {}): GptqResult {
  const { input, bits, groupSize, symmetric } = checkOptions(weight, options, "quantizeRoundToNearest");
  const [rows, columns] = input.shape as [number, number];
  const w = Float64Array.from(input.data);
  const dtype = gptqDtype(bits, symmetric);
  const group = groupSize || columns;
  const groups = columns / group;
  const scale = new Float32Array(rows * groups);
  const zeroPoint = new Int32Array(rows * groups);
  const q = new Int32Array(rows * columns);
  const { qmin, qmax } = quantRange(dtype);
  for (let g = 0; g < groups; g++) {
    const params = findParams(w, rows, columns, groupColumns(g * group, group), dtype, symmetric);
    for (let r = 0; r < rows; r++) {
      scale[r * groups + g] = params.scale[r] as number;
      zeroPoint[r * groups + g] = params.zeroPoint[r] as number;
      for (let c = g * group; c < (g + 1) * group; c++) {
        q[r * columns + c] = quantizeValue(
          w[r * columns + c] as number,
          params.scale[r] as number,
          params.zeroPoint[r] as number,
          qmin,
          qmax,
        );
      }
    }
  }
  return { quantized: packResult(q, dtype, rows, columns, scale, zeroPoint, groupSize), loss: Number.NaN };
}

function packResult(
  q: Int32Array,
  dtype: QuantDtype,
  rows: number,
  columns: number,
  scale: Float32Array,
  zeroPoint: Int32Array,
  groupSize: number,
): QuantizedTensor {
  const base = { data: packQuantData(q, dtype), dtype, shape: [rows, columns], scale, zeroPoint };
  return groupSize > 0 && groupSize < columns ? { ...base, axis: 1, blockSize: groupSize } : { ...base, axis: 0 };
}

/**
 * GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2022, Algorithm 1): quantize one column at a time
 * and spread its rounding error over the not-yet-quantized columns through the upper Cholesky
 * factor of the damped inverse Hessian, so the layer's outputs on the calibration inputs move
 * as little as possible. Dead inputs (zero Hessian diagonal) are zeroed as in the reference.
 * With act-order and groups, group parameters come from the original column groups before any
 * update (the reference's `static_groups`), so the result stays a plain blockwise tensor.
 */
export function gptqQuantize(
  weight: Tensor<Float32Array>,
  hessian: GptqHessian | Float64Array,
  options: GptqOptions = {},
): GptqResult {
  const caller = "gptqQuantize";
  const { input, bits, groupSize, actOrder, dampening, symmetric } = checkOptions(weight, options, caller);
  const [rows, columns] = input.shape as [number, number];
  const hMatrix = hessian instanceof GptqHessian ? hessian.matrix : hessian;
  if (!(hMatrix instanceof Float64Array) || hMatrix.length !== columns * columns) {
    throw new ShapeMismatchError({
      message: `${caller}: hessian must be ${columns}×${columns} for weight ${formatShape(input.shape)}, got ${hMatrix?.length} entries`,
      expected: [columns, columns],
    });
  }
  const dtype = gptqDtype(bits, symmetric);
  const { qmin, qmax } = quantRange(dtype);
  const w = Float64Array.from(input.data);
  const h = hMatrix.slice();
  for (let c = 0; c < columns; c++) {
    if (h[c * columns + c] === 0) {
      h[c * columns + c] = 1;
      for (let r = 0; r < rows; r++) w[r * columns + c] = 0;
    }
  }
  const group = groupSize || columns;
  const groups = columns / group;
  const scale = new Float32Array(rows * groups);
  const zeroPoint = new Int32Array(rows * groups);
  const setGroup = (g: number, params: GroupParams) => {
    for (let r = 0; r < rows; r++) {
      scale[r * groups + g] = params.scale[r] as number;
      zeroPoint[r * groups + g] = params.zeroPoint[r] as number;
    }
  };
  const staticGroups = actOrder || groupSize === 0;
  if (staticGroups)
    for (let g = 0; g < groups; g++)
      setGroup(g, findParams(w, rows, columns, groupColumns(g * group, group), dtype, symmetric));
  const order = Array.from({ length: columns }, (_, c) => c);
  if (actOrder) order.sort((a, b) => (h[b * columns + b] as number) - (h[a * columns + a] as number) || a - b);
  // Permute H into processing order, damp it, and factor its inverse.
  const hp = new Float64Array(columns * columns);
  let meanDiagonal = 0;
  for (let i = 0; i < columns; i++) meanDiagonal += h[(order[i] as number) * columns + (order[i] as number)] as number;
  meanDiagonal /= columns;
  for (let i = 0; i < columns; i++) {
    for (let j = 0; j < columns; j++)
      hp[i * columns + j] = h[(order[i] as number) * columns + (order[j] as number)] as number;
    hp[i * columns + i] = (hp[i * columns + i] as number) + dampening * meanDiagonal;
  }
  const u = choleskyUpper(choleskyInverse(choleskyLower(hp, columns, caller), columns), columns, caller);
  const q = new Int32Array(rows * columns);
  let loss = 0;
  const err = new Float64Array(rows);
  for (let i = 0; i < columns; i++) {
    const c = order[i] as number;
    const g = Math.floor(c / group);
    if (!staticGroups && c % group === 0)
      setGroup(g, findParams(w, rows, columns, groupColumns(c, group), dtype, symmetric));
    const d = u[i * columns + i] as number;
    for (let r = 0; r < rows; r++) {
      const value = w[r * columns + c] as number;
      const s = scale[r * groups + g] as number;
      const z = zeroPoint[r * groups + g] as number;
      const qi = quantizeValue(Math.fround(value), s, z, qmin, qmax);
      q[r * columns + c] = qi;
      const e = (value - Math.fround((qi - z) * s)) / d;
      err[r] = e;
      loss += e * e;
    }
    // Spread the error over the columns still to come: W[:, j] -= err · U[i, j] for j after i.
    for (let j = i + 1; j < columns; j++) {
      const factor = u[i * columns + j] as number;
      if (factor === 0) continue;
      const target = order[j] as number;
      for (let r = 0; r < rows; r++)
        w[r * columns + target] = (w[r * columns + target] as number) - (err[r] as number) * factor;
    }
  }
  return { quantized: packResult(q, dtype, rows, columns, scale, zeroPoint, groupSize), loss: loss / 2 };
}
