// pnpm --filter @mc/kernels bench — ours (js, wasm 1 thread, wasm 2 threads) vs onnxruntime-web
// (wasm backend, 1 and 2 threads, one child process each) and onnxruntime-node (1 and 2
// intra-op threads), same shapes, same operands, same run. Writes results/bench.json and
// results/bench.md. Times are the best of repeated calls (the machine is shared).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ortNode from "onnxruntime-node";
import {
  gemm,
  getKernelInfo,
  linearDynamicInt8,
  matmulInteger,
  matmulNBits,
  packLinearInt8,
  setKernelTier,
  setNumThreads,
} from "../dist/index.js";
import { type BenchCase, benchCases, inputsFor, timeIt, weightsFor } from "./cases";
import { INPUT_TYPE, peerModel } from "./ort-peers";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const only = process.argv
  .slice(2)
  .find((a) => a.startsWith("--only="))
  ?.slice(7);
const cases = benchCases().filter((c) => only === undefined || c.id.includes(only));
const loadAverageAtStart = loadavg();

function ours(c: BenchCase): () => unknown {
  const { weight, scales } = weightsFor(c);
  const x = inputsFor(c);
  const { m, k, n } = c;
  if (c.op === "matmulNBits_4bit") {
    return () =>
      matmulNBits(x as Float32Array, { m, k, n, weight: weight as Uint8Array, scales: scales!, blockSize: 32 });
  }
  if (c.op === "matmul_f32") return () => gemm(x as Float32Array, weight as Float32Array, { m, k, n });
  return () => matmulInteger(x as Uint8Array | Int8Array, weight as Int8Array, { m, k, n });
}

type Column = "js" | "wasm1" | "wasm2" | "ortWeb1" | "ortWeb2" | "ortNode1" | "ortNode2";
const seconds: Record<string, Partial<Record<Column, number | null>>> = {};
for (const c of cases) seconds[c.id] = {};

process.stderr.write(`kernels: ${JSON.stringify(getKernelInfo().kernels)}\n`);

/** Our wasm tier (1 and 2 threads) and onnxruntime-node; run before and after the ort-web phase, best kept. */
async function measureInProcess(c: BenchCase, withJs: boolean): Promise<void> {
  const fn = ours(c);
  const macs = c.m * c.k * c.n;
  const s = seconds[c.id]!;
  const keep = (col: Column, v: number) => {
    const old = s[col];
    s[col] = old === undefined || old === null ? v : Math.min(old, v);
  };
  setNumThreads(1);
  if (withJs) {
    setKernelTier("js");
    // The plain-JS tier gets one timed call on the largest shapes (it runs for seconds).
    keep("js", await timeIt(fn, c, macs > 1e8 ? 0 : 0.3, 1));
  }
  setKernelTier("auto");
  keep("wasm1", await timeIt(fn, c));
  setNumThreads(2);
  keep("wasm2", await timeIt(fn, c));
  setNumThreads(1);
  for (const threads of [1, 2] as const) {
    const w = weightsFor(c);
    const session = await ortNode.InferenceSession.create(peerModel(c.op, c.m, c.k, c.n, w.weight, w.scales), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    const input = new ortNode.Tensor(INPUT_TYPE[c.op], inputsFor(c), [c.m, c.k]);
    keep(threads === 1 ? "ortNode1" : "ortNode2", await timeIt(() => session.run({ A: input }), c));
    await session.release();
  }
  process.stderr.write(`${c.id}: ${JSON.stringify(s)}\n`);
}
for (const c of cases) await measureInProcess(c, true);

// onnxruntime-web in child processes (its thread count is fixed once initialized).
const casesFile = join(root, "results", ".bench-cases.json");
mkdirSync(join(root, "results"), { recursive: true });
writeFileSync(casesFile, JSON.stringify(cases));
const tsxCli = createRequire(import.meta.url).resolve("tsx/cli");
for (const threads of [1, 2] as const) {
  const child = spawnSync(process.execPath, [tsxCli, join(here, "ort-web-peer.ts"), String(threads), casesFile], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) process.stderr.write(`ort-web (${threads} threads) failed: ${child.stderr}\n`);
  const lines = child.stdout.trim().split("\n");
  const parsed = JSON.parse(lines[lines.length - 1] || "{}") as Record<string, number | null>;
  for (const c of cases) seconds[c.id]![threads === 1 ? "ortWeb1" : "ortWeb2"] = parsed[c.id] ?? null;
}

// Second pass of the in-process columns, so load changes during the ort-web phase hit both sides.
for (const c of cases) await measureInProcess(c, false);

// Batch-1 dynamic-quantized linear 784→300 (quantize activations + GEMV + dequantize + bias).
const rng = (i: number) => Math.sin(i * 12.9898) * 0.5;
const linearWeight = Int8Array.from({ length: 300 * 784 }, (_, i) => Math.round(rng(i) * 254));
const packed = packLinearInt8(linearWeight, {
  outFeatures: 300,
  inFeatures: 784,
  scales: 0.01,
  bias: new Float32Array(300),
});
const x = Float32Array.from({ length: 784 }, (_, i) => rng(i + 7));
const linearCase = { id: "linearDynamicInt8 1x784x300", op: "matmulInteger_u8s8", m: 1, k: 784, n: 300 } as const;
setKernelTier("js");
const linearJs = await timeIt(() => linearDynamicInt8(x, 1, packed), linearCase, 0.3);
setKernelTier("auto");
const linearWasm = await timeIt(() => linearDynamicInt8(x, 1, packed), linearCase, 0.5);

const gops = (c: BenchCase, s: number | null | undefined) => (s ? (2 * c.m * c.k * c.n) / s / 1e9 : null);
const rows = cases.map((c) => {
  const s = seconds[c.id]!;
  const g = Object.fromEntries(Object.entries(s).map(([col, v]) => [col, gops(c, v)])) as Record<Column, number | null>;
  return {
    case: c.id,
    gops: g,
    ratioWasm1ToOrtWeb1: g.wasm1 && g.ortWeb1 ? g.wasm1 / g.ortWeb1 : null,
    ratioWasm2ToOrtWeb2: g.wasm2 && g.ortWeb2 ? g.wasm2 / g.ortWeb2 : null,
    ratioWasm2ToWasm1: g.wasm2 && g.wasm1 ? g.wasm2 / g.wasm1 : null,
  };
});
const result = {
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model ?? "unknown"} × ${cpus().length}, Node ${process.version}`,
  loadAverageAtStart,
  loadAverageAtEnd: loadavg(),
  note: "Shared 2-core machine: compare runs by their load averages (1 ≈ this bench alone). Best-of-N wall time per call, in-process columns measured before and after the onnxruntime-web phase. GOP = 2·m·k·n operations.",
  ours: "per call, operands copied into wasm memory and (int8/fp32) A and B packed every call, the 4-bit weight copied in row chunks; peers hold B as a prepacked initializer",
  rows,
  linearDynamicInt8_784x300_batch1_microseconds: { js: linearJs * 1e6, wasm1: linearWasm * 1e6 },
};
writeFileSync(join(root, "results", "bench.json"), `${JSON.stringify(result, null, 2)}\n`);

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? "—" : v.toFixed(d));
const lines = [
  `| case (m×k×n) | ours js | ours wasm 1T | ours wasm 2T | ort-web 1T | ort-web 2T | ort-node 1T | ort-node 2T | wasm1/ort-web1 | wasm2/ort-web2 | 2T/1T |`,
  `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ...rows.map(
    (r) =>
      `| ${r.case} | ${f(r.gops.js, 2)} | ${f(r.gops.wasm1)} | ${f(r.gops.wasm2)} | ${f(r.gops.ortWeb1)} | ${f(r.gops.ortWeb2)} | ${f(r.gops.ortNode1)} | ${f(r.gops.ortNode2)} | ${f(r.ratioWasm1ToOrtWeb1, 2)}× | ${f(r.ratioWasm2ToOrtWeb2, 2)}× | ${f(r.ratioWasm2ToWasm1, 2)}× |`,
  ),
  "",
  `linearDynamicInt8 784→300, batch 1: js ${f(linearJs * 1e6)} µs, wasm ${f(linearWasm * 1e6)} µs per call`,
  "",
  `${result.date} · ${result.machine} · load average at start ${loadAverageAtStart[0]!.toFixed(1)}, at end ${loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ")} · GOP/s (2·m·k·n per second), best of repeated calls`,
];
writeFileSync(join(root, "results", "bench.md"), `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
