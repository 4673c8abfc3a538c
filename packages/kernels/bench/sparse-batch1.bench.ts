// LeNet-300-100 at ~8 % density (fc1 300×784, fc2 100×300, fc3 10×100), the shapes `mc bench`
// runs: sparseLinear, sparseCodebookLinear and the packed, zero-skipping sparseLinearPacked per layer
// and for the whole 3-layer stack (packed: ReLU fused, inputs 80% zeros like MNIST digits, whose
// 784 pixels are ~81% background), at small batch sizes, js tier vs auto (wasm where chosen).
// Writes results/sparse-batch1-bench.json.
// MC_KERNELS_DIST=/path/to/index.js times another build (e.g. the one before a change).
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@mc/core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = process.env.MC_KERNELS_DIST ?? join(root, "dist", "index.js");
const { getKernelInfo, packSparseLinear, setKernelTier, sparseCodebookLinear, sparseLinear, sparseLinearPacked } =
  (await import(dist)) as typeof import("../src/index");

const rng = createRng(20261122);
const density = 0.08;
const shapes: [number, number][] = [
  [300, 784],
  [100, 300],
  [10, 100],
];
const codebook = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 32);
const layers = shapes.map(([rows, cols]) => {
  const rowPointers = new Int32Array(rows + 1);
  const columnIndices: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (rng.uniform() < density) columnIndices.push(c);
    rowPointers[r + 1] = columnIndices.length;
  }
  const nnz = columnIndices.length;
  return {
    rows,
    cols,
    rowPointers,
    columnIndices: Int32Array.from(columnIndices),
    values: Float32Array.from({ length: nnz }, () => rng.uniform() - 0.5),
    codeIndices: Uint8Array.from({ length: nnz }, () => rng.integer(0, 31)),
    codebook,
    bias: Float32Array.from({ length: rows }, () => rng.uniform() - 0.5),
  };
});

/** Best mean over blocks of calls (single calls are below the timer's resolution). */
function microseconds(fn: () => unknown, budgetSeconds = 0.25): number {
  for (let i = 0; i < 200; i++) fn();
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  while ((performance.now() - start) / 1000 < budgetSeconds) {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) fn();
    best = Math.min(best, ((performance.now() - t0) / 50) * 1000);
  }
  return best;
}

const rows: { case: string; batch: number; microsecondsJs: number; microsecondsAuto: number }[] = [];
for (const batch of [1, 2, 4, 8]) {
  const inputs = layers.map((l) => Float32Array.from({ length: batch * l.cols }, () => rng.uniform()));
  const mostlyZero = layers.map((l) =>
    Float32Array.from({ length: batch * l.cols }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform())),
  );
  const packs = layers.map((l, i) =>
    packSparseLinear(l, { bias: l.bias, activation: i < layers.length - 1 ? "relu" : "none" }),
  );
  const cases: Record<string, () => unknown> = {};
  for (const [i, l] of layers.entries()) {
    const name = `${l.rows}×${l.cols} nnz ${l.values.length}`;
    cases[`sparseLinear ${name}`] = () => sparseLinear(inputs[i]!, batch, l, l.bias);
    cases[`sparseCodebookLinear ${name}`] = () => sparseCodebookLinear(inputs[i]!, batch, l, l.bias);
    cases[`sparseLinearPacked ${name}, no zero inputs`] = () => sparseLinearPacked(inputs[i]!, batch, packs[i]!);
    cases[`sparseLinearPacked ${name}, 80% zero inputs`] = () => sparseLinearPacked(mostlyZero[i]!, batch, packs[i]!);
  }
  cases["sparseCodebookLinear LeNet-300-100 stack (3 layers)"] = () => {
    let h: Float32Array = inputs[0]!;
    for (const l of layers) h = sparseCodebookLinear(h, batch, l, l.bias);
    return h;
  };
  cases["sparseLinearPacked LeNet-300-100 stack (3 layers, ReLU fused, 80% zero inputs)"] = () => {
    let h: Float32Array = mostlyZero[0]!;
    for (const p of packs) h = sparseLinearPacked(h, batch, p);
    return h;
  };
  for (const [name, fn] of Object.entries(cases)) {
    setKernelTier("js");
    const js = microseconds(fn);
    setKernelTier("auto");
    const auto = microseconds(fn);
    rows.push({ case: name, batch, microsecondsJs: js, microsecondsAuto: auto });
  }
}
const result = {
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model ?? "unknown"} × ${cpus().length}, Node ${process.version}`,
  build: dist,
  kernels: getKernelInfo().kernels,
  loadAverageAtEnd: loadavg(),
  rows,
};
if (process.env.MC_KERNELS_DIST === undefined) {
  writeFileSync(join(root, "results", "sparse-batch1-bench.json"), `${JSON.stringify(result, null, 2)}\n`);
}
console.log("| case | batch | js µs | auto µs |\n| --- | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.case} | ${r.batch} | ${r.microsecondsJs.toFixed(1)} | ${r.microsecondsAuto.toFixed(1)} |`);
}
console.log(
  `load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ")}`,
);
