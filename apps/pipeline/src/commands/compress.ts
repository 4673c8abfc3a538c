import { rename, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { architectures } from "../architecture";
import { numberOption, parseCommandArgs } from "../args";
import { CliError } from "../cli-error";
import { formatTable } from "../table";
import {
  checkOutputPath,
  explainFailure,
  formatBytes,
  formatDb,
  formatPercent,
  requireExtension,
  requireInputFile,
  toJson,
} from "./command-files";
import { compressSafetensors } from "./compress-model";

const help = `mc compress — post-training Deep Compression of a .safetensors model into a .mcz file

Usage: mc compress <in.safetensors> -o <out.mcz> [--sparsity 0.9] [--bits 5] [--index-bits 5]
                   [--no-huffman] [--force]

Every float tensor of rank ≥ 2 with at least --min-elements values is magnitude-pruned to
--sparsity, weight-shared with 2^bits − 1 k-means clusters (linear init, pruned zeros kept out)
and stored as Huffman-coded relative indices + cluster indices + a codebook (with --no-huffman:
bit-packed at --index-bits and --bits bits each); other tensors stay dense fp32. No retraining:
expect a larger accuracy drop than 'mc demo' at the same sparsity. The input is read one tensor
at a time.

  -o, --output      the .mcz file to write
  --sparsity        fraction of each compressed tensor's weights set to zero (default 0.9)
  --bits            cluster-index bits: 2^bits − 1 shared values plus the zero (default 5)
  --index-bits      bits per relative index; longer runs of zeros get filler entries (default 5)
  --min-elements    smallest tensor to compress (default 1024)
  --architecture    record an architecture (${Object.keys(architectures).join(", ")}) so mc eval/bench can run the file
  --no-huffman      store the indices bit-packed at fixed width (Deep Compression's P+Q, no H):
                    no Huffman tables, usually a larger file; needs an .mcz 1.1 reader
  --force           replace an existing output file
  --json            print the per-layer report as JSON`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs("compress", argv, {
    output: { type: "string", short: "o" },
    sparsity: { type: "string", default: "0.9" },
    bits: { type: "string", default: "5" },
    "index-bits": { type: "string", default: "5" },
    "min-elements": { type: "string", default: "1024" },
    architecture: { type: "string" },
    "no-huffman": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  if (positionals.length > 1)
    throw new CliError("mc compress: give exactly one .safetensors input (see 'mc compress --help')");
  const input = requireInputFile("compress", positionals[0], "the .safetensors file to compress");
  requireExtension("compress", input, [".safetensors"], "a .safetensors file");
  const sparsity = numberOption("compress", "sparsity", values.sparsity, { min: 0, max: 0.999 }) ?? 0.9;
  const bits = numberOption("compress", "bits", values.bits, { min: 1, max: 8, integer: true }) ?? 5;
  const indexBits =
    numberOption("compress", "index-bits", values["index-bits"], { min: 1, max: 16, integer: true }) ?? 5;
  const minElements =
    numberOption("compress", "min-elements", values["min-elements"], { min: 1, max: 2 ** 31, integer: true }) ?? 1024;
  const architecture = values.architecture as string | undefined;
  if (architecture !== undefined && !architectures[architecture]) {
    throw new CliError(
      `mc compress: --architecture must be one of ${Object.keys(architectures).join(", ")}, got '${architecture}'`,
    );
  }
  const entropyCoding = values["no-huffman"] ? "none" : "huffman";
  const output = checkOutputPath("compress", values.output as string | undefined, input, Boolean(values.force));
  requireExtension("compress", output, [".mcz"], "a .mcz path");

  const quiet = Boolean(values.json) || !process.stderr.isTTY;
  const result = await explainFailure("compress", input, () =>
    compressSafetensors(input, {
      sparsity,
      bits,
      indexBits,
      minElements,
      entropyCoding,
      metadata: {
        producer: "mc compress",
        source: basename(input),
        sparsity: String(sparsity),
        bits: String(bits),
        ...(architecture ? { architecture } : {}),
      },
      onLayer: quiet
        ? undefined
        : (name, index, count) => process.stderr.write(`\r[${index + 1}/${count}] ${name}`.padEnd(60)),
    }),
  );
  if (!quiet) process.stderr.write("\n");
  // Atomic: a temporary file beside the target, renamed over it once complete.
  const temporary = `${output}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, result.bytes);
    await rename(temporary, output);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(`mc compress: cannot write '${output}': ${(error as Error).message}`);
  }

  const ratio = result.inputBytes / result.bytes.length;
  if (values.json) {
    process.stdout.write(
      `${toJson({ input, output, inputBytes: result.inputBytes, outputBytes: result.bytes.length, ratio, sparsity, bits, indexBits, entropyCoding, layers: result.layers })}\n`,
    );
    return;
  }
  const rows = result.layers.map((l) => [
    l.name,
    `[${l.shape.join(", ")}]`,
    l.encoding,
    formatPercent(l.sparsity),
    l.encoding === "sparse-shared" ? String(l.bits) : "fp32",
    l.weightBitsPacked === undefined
      ? "–"
      : l.weightBitsHuffman === undefined
        ? `${l.weightBitsPacked}+${l.indexBitsPacked}`
        : `${l.weightBitsPacked}+${l.indexBitsPacked} → ${l.weightBitsHuffman.toFixed(1)}+${l.indexBitsHuffman!.toFixed(1)}`,
    String(l.bytes),
    `${(l.inputBytes / Math.max(1, l.bytes)).toFixed(1)}×`,
    formatDb(l.sqnrDb),
  ]);
  process.stdout.write(
    `${formatTable(["layer", "shape", "encoding", "sparsity", "bits", entropyCoding === "none" ? "bits/entry P+Q (packed)" : "bits/entry P+Q → P+Q+H", "bytes", "ratio", "SQNR dB"], rows)}\n\n` +
      `${input}: ${formatBytes(result.inputBytes)} → ${output}: ${formatBytes(result.bytes.length)} (${ratio.toFixed(1)}×)\n`,
  );
}
