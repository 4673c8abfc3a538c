import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createRng } from "@mc/core";
import { expandMczEntry, readMcz, writeSafetensors } from "@mc/io";
import { createLenet300100, Linear, loadMnist, ReLU, Sequential, saveParameters } from "@mc/nn";
import { toOnnx, writeOnnx } from "@mc/onnx";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = join(import.meta.dirname, "..", "dist", "cli.js");

async function mc(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 * 1024 * 1024, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A CLI failure: exit code 1, one line on stderr, no stack trace. */
function expectOneLineError(result: { code: number; stderr: string }, fragment: string) {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr.trim().split("\n"), result.stderr).toHaveLength(1);
  expect(result.stderr).not.toContain("    at ");
  expect(result.stderr).toContain(fragment);
}

function sqnrDb(original: Float32Array, approximation: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < original.length; i++) {
    signal += (original[i] as number) ** 2;
    noise += ((original[i] as number) - (approximation[i] as number)) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

const dir = mkdtempSync(join(tmpdir(), "mc-commands-"));
const safetensorsPath = join(dir, "small.safetensors");
const onnxPath = join(dir, "tiny.onnx");
const rng = createRng(7);
// Uniform weights: magnitude pruning to sparsity s keeps 1 − s³ of the energy (closed form).
const weight = new Float32Array(64 * 32).map(() => 2 * rng.uniform() - 1);
const bias = new Float32Array(64).map((_, i) => (i % 4 === 0 ? 0 : 2 * rng.uniform() - 1));
const small = new Float32Array(16 * 16).map(() => 2 * rng.uniform() - 1);
const tiny = new Sequential({
  fc1: new Linear(16, 32, { seed: 1 }),
  relu: new ReLU(),
  fc2: new Linear(32, 8, { seed: 2 }),
});

beforeAll(async () => {
  expect(existsSync(cli), `the CLI must be built first: ${cli}`).toBe(true);
  await writeSafetensors(safetensorsPath, {
    "layer.weight": { data: weight, shape: [64, 32] },
    "layer.bias": { data: bias, shape: [64] },
    "embed.small": { data: small, shape: [16, 16] },
    "half.weight": { data: weight, shape: [32, 64], dtype: "F16" },
  });
  writeFileSync(onnxPath, writeOnnx(toOnnx(tiny, { inputShape: [16] })).bytes);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mc inspect", () => {
  it("lists every safetensors tensor with dtype, shape, bytes and the fraction of exact zeros", async () => {
    const result = await mc(["inspect", safetensorsPath, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.format).toBe("safetensors");
    const byName = Object.fromEntries(report.layers.map((l: { name: string }) => [l.name, l]));
    expect(byName["layer.weight"]).toMatchObject({ dtype: "F32", shape: [64, 32], bytes: 64 * 32 * 4, sparsity: 0 });
    expect(byName["layer.bias"]).toMatchObject({ dtype: "F32", shape: [64], bytes: 256, sparsity: 16 / 64 });
    expect(byName["half.weight"]).toMatchObject({ dtype: "F16", shape: [32, 64], bytes: 64 * 32 * 2 });
    expect(report.parameters).toBe(2048 + 64 + 256 + 2048);
    expect(report.fileBytes).toBe(statSync(safetensorsPath).size);
    const text = await mc(["inspect", safetensorsPath]);
    expect(text.stdout).toMatch(/layer\.bias\s+F32\s+\[64\]\s+256\s+25\.0%/);
  });

  it("lists an ONNX model's operators, parameters and bytes per initializer", async () => {
    const result = await mc(["inspect", onnxPath, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.format).toBe("onnx");
    const ops = Object.fromEntries(report.operators.map((o: { opType: string; count: number }) => [o.opType, o.count]));
    expect(ops).toMatchObject({ Gemm: 2, Relu: 1 });
    expect(report.parameterCount).toBe(16 * 32 + 32 + 32 * 8 + 8);
    for (const t of report.tensors) expect(t.bytes, t.name).toBe(4 * t.elementCount);
    expect(report.opsets.find((o: { domain: string }) => o.domain === "")?.version).toBe(17);
    const text = await mc(["inspect", onnxPath]);
    expect(text.stdout).toContain("Gemm");
  });
});

describe("mc compress", () => {
  const out = join(dir, "small.mcz");
  let report: {
    outputBytes: number;
    layers: Array<{
      name: string;
      encoding: string;
      sparsity: number;
      bits: number;
      bytes: number;
      sqnrDb: number | null;
    }>;
  };

  beforeAll(async () => {
    const result = await mc(["compress", safetensorsPath, "-o", out, "--sparsity", "0.9", "--bits", "4", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(result.stdout);
  });

  it("writes a .mcz that decodes to the input's shapes, with exactly the asked sparsity on compressed tensors", async () => {
    const model = await readMcz(out);
    expect(statSync(out).size).toBe(report.outputBytes);
    const entries = Object.fromEntries(model.entries.map((e) => [e.name, e]));
    expect(Object.keys(entries).sort()).toEqual(["embed.small", "half.weight", "layer.bias", "layer.weight"]);
    const compressed = entries["layer.weight"]!;
    expect(compressed.encoding).toBe("sparse-shared");
    if (compressed.encoding !== "sparse-shared") return;
    expect(compressed.sparse.codebook.length).toBeLessThanOrEqual(16);
    const dense = expandMczEntry(compressed);
    expect(dense.shape).toEqual([64, 32]);
    const zeros = dense.data.filter((v) => v === 0).length;
    expect(zeros).toBe(Math.round(0.9 * 2048)); // roundHalfEven(1843.2)
    // Pruning keeps the largest magnitudes: every kept original is at least every pruned one.
    let smallestKept = Number.POSITIVE_INFINITY;
    let largestPruned = 0;
    for (let i = 0; i < 2048; i++) {
      const magnitude = Math.abs(weight[i] as number);
      if (dense.data[i] === 0) largestPruned = Math.max(largestPruned, magnitude);
      else smallestKept = Math.min(smallestKept, magnitude);
    }
    expect(smallestKept).toBeGreaterThanOrEqual(largestPruned);
    expect(entries["half.weight"]?.encoding).toBe("sparse-shared");
    // Below 1,024 elements or rank 1: stored dense fp32, bit-exact.
    for (const [name, original] of [
      ["embed.small", small],
      ["layer.bias", bias],
    ] as const) {
      const entry = entries[name]!;
      expect(entry.encoding, name).toBe("dense");
      expect(Array.from(expandMczEntry(entry).data), name).toEqual(Array.from(original));
    }
  });

  it("reports per-layer SQNR equal to the decoded file's, near the closed form for uniform weights", async () => {
    const model = await readMcz(out);
    const decoded = expandMczEntry(model.entries.find((e) => e.name === "layer.weight")!).data;
    const layer = report.layers.find((l) => l.name === "layer.weight")!;
    expect(layer.sqnrDb).toBeCloseTo(sqnrDb(weight, decoded), 6);
    // Uniform on [-1, 1] pruned to s = 0.9 keeps 1 − s³ of the energy: SQNR ≈ −10·log10(s³) = 1.37 dB;
    // 15 shared values over the kept range add little noise on top.
    expect(layer.sqnrDb!).toBeGreaterThan(-10 * Math.log10(0.9 ** 3) - 0.25);
    expect(layer.sqnrDb!).toBeLessThan(-10 * Math.log10(0.9 ** 3) + 0.25);
    expect(layer).toMatchObject({ encoding: "sparse-shared", bits: 4 });
    expect(layer.sparsity).toBeCloseTo(1843 / 2048, 12);
    expect(report.layers.find((l) => l.name === "layer.bias")?.sqnrDb).toBeNull(); // exact (Infinity)
  });

  it("inspect on the written .mcz shows the same sparsity and bits, and its bytes add up to the file", async () => {
    const result = await mc(["inspect", out, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const inspected = JSON.parse(result.stdout);
    expect(inspected.format).toBe("mcz");
    const layer = inspected.layers.find((l: { name: string }) => l.name === "layer.weight");
    expect(layer).toMatchObject({ encoding: "sparse-shared", shape: [64, 32], bits: 4 });
    expect(layer.sparsity).toBeCloseTo(1843 / 2048, 12);
    expect(layer.bytes).toBe(report.layers.find((l) => l.name === "layer.weight")?.bytes);
    const layerBytes = inspected.layers.reduce((sum: number, l: { bytes: number }) => sum + l.bytes, 0);
    expect(layerBytes + inspected.sizeBreakdown.containerBytes).toBe(statSync(out).size);
    const text = await mc(["inspect", out]);
    expect(text.stdout).toContain("size breakdown");
    expect(text.stdout).toContain("| layer.weight | sparse-shared |");
  });

  it("refuses to overwrite without --force, never writes over its input, and replaces with --force", async () => {
    const before = readFileSync(out);
    expectOneLineError(await mc(["compress", safetensorsPath, "-o", out]), "already exists; add --force");
    expect(readFileSync(out).equals(before)).toBe(true);
    expectOneLineError(await mc(["compress", safetensorsPath, "-o", safetensorsPath, "--force"]), "is the input file");
    const forced = await mc(["compress", safetensorsPath, "-o", out, "--force", "--sparsity", "0.5"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/layer\.weight\s+\[64, 32\]\s+sparse-shared\s+50\.0%/);
  });

  it("rejects bad option values and the wrong input format with one line each", async () => {
    const target = join(dir, "never.mcz");
    expectOneLineError(
      await mc(["compress", safetensorsPath, "-o", target, "--sparsity", "1.5"]),
      "--sparsity must be a number in [0, 0.999]",
    );
    expectOneLineError(
      await mc(["compress", safetensorsPath, "-o", target, "--bits", "3.5"]),
      "--bits must be an integer",
    );
    expectOneLineError(
      await mc(["compress", safetensorsPath, "-o", target, "--no-huffman", "--index-bits", "0"]),
      "--index-bits must be",
    );
    expectOneLineError(await mc(["compress", onnxPath, "-o", target]), "is not a .safetensors file");
    expectOneLineError(await mc(["compress", safetensorsPath]), "give the output file with -o");
    expectOneLineError(
      await mc(["compress", safetensorsPath, "-o", target, "--architecture", "resnet"]),
      "--architecture must be one of",
    );
    const fake = join(dir, "fake.safetensors");
    writeFileSync(fake, "not a safetensors file");
    expectOneLineError(await mc(["compress", fake, "-o", target]), "cannot process");
    expect(existsSync(target)).toBe(false);
  });
});

describe("mc compress --no-huffman", () => {
  // Normal weights: after magnitude pruning the kept tails crowd the inner clusters and the gaps
  // are geometric, so Huffman codes are shorter than the fixed widths (skewed symbol statistics).
  const skewedPath = join(dir, "skewed.safetensors");
  const normal = new Float32Array(128 * 96).map(() => rng.normal());
  const outputs = { huffman: join(dir, "skewed.huffman.mcz"), packed: join(dir, "skewed.packed.mcz") };
  type Report = {
    outputBytes: number;
    entropyCoding: string;
    layers: Array<{
      name: string;
      encoding: string;
      bytes: number;
      entropyCoding?: string;
      weightBitsPacked?: number;
      indexBitsPacked?: number;
      weightBitsHuffman?: number;
      indexBitsHuffman?: number;
    }>;
  };
  const reports: Partial<Record<"huffman" | "packed", Report>> = {};

  beforeAll(async () => {
    await writeSafetensors(skewedPath, {
      "fc.weight": { data: normal, shape: [128, 96] },
      "fc.bias": { data: normal.slice(0, 128), shape: [128] },
    });
    for (const variant of ["huffman", "packed"] as const) {
      const flags = variant === "packed" ? ["--no-huffman"] : [];
      const result = await mc(["compress", skewedPath, "-o", outputs[variant], "--bits", "5", "--json", ...flags]);
      expect(result.code, result.stderr).toBe(0);
      reports[variant] = JSON.parse(result.stdout);
    }
  });

  it("writes bit-packed layers that decode to exactly the dense weights of the Huffman file", async () => {
    const [huffman, packed] = await Promise.all([readMcz(outputs.huffman), readMcz(outputs.packed)]);
    expect(packed.entries.map((e) => e.name)).toEqual(huffman.entries.map((e) => e.name));
    for (const [i, entry] of packed.entries.entries()) {
      const reference = huffman.entries[i]!;
      expect(entry.encoding, entry.name).toBe(reference.encoding);
      if (entry.encoding === "sparse-shared" && reference.encoding === "sparse-shared") {
        expect(entry.entropyCoding).toBe("none");
        expect(reference.entropyCoding).toBe("huffman");
      }
      const a = new Uint32Array(expandMczEntry(entry).data.buffer);
      const b = new Uint32Array(expandMczEntry(reference).data.buffer);
      expect(a.length, entry.name).toBe(b.length);
      const at = a.findIndex((bits, j) => bits !== b[j]);
      expect(at, `${entry.name}: first differing index ${at} of ${a.length}`).toBe(-1);
    }
    expect(packed.entries.find((e) => e.name === "fc.weight")?.encoding).toBe("sparse-shared");
  });

  it("the packed file is larger than the Huffman one on skewed weights, and reports P+Q bits only", () => {
    const { huffman, packed } = reports as Required<typeof reports>;
    expect(statSync(outputs.packed).size).toBe(packed.outputBytes);
    expect(packed.outputBytes).toBeGreaterThan(huffman.outputBytes);
    expect(packed.entropyCoding).toBe("none");
    expect(huffman.entropyCoding).toBe("huffman");
    const packedLayer = packed.layers.find((l) => l.name === "fc.weight")!;
    const huffmanLayer = huffman.layers.find((l) => l.name === "fc.weight")!;
    expect(packedLayer).toMatchObject({ entropyCoding: "none", weightBitsPacked: 5, indexBitsPacked: 5 });
    expect(packedLayer.weightBitsHuffman).toBeUndefined();
    expect(packedLayer.indexBitsHuffman).toBeUndefined();
    expect(huffmanLayer.weightBitsHuffman! + huffmanLayer.indexBitsHuffman!).toBeLessThan(10);
    expect(packedLayer.bytes).toBeGreaterThan(huffmanLayer.bytes);
  });

  it("prints the packed per-layer report and --help describes the flag", async () => {
    const text = await mc(["compress", skewedPath, "-o", outputs.packed, "--force", "--no-huffman"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("bits/entry P+Q (packed)");
    expect(text.stdout).not.toContain("P+Q+H");
    expect(text.stdout).toMatch(/fc\.weight\s+\[128, 96\]\s+sparse-shared\s+90\.0%\s+5\s+5\+5\s/);
    const help = await mc(["compress", "--help"]);
    expect(help.stdout).toMatch(/--no-huffman\s+store the indices bit-packed/);
    expect(help.stdout).not.toContain("not supported");
  });

  it("inspect lists the packed layer and its P+Q size breakdown, bytes adding up to the file", async () => {
    const result = await mc(["inspect", outputs.packed, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const inspected = JSON.parse(result.stdout);
    const layer = inspected.layers.find((l: { name: string }) => l.name === "fc.weight");
    expect(layer).toMatchObject({ encoding: "sparse-shared", entropyCoding: "none", shape: [128, 96], bits: 5 });
    expect(layer.dtype).toContain("packed");
    expect(layer.sparsity).toBeCloseTo(0.9, 3);
    const layerBytes = inspected.layers.reduce((sum: number, l: { bytes: number }) => sum + l.bytes, 0);
    expect(layerBytes + inspected.sizeBreakdown.containerBytes).toBe(statSync(outputs.packed).size);
    expect(inspected.sizeBreakdown.totals.huffmanTables).toBe(0);
    const text = await mc(["inspect", outputs.packed]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/fc\.weight\s+sparse-shared\s+codebook 32 × f32, packed/);
    expect(text.stdout).toContain("| fc.weight | sparse-shared | 12288 | 10.0% | 5 | 5 |");
    expect(text.stdout).not.toContain("P+Q+H");
  });

  it("mc eval runs a packed LeNet-300-100 through the sparse kernels to the same result as the Huffman file", async () => {
    const lenet = join(dir, "lenet-packed-check.safetensors");
    const parameters = saveParameters(createLenet300100({ seed: 9 }));
    await writeSafetensors(
      lenet,
      Object.fromEntries(
        Object.entries(parameters).map(([k, v]) => [k, { data: v.data as Float32Array, shape: v.shape }]),
      ),
    );
    const evaluations: Array<{ correct: number; count: number; architecture: string }> = [];
    for (const flags of [[], ["--no-huffman"]]) {
      const out = join(dir, `lenet-check${flags.length}.mcz`);
      const compressed = await mc(["compress", lenet, "-o", out, "--architecture", "lenet-300-100", ...flags]);
      expect(compressed.code, compressed.stderr).toBe(0);
      const result = await mc(["eval", out, "--json"]);
      expect(result.code, result.stderr).toBe(0);
      evaluations.push(JSON.parse(result.stdout));
    }
    const [huffman, packed] = evaluations as [(typeof evaluations)[0], (typeof evaluations)[0]];
    expect(packed.architecture).toBe("lenet-300-100");
    expect(packed.count).toBe(2000);
    expect(packed.correct).toBe(huffman.correct);
  }, 60_000);
});

describe("mc quantize", () => {
  it("weight-only int8 writes a smaller ONNX that onnxruntime-node runs close to the fp32 model", async () => {
    const out = join(dir, "tiny.int8.onnx");
    const inputBefore = readFileSync(onnxPath);
    const result = await mc(["quantize", onnxPath, "-o", out, "--mode", "weight-only", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.outputBytes).toBe(statSync(out).size);
    expect(report.inputBytes).toBe(inputBefore.length);
    expect(readFileSync(onnxPath).equals(inputBefore)).toBe(true);
    const quantized = report.tensors.filter((t: { reason?: string }) => !t.reason);
    expect(quantized.length).toBe(2); // both Gemm weights (512 and 256 elements)
    for (const t of quantized) expect(t.bytesAfter).toBeLessThan(t.bytesBefore);

    const rng = createRng(3);
    const x = new Float32Array(4 * 16).map(() => 2 * rng.uniform() - 1);
    const outputs: Float32Array[] = [];
    for (const path of [onnxPath, out]) {
      const session = await ort.InferenceSession.create(readFileSync(path), { graphOptimizationLevel: "basic" });
      const y = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", x, [4, 16]) });
      outputs.push(y[session.outputNames[0]!]!.data as Float32Array);
      await session.release();
    }
    const [fp32, int8] = outputs as [Float32Array, Float32Array];
    const range = Math.max(...fp32) - Math.min(...fp32);
    for (let i = 0; i < fp32.length; i++)
      expect(Math.abs((fp32[i] as number) - (int8[i] as number)), `output ${i}`).toBeLessThan(0.02 * range);
    const text = await mc(["quantize", onnxPath, "-o", out, "--force"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/weights .* → .*\n.*tiny\.onnx: .* → .*tiny\.int8\.onnx/);
  });

  it("static mode calibrates on MNIST digits in onnxruntime-node and the QDQ model stays close on real digits", async () => {
    const lenet = join(dir, "lenet.onnx");
    writeFileSync(lenet, writeOnnx(toOnnx(createLenet300100({ seed: 5 }), { inputShape: [1, 28, 28] })).bytes);
    const out = join(dir, "lenet.static.onnx");
    const result = await mc(["quantize", lenet, "-o", out, "--mode", "static", "--calibration", "mnist", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.quantizedActivations).toBeGreaterThan(0);
    const { test } = loadMnist({ seed: 1 });
    const x = test.images.slice(0, 16 * 784);
    const outputs: Float32Array[] = [];
    for (const path of [lenet, out]) {
      const session = await ort.InferenceSession.create(readFileSync(path));
      const y = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", x, [16, 1, 28, 28]) });
      outputs.push(y[session.outputNames[0]!]!.data as Float32Array);
      await session.release();
    }
    const [fp32, int8] = outputs as [Float32Array, Float32Array];
    const range = Math.max(...fp32) - Math.min(...fp32);
    // @mc/onnx states static QDQ within 4% of the output range (uint8 activations, calibrated ranges).
    for (let i = 0; i < fp32.length; i++)
      expect(Math.abs((fp32[i] as number) - (int8[i] as number)), `output ${i}`).toBeLessThan(0.04 * range);
  }, 30_000);

  it("rejects an unknown mode, static without calibration, a bad block size, non-MNIST calibration and an existing output", async () => {
    const target = join(dir, "never.onnx");
    expectOneLineError(await mc(["quantize", onnxPath, "-o", target, "--mode", "int3"]), "--mode must be one of");
    expectOneLineError(await mc(["quantize", onnxPath, "-o", target, "--mode", "static"]), "add --calibration mnist");
    expectOneLineError(
      await mc(["quantize", onnxPath, "-o", target, "--mode", "nbits", "--block-size", "48"]),
      "--block-size must be",
    );
    expectOneLineError(
      await mc(["quantize", onnxPath, "-o", target, "--mode", "static", "--calibration", "mnist"]),
      "784 values per sample",
    );
    expectOneLineError(await mc(["quantize", onnxPath, "-o", onnxPath]), "is the input file");
    expectOneLineError(await mc(["quantize", safetensorsPath, "-o", target]), "is not an .onnx file");
    expect(existsSync(target)).toBe(false);
  });
});

describe("mc bench", () => {
  it("times a compressed LeNet-300-100 through the kernels and both onnxruntimes, after checking they agree", async () => {
    const lenet = join(dir, "lenet.safetensors");
    const parameters = saveParameters(createLenet300100({ seed: 5 }));
    await writeSafetensors(
      lenet,
      Object.fromEntries(
        Object.entries(parameters).map(([k, v]) => [k, { data: v.data as Float32Array, shape: v.shape }]),
      ),
    );
    const mcz = join(dir, "lenet.mcz");
    const compressed = await mc(["compress", lenet, "-o", mcz, "--architecture", "lenet-300-100"]);
    expect(compressed.code, compressed.stderr).toBe(0);
    const result = await mc(["bench", mcz, "--runs", "3", "--batch", "1,8", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.architecture).toBe("lenet-300-100");
    expect(report.rows.map((r: { batch: number }) => r.batch)).toEqual([1, 8]);
    for (const row of report.rows) {
      for (const key of ["kernels", "web", "node"]) expect(row[key]).toBeGreaterThan(0);
      expect(row.speedupVsWeb).toBeCloseTo(row.web / row.kernels, 9);
    }
    for (const difference of Object.values(report.maxAbsDifference)) expect(difference).toBeLessThan(1e-4);
  }, 60_000);

  it("says to run 'pnpm demo' when the default .mcz is missing, and rejects a .mcz without an architecture", async () => {
    expectOneLineError(await mc(["bench"], dir), "run 'pnpm demo' first");
    const plain = join(dir, "plain.mcz");
    expect((await mc(["compress", safetensorsPath, "-o", plain])).code).toBe(0);
    expectOneLineError(await mc(["bench", plain, "--runs", "1"]), "does not name a known architecture");
    expectOneLineError(await mc(["bench", plain, "--runs", "0"]), "--runs must be an integer");
  });
});

describe("mc inspect errors and --help", () => {
  it("a missing file, an unrecognised file and a corrupt .mcz each give one line and exit code 1", async () => {
    expectOneLineError(await mc(["inspect", join(dir, "nope.mcz")]), "no such file");
    const text = join(dir, "notes.txt");
    writeFileSync(text, "hello, these are notes");
    expectOneLineError(await mc(["inspect", text]), "is not a .mcz, .onnx or .safetensors file");
    const corrupt = join(dir, "corrupt.mcz");
    writeFileSync(
      corrupt,
      Buffer.concat([Buffer.from([0x89, 0x4d, 0x43, 0x5a, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]),
    );
    expectOneLineError(await mc(["inspect", corrupt]), "cannot process");
    expectOneLineError(await mc(["inspect"]), "give a .mcz, .onnx or .safetensors file");
  });

  it("--help works on compress, quantize, inspect and bench", async () => {
    for (const command of ["compress", "quantize", "inspect", "bench"]) {
      const result = await mc([command, "--help"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`mc ${command}`);
      expect(result.stdout).toContain("Usage:");
    }
  });
});
