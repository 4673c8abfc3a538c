#!/usr/bin/env node
import { CliError } from "./cli-error";

const usage = `mc — model compression for TypeScript

Usage: mc <command> [options]

Commands:
  demo       Deep Compression of LeNet-300-100 (or LeNet-5) on MNIST, with every other technique beside it
  compress   post-training compression of a .safetensors model into a .mcz file
  quantize   quantize an ONNX model (weight-only, dynamic, static, nbits)
  inspect    layers, dtypes, shapes, bytes and sparsity of a .mcz, .onnx or .safetensors file
  eval       accuracy of a .mcz model on the MNIST test split (or your IDX files)
  bench      latency of the demo's .mcz vs the fp32 model in onnxruntime-web and onnxruntime-node

Run 'mc <command> --help' for a command's options. Add --verbose to see stack traces.`;

type CommandModule = { run(argv: string[]): Promise<void> };

const commands: Record<string, () => Promise<CommandModule>> = {
  demo: () => import("./commands/demo"),
  compress: () => import("./commands/compress"),
  quantize: () => import("./commands/quantize"),
  inspect: () => import("./commands/inspect"),
  eval: () => import("./commands/eval"),
  bench: () => import("./commands/bench"),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? 1 : 0;
  }
  const load = commands[name];
  if (!load) throw new CliError(`mc: unknown command '${name}'; run 'mc --help' for the list`);
  await (await load()).run(rest);
  return 0;
}

const verbose = process.argv.includes("--verbose");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${error instanceof CliError ? "" : "mc: "}${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else if (!(error instanceof CliError)) process.stderr.write("(run again with --verbose for the stack trace)\n");
    process.exitCode = 1;
  },
);
