import { assertInteger, elementCount, FormatError, formatShape, InvalidArgumentError, type Tensor } from "@mc/core";
import { encodeRelativeIndices } from "@mc/prune";

/**
 * Deep Compression storage of a pruned, weight-shared tensor (Han et al. 2016, §2 and Fig. 2):
 * only stored entries are kept, each as (relative index, cluster index).
 *
 * Relative index ("gap") of stored entry i: the number of positions skipped since the previous
 * stored entry, so its flat position is `p_i = p_{i-1} + gaps[i] + 1` with `p_{-1} = -1`.
 * A gap must fit in `indexBits` bits; when more zeros than `2^indexBits - 1` lie between two
 * weights, a filler entry (a stored zero) is placed `2^indexBits` positions after the previous
 * entry, as often as needed. Fillers point at a codebook entry equal to 0.
 */
export interface SparseSharedTensor {
  shape: number[];
  /** Shared values (cluster centroids). */
  codebook: Float32Array;
  /** Bits of one relative index, 1..16 (Deep Compression: 8 for conv, 5 for fc layers). */
  indexBits: number;
  /** One relative index per stored entry (fillers included). */
  gaps: Uint16Array;
  /** One codebook index per stored entry. */
  codes: Uint8Array | Uint16Array;
}

export interface SparseSharedOptions {
  /** Bits per relative index. */
  indexBits?: number;
}

const sparseSharedDefaults = { indexBits: 5 } as const;

/**
 * Width of one fixed-width cluster index: `ceil(log2 codebookSize)`, at least 1 (the P+Q "weight
 * bits" of Deep Compression's tables, and the width of packed cluster indices in `.mcz`).
 */
export function clusterIndexBits(codebookSize: number): number {
  let bits = 1;
  while (2 ** bits < codebookSize) bits++;
  return bits;
}

function codeArray(length: number, codebookSize: number): Uint8Array | Uint16Array {
  return codebookSize <= 256 ? new Uint8Array(length) : new Uint16Array(length);
}

/**
 * Builds the sparse storage from a codebook and one codebook index per element (the output
 * of weight sharing). Elements whose codebook value is 0 are pruned and not stored; fillers
 * point at that same zero entry (without a zero in the codebook nothing is pruned, so no
 * filler is ever needed).
 */
export function sparseSharedFromIndices(
  input: { shape: readonly number[]; codebook: Float32Array; indices: ArrayLike<number> },
  options: SparseSharedOptions = {},
): SparseSharedTensor {
  const caller = "sparseSharedFromIndices";
  const { indexBits } = { ...sparseSharedDefaults, ...options };
  assertInteger(indexBits, caller, "options.indexBits", { min: 1, max: 16 });
  const count = elementCount(input.shape, caller);
  const { codebook, indices } = input;
  if (!(codebook instanceof Float32Array) || codebook.length < 1 || codebook.length > 65536) {
    throw new InvalidArgumentError({
      message: `${caller}: codebook must be a Float32Array of 1..65536 values, got length ${codebook?.length}`,
      argument: "codebook",
      value: codebook,
    });
  }
  if (indices.length !== count) {
    throw new InvalidArgumentError({
      message: `${caller}: indices has ${indices.length} elements but shape ${formatShape(input.shape)} needs ${count}`,
      argument: "indices",
      value: indices.length,
    });
  }
  const zeroIndex = codebook.indexOf(0);
  const values = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    const code = indices[p] as number;
    if (!(code >= 0 && code < codebook.length && Number.isInteger(code))) {
      throw new InvalidArgumentError({
        message: `${caller}: index ${code} at position ${p} is outside the ${codebook.length}-entry codebook`,
        argument: "indices",
        value: code,
      });
    }
    values[p] = codebook[code] as number;
  }
  // @mc/prune owns the relative-index scheme; its codes are exactly this format's gaps.
  const { gaps, values: storedValues } = encodeRelativeIndices(values, { indexBits });
  const codes = codeArray(gaps.length, codebook.length);
  let position = -1;
  for (let e = 0; e < gaps.length; e++) {
    position += (gaps[e] as number) + 1;
    codes[e] = storedValues[e] === 0 ? zeroIndex : (indices[position] as number);
  }
  return { shape: [...input.shape], codebook, indexBits, gaps, codes };
}

/**
 * Builds the sparse storage from a dense tensor whose nonzero values come from a small set
 * (a pruned and weight-shared layer). The codebook is the sorted distinct nonzero values;
 * -0 counts as pruned.
 */
export function sparseSharedFromWeights(
  weight: Tensor<Float32Array>,
  options: SparseSharedOptions = {},
): SparseSharedTensor {
  const caller = "sparseSharedFromWeights";
  const count = elementCount(weight.shape, caller);
  if (!(weight.data instanceof Float32Array) || weight.data.length !== count) {
    throw new InvalidArgumentError({
      message: `${caller}: weight must be a Float32Array tensor matching shape ${formatShape(weight.shape)}`,
      argument: "weight",
      value: weight,
    });
  }
  const distinct = new Set<number>();
  for (let i = 0; i < count; i++) {
    const v = weight.data[i] as number;
    if (Number.isNaN(v)) {
      throw new InvalidArgumentError({
        message: `${caller}: weight has NaN at index ${i}`,
        argument: "weight",
        value: v,
      });
    }
    if (v !== 0) distinct.add(v);
    if (distinct.size > 65535) {
      throw new InvalidArgumentError({
        message: `${caller}: weight has more than 65535 distinct nonzero values; share weights first`,
        argument: "weight",
        value: distinct.size,
      });
    }
  }
  const codebook = Float32Array.from([0, ...[...distinct].sort((a, b) => a - b)]);
  const lookup = new Map<number, number>();
  codebook.forEach((v, i) => {
    lookup.set(v, i);
  });
  const indices = codeArray(count, codebook.length);
  for (let i = 0; i < count; i++)
    indices[i] = lookup.get(weight.data[i] === 0 ? 0 : (weight.data[i] as number)) as number;
  return sparseSharedFromIndices({ shape: weight.shape, codebook, indices }, options);
}

/** Flat positions of the stored entries; throws `FormatError` when a gap runs past the end. */
export function sparseSharedPositions(sparse: SparseSharedTensor, caller = "sparseSharedPositions"): Float64Array {
  const count = elementCount(sparse.shape, caller);
  const positions = new Float64Array(sparse.gaps.length);
  const maxGap = 2 ** sparse.indexBits - 1;
  let previous = -1;
  for (let i = 0; i < sparse.gaps.length; i++) {
    const gap = sparse.gaps[i] as number;
    if (gap > maxGap) {
      throw new FormatError({
        message: `${caller}: relative index ${gap} of entry ${i} does not fit in ${sparse.indexBits} bits`,
      });
    }
    previous += gap + 1;
    if (previous >= count) {
      throw new FormatError({
        message: `${caller}: entry ${i} lands at position ${previous}, past the ${count} elements of shape ${formatShape(sparse.shape)}`,
      });
    }
    positions[i] = previous;
  }
  for (let i = 0; i < sparse.codes.length; i++) {
    if ((sparse.codes[i] as number) >= sparse.codebook.length) {
      throw new FormatError({
        message: `${caller}: entry ${i} has cluster index ${sparse.codes[i]} but the codebook has ${sparse.codebook.length} entries`,
      });
    }
  }
  return positions;
}

/** Expands to a dense fp32 tensor: stored entries take their codebook value, the rest are +0. */
export function sparseSharedToDense(sparse: SparseSharedTensor): Tensor<Float32Array> {
  const caller = "sparseSharedToDense";
  if (sparse.gaps.length !== sparse.codes.length) {
    throw new FormatError({
      message: `${caller}: ${sparse.gaps.length} relative indices but ${sparse.codes.length} cluster indices`,
    });
  }
  const positions = sparseSharedPositions(sparse, caller);
  const out = new Float32Array(elementCount(sparse.shape, caller));
  for (let i = 0; i < positions.length; i++)
    out[positions[i] as number] = sparse.codebook[sparse.codes[i] as number] as number;
  return { data: out, shape: [...sparse.shape] };
}
