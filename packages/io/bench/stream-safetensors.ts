/**
 * Streams a ≥ 1 GiB safetensors file, generated on the fly, through a per-tensor transform
 * (fp32 → fp16) and reports peak RSS next to the file size. Each phase runs in its own child
 * process so its peak RSS is its own. The peer is the in-memory path (read the whole file,
 * convert, encode, write), run on the same file in the same run.
 *
 *   pnpm bench            (or: pnpm exec tsx bench/stream-safetensors.ts [sizeGiB])
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@mc/core";
import {
  createSafetensorsWriter,
  encodeSafetensors,
  openSafetensors,
  readSafetensorsFile,
  type SafetensorsInputTensor,
  transformSafetensors,
} from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const tensorShape = [2048, 2048]; // 16 MiB of fp32 per tensor

interface PhaseResult {
  phase: string;
  seconds: number;
  peakRssBytes: number;
  detail: Record<string, number | string>;
}

function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function runPhase(phase: string, input: string, output: string, tensorCount: number): Promise<PhaseResult> {
  const start = performance.now();
  const detail: Record<string, number | string> = {};
  if (phase === "baseline") {
    detail.note = "node + tsx + @mc/io loaded, no work";
  } else if (phase === "generate") {
    const rng = createRng(1);
    const base = new Float32Array(tensorShape[0]! * tensorShape[1]!);
    for (let i = 0; i < base.length; i++) base[i] = rng.normal() * 0.05;
    const specs = Array.from({ length: tensorCount }, (_, t) => ({
      name: `layers.${t}.weight`,
      dtype: "F32" as const,
      shape: tensorShape,
    }));
    const writer = await createSafetensorsWriter(input, specs, { metadata: { generator: "mc-io bench" } });
    const data = new Float32Array(base.length);
    for (let t = 0; t < tensorCount; t++) {
      for (let i = 0; i < data.length; i++) data[i] = (base[i] as number) + t * 1e-3;
      await writer.write(`layers.${t}.weight`, { shape: tensorShape, data });
    }
    detail.bytes = (await writer.close()).byteLength;
  } else if (phase === "lazy-read") {
    const file = await openSafetensors(input);
    let checksum = 0;
    for await (const { tensor } of file) checksum += (tensor.data as Float32Array)[0] as number;
    await file.close();
    detail.checksum = checksum;
  } else if (phase === "stream-transform") {
    const result = await transformSafetensors(input, output, (tensor) => ({
      dtype: "F16",
      shape: tensor.shape,
      data: tensor.data as Float32Array,
    }));
    detail.outputBytes = result.byteLength;
  } else if (phase === "in-memory-transform") {
    const { tensors, metadata } = await readSafetensorsFile(input);
    const converted = new Map<string, SafetensorsInputTensor>();
    for (const [name, tensor] of tensors)
      converted.set(name, { dtype: "F16", shape: tensor.shape, data: tensor.data as Float32Array });
    const bytes = encodeSafetensors(converted, { metadata });
    await writeFile(output, bytes);
    detail.outputBytes = bytes.length;
  }
  return { phase, seconds: (performance.now() - start) / 1000, peakRssBytes: peakRssBytes(), detail };
}

async function main(): Promise<void> {
  const [, , arg1, input, output, count] = process.argv;
  if (arg1 === "--phase") {
    // Child process: run one phase and print its result as JSON on the last line.
    const phase = process.argv[3] as string;
    const result = await runPhase(phase, process.argv[4] as string, process.argv[5] as string, Number(process.argv[6]));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  void input;
  void output;
  void count;
  const sizeGiB = Number(arg1 ?? 1);
  const tensorCount = Math.ceil((sizeGiB * 2 ** 30) / (tensorShape[0]! * tensorShape[1]! * 4));
  const folder = await mkdtemp(join(tmpdir(), "mc-io-bench-"));
  const inputPath = join(folder, "model.safetensors");
  const results: PhaseResult[] = [];
  try {
    const phases: Array<[string, string]> = [
      ["baseline", ""],
      ["generate", ""],
      ["lazy-read", ""],
      ["stream-transform", join(folder, "stream-f16.safetensors")],
      ["in-memory-transform", join(folder, "memory-f16.safetensors")],
    ];
    for (const [phase, outputPath] of phases) {
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          "--phase",
          phase,
          inputPath,
          outputPath,
          String(tensorCount),
        ],
        {
          encoding: "utf8",
          maxBuffer: 1 << 20,
        },
      );
      if (child.status !== 0) throw new Error(`phase ${phase} failed: ${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as PhaseResult;
      results.push(result);
      if (outputPath) await rm(outputPath, { force: true });
    }
    const fileBytes = (await stat(inputPath)).size;
    const mib = (n: number) => (n / 2 ** 20).toFixed(0);
    console.log(
      `\nsafetensors streaming, ${tensorCount} fp32 tensors of [${tensorShape.join(", ")}], file ${mib(fileBytes)} MiB`,
    );
    const baseline = results[0]!.peakRssBytes;
    console.log("| phase | seconds | MiB/s | peak RSS (MiB) | above baseline (MiB) | peak RSS / file |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (const r of results) {
      const rate = r.phase === "baseline" ? "–" : (fileBytes / 2 ** 20 / r.seconds).toFixed(0);
      console.log(
        `| ${r.phase} | ${r.seconds.toFixed(2)} | ${rate} | ${mib(r.peakRssBytes)} | ${mib(r.peakRssBytes - baseline)} | ${(r.peakRssBytes / fileBytes).toFixed(3)} |`,
      );
    }
    const stream = results.find((r) => r.phase === "stream-transform")!;
    const memory = results.find((r) => r.phase === "in-memory-transform")!;
    console.log(
      `\nstreaming uses ${(memory.peakRssBytes / stream.peakRssBytes).toFixed(1)}× less peak memory than the in-memory path (same run); largest tensor ${mib(tensorShape[0]! * tensorShape[1]! * 4)} MiB`,
    );
    mkdirSync(join(here, "..", "results"), { recursive: true });
    await writeFile(
      join(here, "..", "results", "bench-stream-safetensors.json"),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, fileBytes, tensorCount, tensorShape, largestTensorBytes: tensorShape[0]! * tensorShape[1]! * 4, results, machine: "shared, busy 2-core machine" }, null, 2)}\n`,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
