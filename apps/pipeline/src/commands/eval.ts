import { existsSync } from "node:fs";
import { readMcz } from "@mc/io";
import { type Dataset, loadIdx, loadMnist } from "@mc/nn";
import { numberOption, parseCommandArgs } from "../args";
import { CliError } from "../cli-error";
import { compileMcz, evaluateCompressed } from "../compressed-model";

const help = `mc eval — accuracy of a .mcz model, run from the file through the sparse + codebook kernels

Usage: mc eval <model.mcz> [--seed N] [--images FILE --labels FILE]

  --seed     seed of the 8,000/2,000 MNIST split to take the test digits from (default 0, as mc demo)
  --images   an IDX image file (e.g. t10k-images-idx3-ubyte) to evaluate on instead
  --labels   the matching IDX label file
  --json     print the result as JSON`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs("eval", argv, {
    seed: { type: "string", default: "0" },
    images: { type: "string" },
    labels: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  const [path, ...extra] = positionals;
  if (!path || extra.length > 0) throw new CliError("mc eval: give exactly one .mcz file (see 'mc eval --help')");
  if (!existsSync(path)) throw new CliError(`mc eval: no such file '${path}'`);
  const seed = numberOption("eval", "seed", values.seed, { min: 0, max: 2 ** 31, integer: true }) ?? 0;
  let data: Dataset;
  let source: string;
  if (values.images !== undefined || values.labels !== undefined) {
    if (typeof values.images !== "string" || typeof values.labels !== "string") {
      throw new CliError("mc eval: --images and --labels go together (IDX image and label files)");
    }
    for (const file of [values.images, values.labels])
      if (!existsSync(file)) throw new CliError(`mc eval: no such file '${file}'`);
    data = loadIdx(values.images, values.labels);
    source = `${values.images} + ${values.labels}`;
  } else {
    data = loadMnist({ seed }).test;
    source = `MNIST test split (2,000 digits, seed ${seed})`;
  }
  const model = compileMcz(await readMcz(path));
  const result = evaluateCompressed(model, data);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ path, architecture: model.architecture.name, source, ...result })}\n`);
  } else {
    process.stdout.write(
      `${path} (${model.architecture.name}) on ${source}: accuracy ${(result.accuracy * 100).toFixed(2)}% (${result.correct}/${result.count})\n`,
    );
  }
}
