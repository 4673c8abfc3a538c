import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { cpus } from "node:os";
import { type DecodedMcz, decodeMcz, expandMczEntry } from "@mc/io";
import { createLenet5, createLenet300100, loadMnist, loadParameters, type Module } from "@mc/nn";
import { toOnnx, writeOnnx } from "@mc/onnx";
import { numberOption, parseCommandArgs } from "../args";
import { CliError } from "../cli-error";
import { compileMcz } from "../compressed-model";
import { formatTable } from "../table";
import { explainFailure, requireInputFile, toJson } from "./command-files";

const defaultPath = "out/lenet-300-100.mcz";

const help = `mc bench — latency of a .mcz model through @mc/kernels vs the fp32 model in onnxruntime

Usage: mc bench [model.mcz] [--batch 1,64] [--runs N] [--json]

The .mcz (default ${defaultPath}, written by 'pnpm demo') runs through the kernels' sparse +
codebook path straight from its stored encoding. Beside it, the same weights expanded to fp32 are
exported to ONNX and run in onnxruntime-web (wasm, 1 thread) and onnxruntime-node (1 thread).
Inputs are real MNIST test digits. Outputs are compared first (max abs difference), then each
runtime is warmed up and timed; the table shows medians in µs and the ratios.

  --batch   comma-separated batch sizes (default 1,64)
  --runs    timed runs per runtime and batch size (default 200)
  --json    print the results as JSON`;

const creators: Record<string, (seed: number) => Module> = {
  "lenet-300-100": (seed) => createLenet300100({ seed }),
  lenet5: (seed) => createLenet5({ seed }),
};

interface Runtime {
  name: string;
  run(input: Float32Array, batch: number): Promise<Float32Array>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/** The fp32 model the .mcz stands for, as ONNX bytes: every tensor expanded and loaded into @mc/nn. */
export function fp32OnnxOf(model: DecodedMcz, architectureName: string, input: number[]): Uint8Array {
  const create = creators[architectureName];
  if (!create) throw new CliError(`mc bench: no fp32 model builder for architecture '${architectureName}'`);
  const network = create(0);
  loadParameters(network, Object.fromEntries(model.entries.map((e) => [e.name, expandMczEntry(e)])));
  network.eval();
  return writeOnnx(toOnnx(network, { inputShape: input })).bytes;
}

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs("bench", argv, {
    batch: { type: "string", default: "1,64" },
    runs: { type: "string", default: "200" },
    json: { type: "boolean", default: false },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  if (positionals.length > 1) throw new CliError("mc bench: give at most one .mcz file (see 'mc bench --help')");
  const path = positionals[0] ?? defaultPath;
  if (positionals[0] === undefined && !existsSync(path)) {
    throw new CliError(`mc bench: no ${defaultPath} here; run 'pnpm demo' first to write it, or pass a .mcz file`);
  }
  requireInputFile("bench", path, "a .mcz file");
  const runs = numberOption("bench", "runs", values.runs, { min: 1, max: 100_000, integer: true }) ?? 200;
  const batches = String(values.batch)
    .split(",")
    .map((b) => numberOption("bench", "batch", b.trim(), { min: 1, max: 4096, integer: true }) as number);

  const decoded = await explainFailure("bench", path, async () => decodeMcz(new Uint8Array(await readFile(path))));
  const compressed = compileMcz(decoded);
  const { architecture } = compressed;
  const onnxBytes = await explainFailure("bench", path, async () =>
    fp32OnnxOf(decoded, architecture.name, architecture.input),
  );

  const ortNode = await import("onnxruntime-node");
  const ortWeb = await import("onnxruntime-web");
  ortWeb.env.wasm.numThreads = 1;
  const nodeSession = await ortNode.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const webSession = await ortWeb.InferenceSession.create(onnxBytes, { executionProviders: ["wasm"] });
  const sample = architecture.input.reduce((a, b) => a * b, 1);
  const ortRunner =
    (ort: typeof ortNode, session: import("onnxruntime-node").InferenceSession) =>
    async (input: Float32Array, batch: number) => {
      const feeds = {
        [session.inputNames[0] as string]: new ort.Tensor("float32", input, [batch, ...architecture.input]),
      };
      const out = await session.run(feeds);
      return out[session.outputNames[0] as string]?.data as Float32Array;
    };
  const runtimes: Runtime[] = [
    { name: "@mc/kernels (.mcz)", run: async (input, batch) => compressed.forward(input, batch) },
    {
      name: "onnxruntime-web fp32",
      run: ortRunner(
        ortWeb as unknown as typeof ortNode,
        webSession as unknown as import("onnxruntime-node").InferenceSession,
      ),
    },
    { name: "onnxruntime-node fp32", run: ortRunner(ortNode, nodeSession) },
  ];

  const largest = Math.max(...batches);
  const digits = loadMnist({ seed: 0 }).test;
  if (digits.count * sample !== digits.images.length)
    throw new CliError(
      `mc bench: the model takes ${sample} values per sample, MNIST digits have ${digits.images.length / digits.count}`,
    );
  const inputs = new Float32Array(largest * sample);
  for (let i = 0; i < largest; i++)
    inputs.set(digits.images.subarray((i % digits.count) * sample, ((i % digits.count) + 1) * sample), i * sample);

  // Agreement first: the same digits through every runtime.
  const reference = await runtimes[0]!.run(inputs, largest);
  const agreement: Record<string, number> = {};
  for (const runtime of runtimes.slice(1))
    agreement[runtime.name] = maxAbsDifference(reference, await runtime.run(inputs, largest));
  // Same weights, fp32 everywhere: only the summation order differs, so more than rounding is a bug.
  const scale = reference.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
  for (const [name, difference] of Object.entries(agreement)) {
    if (!(difference <= 1e-4 * (1 + scale))) {
      throw new CliError(
        `mc bench: ${name} disagrees with the .mcz through @mc/kernels (max |Δ| ${difference} on logits up to ${scale}); not timing`,
      );
    }
  }

  const results: Array<{ batch: number; runtime: string; medianMicroseconds: number }> = [];
  for (const batch of batches) {
    const input = inputs.subarray(0, batch * sample).slice();
    for (const runtime of runtimes) {
      for (let i = 0; i < Math.min(20, Math.max(3, runs)); i++) await runtime.run(input, batch);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        await runtime.run(input, batch);
        times.push((performance.now() - start) * 1000);
      }
      results.push({ batch, runtime: runtime.name, medianMicroseconds: median(times) });
    }
  }
  await nodeSession.release();
  await webSession.release();

  const medianOf = (batch: number, runtime: Runtime) =>
    results.find((r) => r.batch === batch && r.runtime === runtime.name)!.medianMicroseconds;
  const rows = batches.map((batch) => {
    const [kernels, web, node] = runtimes.map((r) => medianOf(batch, r)) as [number, number, number];
    return { batch, kernels, web, node, speedupVsWeb: web / kernels, speedupVsNode: node / kernels };
  });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
  if (values.json) {
    process.stdout.write(
      `${toJson({ path, architecture: architecture.name, runs, machine, maxAbsDifference: agreement, rows })}\n`,
    );
    return;
  }
  process.stdout.write(
    `${path} (${architecture.name}); ${runs} timed runs after warm-up, medians in µs; ${machine}\n` +
      `outputs agree (batch ${largest}, max |Δ| vs the .mcz through the kernels): ${Object.entries(agreement)
        .map(([name, d]) => `${name} ${d.toExponential(2)}`)
        .join(", ")}\n\n` +
      `${formatTable(
        ["batch", "@mc/kernels .mcz", "ort-web fp32", "ort-node fp32", "vs ort-web", "vs ort-node"],
        rows.map((r) => [
          String(r.batch),
          r.kernels.toFixed(1),
          r.web.toFixed(1),
          r.node.toFixed(1),
          `${r.speedupVsWeb.toFixed(2)}×`,
          `${r.speedupVsNode.toFixed(2)}×`,
        ]),
      )}\n\n` +
      "ratios > 1 mean the .mcz through @mc/kernels is faster\n",
  );
}
