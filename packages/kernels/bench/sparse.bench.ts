// Sparse (CSR), codebook and CSR+codebook linears vs the dense fp32 GEMM on the same layer,
// ours only (no onnxruntime operator serves these formats). Writes results/sparse-bench.json.
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@mc/core";
import { codebookLinear, gemm, setKernelTier, sparseCodebookLinear, sparseLinear } from "../dist/index.js";
import { timeIt } from "./cases";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [outF, inF] = [300, 784];
const rng = createRng(42);
const dense = new Float32Array(outF * inF);
for (let i = 0; i < dense.length; i++) dense[i] = rng.uniform() < 0.1 ? rng.uniform() - 0.5 : 0; // 90 % pruned
const rowPointers = new Int32Array(outF + 1);
const cols: number[] = [];
const vals: number[] = [];
for (let r = 0; r < outF; r++) {
  for (let c = 0; c < inF; c++) {
    if (dense[r * inF + c] !== 0) {
      cols.push(c);
      vals.push(dense[r * inF + c]!);
    }
  }
  rowPointers[r + 1] = cols.length;
}
const csr = {
  rows: outF,
  cols: inF,
  rowPointers,
  columnIndices: Int32Array.from(cols),
  values: Float32Array.from(vals),
};
const codebook = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 32);
const codes = Uint8Array.from(vals, () => rng.integer(0, 31));
const indices = Uint8Array.from({ length: outF * inF }, () => rng.integer(0, 31));
const denseCodebook = Float32Array.from(indices, (i) => codebook[i]!);

const rows: Record<string, unknown>[] = [];
for (const batch of [1, 64]) {
  const x = Float32Array.from({ length: batch * inF }, () => rng.uniform());
  const c = { id: "", op: "matmul_f32" as const, m: batch, k: inF, n: outF };
  const ops: Record<string, () => unknown> = {
    "gemm dense fp32 (transposeB)": () => gemm(x, dense, { m: batch, k: inF, n: outF, transposeB: true }),
    "sparseLinear 90% pruned": () => sparseLinear(x, batch, csr),
    "sparseCodebookLinear 90% pruned, 5-bit codes": () =>
      sparseCodebookLinear(x, batch, { ...csr, codeIndices: codes, codebook }),
    "codebookLinear dense, 5-bit codes": () =>
      codebookLinear(x, batch, { outFeatures: outF, inFeatures: inF, indices, codebook }),
    "gemm on the expanded codebook weight": () =>
      gemm(x, denseCodebook, { m: batch, k: inF, n: outF, transposeB: true }),
  };
  for (const [name, fn] of Object.entries(ops)) {
    setKernelTier("js");
    const js = await timeIt(fn, c, 0.3);
    setKernelTier("auto");
    const auto = await timeIt(fn, c, 0.3);
    rows.push({ op: name, batch, microsecondsJs: js * 1e6, microsecondsAuto: auto * 1e6 });
  }
}
const result = {
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model ?? "unknown"} × ${cpus().length}, Node ${process.version}`,
  loadAverageAtEnd: loadavg(),
  layer: `784→300 (LeNet-300-100 fc1), nnz = ${csr.values.length}`,
  rows,
};
writeFileSync(join(root, "results", "sparse-bench.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log("| op | batch | js µs | auto (wasm where chosen) µs |\n| --- | ---: | ---: | ---: |");
for (const r of rows as { op: string; batch: number; microsecondsJs: number; microsecondsAuto: number }[]) {
  console.log(`| ${r.op} | ${r.batch} | ${r.microsecondsJs.toFixed(1)} | ${r.microsecondsAuto.toFixed(1)} |`);
}
