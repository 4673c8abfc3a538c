import { parseCommandArgs } from "../args";
import { CliError } from "../cli-error";
import { formatTable } from "../table";
import { explainFailure, formatBytes, formatPercent, requireInputFile, toJson } from "./command-files";
import { detectFormat, inspectMczFile, inspectOnnxFile, inspectSafetensors } from "./inspect-file";

const help = `mc inspect — layers, dtypes, shapes, bytes and sparsity of a model file

Usage: mc inspect <file.mcz|file.onnx|file.safetensors> [--json]

  .mcz          per tensor: encoding, shape, stored bytes, sparsity, bits (", packed" marks sparse
                layers stored without Huffman); then the size breakdown by section (values,
                codebook, relative indices, cluster indices, Huffman tables)
  .onnx         opsets, operators, parameter count, and every initializer / Constant with bytes
  .safetensors  per tensor: dtype, shape, bytes, sparsity (fraction of exact zeros); the file is
                read one tensor at a time
  --json        print everything as one JSON object

The format is recognised by its magic bytes (safetensors: its length-prefixed JSON header),
then by the file extension.`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs("inspect", argv, { json: { type: "boolean", default: false } });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  if (positionals.length > 1) throw new CliError("mc inspect: give exactly one file (see 'mc inspect --help')");
  const path = requireInputFile("inspect", positionals[0], "a .mcz, .onnx or .safetensors file");
  const format = await detectFormat(path);
  if (!format) {
    throw new CliError(`mc inspect: '${path}' is not a .mcz, .onnx or .safetensors file (unrecognised header bytes)`);
  }
  const json = Boolean(values.json);
  if (format === "safetensors") {
    const result = await explainFailure("inspect", path, () => inspectSafetensors(path));
    if (json) return print(toJson(result));
    print(
      `${path}: safetensors, ${result.layers.length} tensors, ${result.parameters} parameters, ${formatBytes(result.fileBytes)}\n\n` +
        formatTable(
          ["tensor", "dtype", "shape", "bytes", "sparsity"],
          result.layers.map((l) => [
            l.name,
            l.dtype,
            `[${l.shape.join(", ")}]`,
            String(l.bytes),
            formatPercent(l.sparsity),
          ]),
        ) +
        metadataLines(result.metadata),
    );
  } else if (format === "mcz") {
    const result = await explainFailure("inspect", path, () => inspectMczFile(path));
    if (json) {
      const { sizeBreakdownText: _, ...rest } = result;
      return print(toJson(rest));
    }
    print(
      `${path}: .mcz, ${result.layers.length} tensors, ${result.parameters} parameters, ${formatBytes(result.fileBytes)} ` +
        `(fp32 would be ${formatBytes(result.denseBytes)}: ${result.compressionRatio.toFixed(1)}×)\n\n` +
        formatTable(
          ["tensor", "encoding", "stored as", "shape", "bytes", "sparsity", "bits"],
          result.layers.map((l) => [
            l.name,
            l.encoding ?? "",
            l.dtype,
            `[${l.shape.join(", ")}]`,
            String(l.bytes),
            formatPercent(l.sparsity),
            String(l.bits),
          ]),
        ) +
        metadataLines(result.metadata) +
        `\n\nsize breakdown (Deep Compression Table 2 style):\n${result.sizeBreakdownText}`,
    );
  } else {
    const result = await explainFailure("inspect", path, () => inspectOnnxFile(path));
    if (json) return print(toJson(result));
    const opsets = result.opsets.map((o) => `${o.domain || "ai.onnx"} ${o.version}`).join(", ");
    print(
      `${path}: ONNX (IR ${result.irVersion}, opset ${opsets}${result.producer ? `, from ${result.producer}` : ""}), ` +
        `${result.nodeCount} nodes, ${result.parameterCount} float parameters, ${formatBytes(result.fileBytes)}\n` +
        `inputs: ${result.inputs.join(", ")}; outputs: ${result.outputs.join(", ")}\n\n` +
        formatTable(
          ["operator", "count"],
          result.operators.map((o) => [o.domain ? `${o.domain}.${o.opType}` : o.opType, String(o.count)]),
        ) +
        "\n\n" +
        formatTable(
          ["tensor", "kind", "dtype", "shape", "elements", "bytes"],
          result.tensors.map((t) => [
            t.graph === "main" ? t.name : `${t.graph}/${t.name}`,
            t.kind,
            t.dataType,
            `[${t.shape.join(", ")}]`,
            String(t.elementCount),
            String(t.bytes),
          ]),
        ),
    );
  }
}

function metadataLines(metadata: Record<string, string>): string {
  const entries = Object.entries(metadata);
  return entries.length === 0 ? "" : `\n\nmetadata: ${entries.map(([k, v]) => `${k}=${v}`).join(", ")}`;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
