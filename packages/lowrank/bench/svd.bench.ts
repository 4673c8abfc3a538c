/**
 * Randomized rank-64 SVD of a 1024×1024 matrix (this package, on @mc/kernels' GEMM) against
 * ml-matrix's full SVD, same matrix, same process. Writes results/bench-svd.json.
 * Run: pnpm --filter @mc/lowrank bench
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@mc/core";
import { gemm, getKernelInfo, initKernels } from "@mc/kernels";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { randomizedSvd, reconstructSvd, truncatedSvd } from "../src/index";

const size = 1024;
const rank = 64;
const here = dirname(fileURLToPath(import.meta.url));

function testMatrix(): Float32Array {
  // (G₁·diag(s))·G₂ᵀ/n with Gaussian G: singular values ≈ s, a decaying spectrum like trained weights.
  const rng = createRng(2024);
  const left = rng.fillNormal(new Float32Array(size * size));
  const right = rng.fillNormal(new Float32Array(size * size));
  for (let i = 0; i < size; i++) for (let r = 0; r < size; r++) left[i * size + r]! *= Math.exp(-r / 40) + 0.01;
  return gemm(left, right, { m: size, k: size, n: size, transposeB: true, alpha: 1 / size });
}

function time<T>(f: () => T): { value: T; seconds: number } {
  const start = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - start) / 1000 };
}

await initKernels();
const kernel = getKernelInfo();
const data = testMatrix();
const matrix = { data, shape: [size, size] };

const runs = [0, 1, 2].map((seed) => time(() => randomizedSvd(matrix, { rank, seed })));
const randomizedSeconds = runs.map((r) => r.seconds).sort((a, b) => a - b)[1]!;

// The peer: ml-matrix's full SVD, exactly what a JS developer reaches for today.
const peer = time(() => {
  const m = new Matrix(size, size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) m.set(i, j, data[i * size + j]!);
  return new SingularValueDecomposition(m, { autoTranspose: true });
});
const truncated = time(() => truncatedSvd(matrix, { rank }));

const spectrum = peer.value.diagonal;
const optimalError = Math.sqrt(spectrum.slice(rank).reduce((s, v) => s + v * v, 0));
const measure = (svd: ReturnType<typeof randomizedSvd>) => {
  const approx = reconstructSvd(svd).data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += (approx[i]! - data[i]!) ** 2;
  return Math.sqrt(sum);
};
const randomizedError = measure(runs[0]!.value);
const truncatedError = measure(truncated.value);

const rows = [
  {
    method: `randomizedSvd (rank ${rank}, p = 10, q = 2, median of 3)`,
    seconds: randomizedSeconds,
    errorOverOptimal: randomizedError / optimalError,
  },
  { method: "ml-matrix SingularValueDecomposition (full)", seconds: peer.seconds, errorOverOptimal: 1 },
  {
    method: `truncatedSvd (rank ${rank}, ml-matrix inside)`,
    seconds: truncated.seconds,
    errorOverOptimal: truncatedError / optimalError,
  },
];
console.log(`matrix ${size}×${size}, rank ${rank}, kernels tier ${kernel.tier}, threads ${kernel.threads}`);
console.log("method".padEnd(62), "seconds".padStart(9), "error/optimal".padStart(14));
for (const row of rows)
  console.log(row.method.padEnd(62), row.seconds.toFixed(3).padStart(9), row.errorOverOptimal.toFixed(5).padStart(14));
const speedup = peer.seconds / randomizedSeconds;
console.log(`speedup randomized vs ml-matrix full SVD: ${speedup.toFixed(1)}×`);

const out = join(here, "..", "results", "bench-svd.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      benchmark: "randomized rank-64 SVD vs ml-matrix full SVD, 1024×1024",
      date: new Date().toISOString(),
      node: process.version,
      machine: "shared 2-core machine, other jobs running (numbers are noisy)",
      kernels: kernel,
      size,
      rank,
      optimalRelativeError: optimalError / Math.sqrt(spectrum.reduce((s, v) => s + v * v, 0)),
      rows,
      speedup,
    },
    null,
    2,
  )}\n`,
);
