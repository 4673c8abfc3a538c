/**
 * Forward-pass speed of LeNet-300-100 before and after removing half of the hidden units
 * (pruneNeurons, physical removal), side by side in one run; also the masked-but-dense model
 * (same zeros, full size) to show that only physical removal saves time.
 * Run: pnpm bench (or pnpm exec tsx bench/neuron-pruning.bench.ts)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@mc/core";
import { createLenet300100, type Module } from "@mc/nn";
import { attachPruningMasks, pruneNeurons } from "@mc/prune";

function timeForward(model: Module, batch: number, minimumMs: number): { msPerBatch: number; iterations: number } {
  const input = { data: createRng(batch).fillUniform(new Float32Array(batch * 784)), shape: [batch, 784] };
  model.eval();
  for (let i = 0; i < 5; i++) model.forward(input);
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minimumMs) {
    model.forward(input);
    iterations++;
    elapsed = performance.now() - start;
  }
  return { msPerBatch: elapsed / iterations, iterations };
}

const dense = createLenet300100({ seed: 0 });
const { model: small, keptUnits } = pruneNeurons(dense, { sparsity: 0.5 });
// Same units removed but kept in place as zeros: the masked model.
const masked = createLenet300100({ seed: 0 });
const masks: Record<string, Uint8Array> = {};
for (const [layer, next] of [
  ["fc1", "fc2"],
  ["fc2", "fc3"],
] as const) {
  const weight = masked.getParameter(`${next}.weight`).value;
  const cols = weight.shape[1];
  const kept = new Set(keptUnits[layer]);
  const mask = new Uint8Array(weight.data.length);
  for (let r = 0; r < weight.shape[0]; r++) for (let c = 0; c < cols; c++) mask[r * cols + c] = kept.has(c) ? 1 : 0;
  masks[`${next}.weight`] = mask;
}
attachPruningMasks(masked, masks);

const count = (m: Module) => m.parameters().reduce((sum, p) => sum + p.value.data.length, 0);
const rows: { batch: number; denseMs: number; maskedMs: number; prunedMs: number; speedup: number }[] = [];
for (const batch of [1, 32, 256]) {
  const minimumMs = 1500;
  const d = timeForward(dense, batch, minimumMs);
  const m = timeForward(masked, batch, minimumMs);
  const p = timeForward(small, batch, minimumMs);
  rows.push({
    batch,
    denseMs: d.msPerBatch,
    maskedMs: m.msPerBatch,
    prunedMs: p.msPerBatch,
    speedup: d.msPerBatch / p.msPerBatch,
  });
}
console.log("LeNet-300-100 forward, ms per batch (shared busy 2-core machine)");
console.log("batch | dense 784-300-100-10 | masked (zeros, full size) | pruned 784-150-50-10 | dense/pruned");
for (const r of rows) {
  console.log(
    `${String(r.batch).padStart(5)} | ${r.denseMs.toFixed(4).padStart(20)} | ${r.maskedMs.toFixed(4).padStart(25)} | ${r.prunedMs.toFixed(4).padStart(20)} | ${r.speedup.toFixed(2)}×`,
  );
}
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results", "neuron-pruning-bench.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ note: `shared busy 2-core machine; Node ${process.version}`, parameters: { dense: count(dense), pruned: count(small) }, rows }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
