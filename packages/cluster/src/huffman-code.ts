import { assertInteger, InvalidArgumentError } from "@mc/core";

/** Longest code length any stream of this package may use (decode tables stay bounded). */
export const maxSupportedCodeLength = 24;

export interface HuffmanCodeOptions {
  /** No code longer than this many bits (1–24); package-merge keeps the code optimal under it. */
  maxCodeLength?: number;
}

export interface HuffmanCode {
  /** Code length in bits per symbol; 0 for symbols with frequency 0. */
  codeLengths: Uint8Array;
  /** Canonical code per symbol, most significant bit first (DEFLATE's assignment). */
  codes: Uint32Array;
  /** Number of symbols with a code. */
  usedSymbols: number;
  /** Σ frequency × length: the payload size in bits for the given frequencies. */
  totalBits: number;
}

const defaults = { maxCodeLength: 15 };

/**
 * Optimal length-limited prefix code by package-merge (Larmore and Hirschberg, 1990), then
 * canonical codes from the lengths. With one used symbol its length is 1 (a complete code
 * needs two leaves; DEFLATE does the same). Every result satisfies Kraft's equality
 * Σ 2^-length = 1 when two or more symbols are used.
 */
export function buildHuffmanCode(frequencies: ArrayLike<number>, options: HuffmanCodeOptions = {}): HuffmanCode {
  const caller = "buildHuffmanCode";
  const { maxCodeLength = defaults.maxCodeLength } = options;
  assertInteger(maxCodeLength, caller, "options.maxCodeLength", { min: 1, max: maxSupportedCodeLength });
  if (frequencies === null || typeof frequencies !== "object" || typeof frequencies.length !== "number") {
    throw new InvalidArgumentError({
      message: `${caller}: frequencies must be an array or typed array of counts`,
      argument: "frequencies",
    });
  }
  const alphabetSize = frequencies.length;
  const used: number[] = [];
  for (let s = 0; s < alphabetSize; s++) {
    const f = frequencies[s] as number;
    if (!Number.isSafeInteger(f) || f < 0) {
      throw new InvalidArgumentError({
        message: `${caller}: frequencies[${s}] = ${String(f)} is not a non-negative integer (alphabet size ${alphabetSize})`,
        argument: "frequencies",
        value: f,
      });
    }
    if (f > 0) used.push(s);
  }
  if (used.length > 2 ** maxCodeLength) {
    throw new InvalidArgumentError({
      message: `${caller}: ${used.length} used symbols cannot have codes of at most ${maxCodeLength} bits (at most ${2 ** maxCodeLength})`,
      argument: "options.maxCodeLength",
      value: maxCodeLength,
    });
  }
  const codeLengths = new Uint8Array(alphabetSize);
  if (used.length === 1) codeLengths[used[0] as number] = 1;
  else if (used.length > 1) packageMerge(frequencies, used, maxCodeLength, codeLengths);
  let totalBits = 0;
  for (const s of used) totalBits += (frequencies[s] as number) * (codeLengths[s] as number);
  return { codeLengths, codes: canonicalCodes(codeLengths), usedSymbols: used.length, totalBits };
}

/**
 * Package-merge: the leaves (sorted by weight) are merged with packages (pairs of adjacent
 * items from the level below) on each of L levels; taking the 2n − 2 lightest items of the top
 * level, a symbol's code length is the number of levels on which its leaf is taken. Packages of
 * a level are built from consecutive pairs of the sorted list below, so "the first p packages"
 * always expand to "the first 2p items below" — that lets lengths be counted without storing
 * package contents. O(n·L) time and memory.
 */
function packageMerge(
  frequencies: ArrayLike<number>,
  used: number[],
  maxLength: number,
  codeLengths: Uint8Array,
): void {
  const leaves = [...used].sort((a, b) => (frequencies[a] as number) - (frequencies[b] as number) || a - b);
  const n = leaves.length;
  const leafWeights = Float64Array.from(leaves, (s) => frequencies[s] as number);
  // levels[d]: for each item of the merged list at depth d, -1 for a package or the leaf rank.
  const levels: Int32Array[] = [];
  let weights = leafWeights;
  let kinds = Int32Array.from({ length: n }, (_, i) => i);
  levels.push(kinds);
  for (let level = 1; level < maxLength; level++) {
    const packageCount = weights.length >>> 1;
    const mergedLength = n + packageCount;
    const mergedWeights = new Float64Array(mergedLength);
    const mergedKinds = new Int32Array(mergedLength);
    let leaf = 0;
    let pack = 0;
    for (let t = 0; t < mergedLength; t++) {
      const packWeight =
        pack < packageCount
          ? (weights[2 * pack] as number) + (weights[2 * pack + 1] as number)
          : Number.POSITIVE_INFINITY;
      // Leaves before packages on equal weight keeps codes shallower.
      if (leaf < n && (leafWeights[leaf] as number) <= packWeight) {
        mergedWeights[t] = leafWeights[leaf] as number;
        mergedKinds[t] = leaf++;
      } else {
        mergedWeights[t] = packWeight;
        mergedKinds[t] = -1;
        pack++;
      }
    }
    weights = mergedWeights;
    kinds = mergedKinds;
    levels.push(kinds);
  }
  let take = 2 * n - 2;
  for (let level = levels.length - 1; level >= 0 && take > 0; level--) {
    const items = levels[level] as Int32Array;
    let packages = 0;
    for (let t = 0; t < take; t++) {
      const kind = items[t] as number;
      if (kind < 0) packages++;
      else (codeLengths as Uint8Array)[leaves[kind] as number]++;
    }
    take = 2 * packages;
  }
}

/** DEFLATE's canonical assignment: codes of one length are consecutive, in symbol order. */
export function canonicalCodes(codeLengths: Uint8Array): Uint32Array {
  const countPerLength = new Uint32Array(maxSupportedCodeLength + 1);
  for (let s = 0; s < codeLengths.length; s++) countPerLength[codeLengths[s] as number]++;
  countPerLength[0] = 0;
  const next = new Uint32Array(maxSupportedCodeLength + 2);
  let code = 0;
  for (let length = 1; length <= maxSupportedCodeLength; length++) {
    code = (code + (countPerLength[length - 1] as number)) * 2;
    next[length] = code;
  }
  const codes = new Uint32Array(codeLengths.length);
  for (let s = 0; s < codeLengths.length; s++) {
    const length = codeLengths[s] as number;
    if (length > 0) codes[s] = (next[length] as number)++;
  }
  return codes;
}
