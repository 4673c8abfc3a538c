import { createRng } from "@mc/core";

/** Random matrix with orthonormal columns [rows, columns] (Gram–Schmidt twice on Gaussians), float64. */
export function randomOrthonormal(rows: number, columns: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const q = new Float64Array(rows * columns);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let j = 0; j < columns; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += q[i * columns + p]! * q[i * columns + j]!;
        for (let i = 0; i < rows; i++) q[i * columns + j]! -= dot * q[i * columns + p]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += q[i * columns + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < rows; i++) q[i * columns + j]! /= norm;
  }
  return q;
}

/** U·diag(spectrum)·Vᵀ with random orthonormal U, V: a matrix whose singular values are known exactly. */
export function matrixWithSpectrum(
  rows: number,
  columns: number,
  spectrum: ArrayLike<number>,
  seed: number,
): { data: Float64Array; shape: [number, number] } {
  const k = spectrum.length;
  const u = randomOrthonormal(rows, k, seed);
  const v = randomOrthonormal(columns, k, seed + 1);
  const data = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < k; r++) {
      const scaled = u[i * k + r]! * spectrum[r]!;
      for (let j = 0; j < columns; j++) data[i * columns + j]! += scaled * v[j * k + r]!;
    }
  }
  return { data, shape: [rows, columns] };
}

/** ‖a − b‖_F in float64. */
export function frobeniusDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

/** max |QᵀQ − I| for a row-major [rows, columns] matrix. */
export function orthonormalityDefect(q: ArrayLike<number>, rows: number, columns: number): number {
  let worst = 0;
  for (let a = 0; a < columns; a++) {
    for (let b = 0; b < columns; b++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += q[i * columns + a]! * q[i * columns + b]!;
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  return worst;
}
