import { statSync } from "node:fs";
import { loadMnist } from "@mc/nn";
import {
  type ActivationRanges,
  calibrateOnnx,
  type OnnxModel,
  type OnnxRunner,
  quantizeOnnx,
  readOnnxFile,
  writeOnnxFile,
} from "@mc/onnx";
import { numberOption, parseCommandArgs } from "../args";
import { CliError } from "../cli-error";
import { formatTable } from "../table";
import {
  checkOutputPath,
  explainFailure,
  formatBytes,
  formatDb,
  requireExtension,
  requireInputFile,
  toJson,
} from "./command-files";

const modes = ["weight-only", "dynamic", "static", "nbits"] as const;
type Mode = (typeof modes)[number];
const weightTypes = ["int8", "uint8", "int4"] as const;

const help = `mc quantize — quantize an ONNX model (@mc/onnx's quantizeOnnx), the file stays an ONNX model

Usage: mc quantize <in.onnx> -o <out.onnx> --mode weight-only|dynamic|static|nbits [options]

  -o, --output       the .onnx file to write
  --mode             weight-only: int8 weights + DequantizeLinear (default)
                     dynamic:     DynamicQuantizeLinear → MatMulInteger (uint8 weights)
                     static:      QDQ activations from calibration + weight DQ (needs --calibration)
                     nbits:       4-bit MatMulNBits (com.microsoft) blocks of --block-size
  --weight-type      int8, uint8 or int4 (weight-only; int4 needs opset ≥ 21)
  --per-tensor       one scale per tensor instead of per output channel
  --block-size       block of 4-bit weights, nbits and int4 (default 32)
  --calibration      static mode's calibration data: 'mnist' (512 real MNIST training digits,
                     batches of 64; only for models taking 784 values per sample)
  --force            replace an existing output file
  --json             print the report as JSON`;

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs("quantize", argv, {
    output: { type: "string", short: "o" },
    mode: { type: "string", default: "weight-only" },
    "weight-type": { type: "string" },
    "per-tensor": { type: "boolean", default: false },
    "block-size": { type: "string", default: "32" },
    calibration: { type: "string" },
    force: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  });
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  if (positionals.length > 1)
    throw new CliError("mc quantize: give exactly one .onnx input (see 'mc quantize --help')");
  const input = requireInputFile("quantize", positionals[0], "the .onnx model to quantize");
  requireExtension("quantize", input, [".onnx"], "an .onnx file");
  const mode = String(values.mode) as Mode;
  if (!modes.includes(mode))
    throw new CliError(`mc quantize: --mode must be one of ${modes.join(", ")}, got '${mode}'`);
  const weightType = values["weight-type"] as (typeof weightTypes)[number] | undefined;
  if (weightType !== undefined && !weightTypes.includes(weightType)) {
    throw new CliError(`mc quantize: --weight-type must be one of ${weightTypes.join(", ")}, got '${weightType}'`);
  }
  const blockSize =
    numberOption("quantize", "block-size", values["block-size"], { min: 16, max: 256, integer: true }) ?? 32;
  if ((blockSize & (blockSize - 1)) !== 0)
    throw new CliError(`mc quantize: --block-size must be 16, 32, 64, 128 or 256, got ${blockSize}`);
  const calibration = values.calibration as string | undefined;
  if (calibration !== undefined && calibration !== "mnist") {
    throw new CliError(`mc quantize: --calibration supports 'mnist' only, got '${calibration}'`);
  }
  if (mode === "static" && calibration === undefined) {
    throw new CliError("mc quantize: --mode static needs calibration data: add --calibration mnist");
  }
  const output = checkOutputPath("quantize", values.output as string | undefined, input, Boolean(values.force));
  requireExtension("quantize", output, [".onnx"], "an .onnx path");

  const model = await explainFailure("quantize", input, () => readOnnxFile(input));
  const warnings: string[] = [];
  let activationRanges: ActivationRanges | undefined;
  if (mode === "static") activationRanges = await explainFailure("quantize", input, () => calibrateMnist(model));
  const { model: quantized, report } = await explainFailure("quantize", input, async () =>
    quantizeOnnx(model, {
      mode,
      perChannel: !values["per-tensor"],
      blockSize,
      ...(weightType ? { weightType } : {}),
      ...(activationRanges ? { activationRanges } : {}),
      onWarning: (message) => warnings.push(message),
    }),
  );
  await explainFailure("quantize", output, () => writeOnnxFile(output, quantized));
  const inputBytes = statSync(input).size;
  const outputBytes = statSync(output).size;

  if (values.json) {
    process.stdout.write(`${toJson({ input, output, inputBytes, outputBytes, warnings, ...report })}\n`);
    return;
  }
  const rows = report.tensors.map((t) => [
    t.name,
    `[${t.shape.join(", ")}]`,
    t.consumers.join(", "),
    t.format,
    String(t.bytesBefore),
    String(t.bytesAfter),
    t.reason ? `– (${t.reason})` : formatDb(t.sqnrDb),
  ]);
  process.stdout.write(
    `${formatTable(["initializer", "shape", "used by", "format", "bytes before", "bytes after", "SQNR dB"], rows)}\n\n` +
      `mode ${report.mode} (opset ${report.opset}): weights ${formatBytes(report.weightBytesBefore)} → ${formatBytes(report.weightBytesAfter)} ` +
      `(${(report.weightBytesBefore / Math.max(1, report.weightBytesAfter)).toFixed(2)}×)` +
      `${report.quantizedActivations > 0 ? `, ${report.quantizedActivations} activations quantized` : ""}\n` +
      `${input}: ${formatBytes(inputBytes)} → ${output}: ${formatBytes(outputBytes)} (${(inputBytes / outputBytes).toFixed(2)}×)\n` +
      warnings.map((w) => `warning: ${w}\n`).join(""),
  );
}

/** Activation ranges from 8 batches of 64 real MNIST training digits, run in onnxruntime-node. */
async function calibrateMnist(model: OnnxModel): Promise<ActivationRanges> {
  const graph = model.graph;
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputInfo = (graph?.input ?? []).find((i) => !initializers.has(i.name));
  const dims = (inputInfo?.type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue === undefined ? undefined : Number(d.dimValue),
  );
  const sample = dims.slice(1);
  const perSample = sample.every((d) => d !== undefined && d > 0)
    ? (sample as number[]).reduce((a, b) => a * b, 1)
    : Number.NaN;
  if (!inputInfo?.name || perSample !== 784) {
    throw new CliError(
      `mc quantize: --calibration mnist needs a model whose input takes 784 values per sample (e.g. [batch, 1, 28, 28]); '${inputInfo?.name ?? "?"}' has shape [${dims.map((d) => d ?? "?").join(", ")}]`,
    );
  }
  const ort = await import("onnxruntime-node");
  const { train } = loadMnist({ seed: 0 });
  const batchSize = 64;
  const batches: Record<string, unknown>[] = [];
  for (let b = 0; b < 8; b++) {
    batches.push({
      [inputInfo.name]: {
        data: train.images.slice(b * batchSize * 784, (b + 1) * batchSize * 784),
        dims: [batchSize, ...(sample as number[])],
      },
    });
  }
  let session: import("onnxruntime-node").InferenceSession | undefined;
  let sessionBytes: Uint8Array | undefined;
  const runner: OnnxRunner = async (bytes, feeds, outputNames) => {
    if (session === undefined || sessionBytes !== bytes) {
      session = await ort.InferenceSession.create(bytes);
      sessionBytes = bytes;
    }
    const inputs: Record<string, import("onnxruntime-node").Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      const { data, dims } = feed as { data: Float32Array; dims: number[] };
      inputs[name] = new ort.Tensor("float32", data, dims);
    }
    const results = await session.run(inputs, outputNames);
    return Object.fromEntries(
      Object.entries(results).map(([name, t]) => [name, { data: t.data as Float32Array, dims: t.dims }]),
    );
  };
  return (await calibrateOnnx(model, { batches, run: runner })).ranges;
}
