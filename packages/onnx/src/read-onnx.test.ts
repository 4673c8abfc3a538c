import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError, float32ToFloat16Bits, InvalidArgumentError, McError, UnsupportedError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { buildModel, makeNode, randomTensor, valueInfo } from "../test/build-model";
import { float, runOnnx } from "../test/ort";
import { inspectOnnx } from "./inspect-onnx";
import { readOnnxFile, writeOnnxFile } from "./onnx-file";
import { OnnxDataType } from "./onnx-schema";
import { decodeTensor, encodeTensor, tensorToFloat32 } from "./onnx-tensor";
import { readOnnx, writeOnnx } from "./read-onnx";

const vadDir = join(import.meta.dirname, "../node_modules/@ricky0123/vad-web/dist");

function sampleModel() {
  return buildModel({
    nodes: [makeNode("MatMul", ["x", "W"], ["h"], "mm"), makeNode("Add", ["h", "b"], ["y"], "add")],
    inputs: [valueInfo("x", ["batch", 40])],
    outputs: [valueInfo("y", ["batch", 30])],
    initializers: [randomTensor("W", [40, 30], 1), randomTensor("b", [30], 2)],
  });
}

describe("readOnnx / writeOnnx", () => {
  it.each(["legacy", "v5", "v6"])("round-trips Silero VAD %s byte-identically", (version) => {
    const bytes = new Uint8Array(readFileSync(join(vadDir, `silero_vad_${version}.onnx`)));
    const model = readOnnx(bytes);
    expect(model.irVersion).toBe(8);
    expect(model.opsetImport?.find((o) => !o.domain)?.version).toBe(16);
    const written = writeOnnx(model).bytes;
    expect(written.length).toBe(bytes.length);
    const firstDifference = written.findIndex((b, i) => b !== bytes[i]);
    expect(firstDifference, `first differing byte at ${firstDifference}`).toBe(-1);
  });

  it("keeps opset, IR version and initializer values through a round trip", () => {
    const model = sampleModel();
    const back = readOnnx(writeOnnx(model).bytes);
    expect(back.irVersion).toBe(8);
    expect(back.opsetImport).toEqual([{ domain: "", version: 17 }]);
    const w = tensorToFloat32(decodeTensor(back.graph?.initializer?.[0] ?? {}));
    const original = tensorToFloat32(decodeTensor(model.graph?.initializer?.[0] ?? {}));
    expect(w).toEqual(original);
  });

  it("decodes raw_data and typed fields for float, float16, int8, uint8, int32 and int64", () => {
    const raw = [
      encodeTensor("f", Float32Array.of(1.5, -2), [2]),
      encodeTensor("h", Uint16Array.of(float32ToFloat16Bits(0.5), float32ToFloat16Bits(-3)), [2], "float16"),
      encodeTensor("i8", Int8Array.of(-128, 127), [2]),
      encodeTensor("u8", Uint8Array.of(0, 255), [2]),
      encodeTensor("i32", Int32Array.of(-7, 2 ** 30), [2]),
      encodeTensor("i64", BigInt64Array.of(-5n, 1n << 40n), [2]),
    ];
    const typed = [
      { name: "f", dims: [2], dataType: OnnxDataType.FLOAT, floatData: [1.5, -2] },
      {
        name: "h",
        dims: [2],
        dataType: OnnxDataType.FLOAT16,
        int32Data: [float32ToFloat16Bits(0.5), float32ToFloat16Bits(-3)],
      },
      { name: "i8", dims: [2], dataType: OnnxDataType.INT8, int32Data: [-128, 127] },
      { name: "u8", dims: [2], dataType: OnnxDataType.UINT8, int32Data: [0, 255] },
      { name: "i32", dims: [2], dataType: OnnxDataType.INT32, int32Data: [-7, 2 ** 30] },
      { name: "i64", dims: [2], dataType: OnnxDataType.INT64, int64Data: [-5, 2 ** 40] },
    ];
    const expected = [
      [1.5, -2],
      [0.5, -3],
      [-128, 127],
      [0, 255],
      [-7, 2 ** 30],
      [-5, 2 ** 40],
    ];
    const model = buildModel({ nodes: [], inputs: [], outputs: [], initializers: [...raw, ...typed] });
    const back = readOnnx(writeOnnx(model).bytes);
    for (const [index, tensor] of (back.graph?.initializer ?? []).entries()) {
      const values = Array.from(tensorToFloat32(decodeTensor(tensor)));
      expect(values, `tensor ${tensor.name} (#${index})`).toEqual(expected[index % 6]);
    }
  });

  it("rejects tensors whose dims disagree with their data, before allocating", () => {
    const huge = { name: "w", dims: [1e6, 1e6], dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(8) };
    expect(() => decodeTensor(huge)).toThrow(FormatError);
    expect(() => decodeTensor({ name: "w", dims: [3], dataType: OnnxDataType.INT32, int32Data: [1, 2] })).toThrow(
      /has 2 values instead of 3/,
    );
    expect(() => decodeTensor({ name: "w", dims: [2, -1], dataType: OnnxDataType.FLOAT })).toThrow(FormatError);
  });

  it("rejects bytes that are not an ONNX model with FormatError", () => {
    const notOnnx = new TextEncoder().encode('{"this": "is json, not onnx"}');
    expect(() => readOnnx(notOnnx)).toThrow(FormatError);
    expect(() => readOnnx(new Uint8Array(0))).toThrow(FormatError);
    expect(() => readOnnx(Uint8Array.of(0x08, 0x07))).toThrow(/not as an ONNX model/);
  });

  it("rejects a truncated model with FormatError", () => {
    const bytes = writeOnnx(sampleModel()).bytes;
    for (const length of [bytes.length - 1, Math.floor(bytes.length / 2), 7]) {
      let caught: unknown;
      try {
        readOnnx(bytes.subarray(0, length));
      } catch (error) {
        caught = error;
      }
      expect(FormatError.isInstance(caught), `truncated to ${length} of ${bytes.length} bytes`).toBe(true);
    }
  });

  it("rejects an opset newer than onnxruntime knows with UnsupportedError", () => {
    const model = { ...sampleModel(), opsetImport: [{ domain: "", version: 99 }] };
    expect(() => readOnnx(writeOnnx(model).bytes)).toThrow(UnsupportedError);
  });

  it("writes and reads external data next to the model and runs it in onnxruntime", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mc-onnx-"));
    const model = sampleModel();
    const path = join(dir, "model.onnx");
    await writeOnnxFile(path, model, { externalData: { location: "model.onnx.data", sizeThreshold: 100 } });
    const requested: string[] = [];
    const viaLoader = readOnnx(new Uint8Array(readFileSync(path)), {
      loadExternalData: (location) => {
        requested.push(location);
        return new Uint8Array(readFileSync(join(dir, location)));
      },
    });
    expect(requested).toEqual(["model.onnx.data"]);
    expect(viaLoader.graph?.initializer?.[0]?.rawData?.length).toBe(40 * 30 * 4);
    const back = await readOnnxFile(path);
    expect(tensorToFloat32(decodeTensor(back.graph?.initializer?.[0] ?? {}))).toEqual(
      tensorToFloat32(decodeTensor(model.graph?.initializer?.[0] ?? {})),
    );
    expect(readFileSync(join(dir, "model.onnx.data")).length).toBeGreaterThanOrEqual(40 * 30 * 4);
    const x = float(new Float32Array(80).fill(0.25), [2, 40]);
    const fromDisk = await runOnnx(writeOnnx(back).bytes, { x });
    const direct = await runOnnx(writeOnnx(model).bytes, { x });
    expect(fromDisk.y?.data).toEqual(direct.y?.data);
  });

  it("reports a missing or out-of-range external data file clearly", () => {
    const dir = mkdtempSync(join(tmpdir(), "mc-onnx-"));
    const { bytes, externalFiles } = writeOnnx(sampleModel(), {
      externalData: { location: "w.bin", sizeThreshold: 100 },
    });
    expect(() => readOnnx(bytes, { baseDir: dir })).toThrow(McError);
    expect(() => readOnnx(bytes, { baseDir: dir })).toThrow(/w\.bin/);
    expect(() => readOnnx(bytes)).toThrow(InvalidArgumentError);
    writeFileSync(join(dir, "w.bin"), (externalFiles.get("w.bin") as Uint8Array).subarray(0, 10));
    expect(() => readOnnx(bytes, { baseDir: dir })).toThrow(FormatError);
  });

  it("never overwrites the file a model was read from", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mc-onnx-"));
    const path = join(dir, "in.onnx");
    const original = writeOnnx(sampleModel()).bytes;
    writeFileSync(path, original);
    const model = await readOnnxFile(path);
    await expect(writeOnnxFile(path, model)).rejects.toThrow(/never overwritten/);
    expect(new Uint8Array(readFileSync(path))).toEqual(original);
    await writeOnnxFile(join(dir, "out.onnx"), model);
    expect(new Uint8Array(readFileSync(join(dir, "out.onnx")))).toEqual(original);
  });
});

describe("inspectOnnx", () => {
  it("counts operators, parameters and bytes per tensor, including subgraphs and Constant nodes", () => {
    const bytes = new Uint8Array(readFileSync(join(vadDir, "silero_vad_v5.onnx")));
    const info = inspectOnnx(readOnnx(bytes));
    expect(info.graphCount).toBeGreaterThan(10);
    const lstm = info.operators.find((o) => o.opType === "LSTM");
    expect(lstm?.count).toBe(4);
    const weight = info.tensors.find((t) => t.name.endsWith("decoder.rnn.weight_ih") && t.shape[1] === 128);
    expect(weight).toMatchObject({ kind: "constant", dataType: "float32", shape: [512, 128], bytes: 512 * 128 * 4 });
    const sum = info.tensors.reduce((s, t) => s + t.bytes, 0);
    expect(info.tensorBytes).toBe(sum);
    expect(info.parameterCount).toBeGreaterThan(500_000);
  });
});

describe("fields the schema does not know", () => {
  it("survive a read/write round trip, at the top level and inside nested messages", () => {
    const model = sampleModel();
    // Field 99 (varint 7) on the model and field 15 (bytes "hi") on a node, as a newer ONNX might write.
    const nodeExtra = Uint8Array.of((15 << 3) | 2, 2, 0x68, 0x69);
    const firstNode = model.graph?.node?.[0] as Record<string, unknown>;
    firstNode.$unknownFields = [nodeExtra];
    const bytes = writeOnnx(model).bytes;
    const withTopLevel = new Uint8Array(bytes.length + 3);
    withTopLevel.set(bytes);
    withTopLevel.set([0x98, 0x06, 7], bytes.length);
    const back = readOnnx(withTopLevel);
    expect(back.$unknownFields).toEqual([Uint8Array.of(0x98, 0x06, 7)]);
    const node = back.graph?.node?.[0] as Record<string, unknown>;
    expect(node.$unknownFields).toEqual([nodeExtra]);
    expect(writeOnnx(back).bytes).toEqual(withTopLevel);
  });
});
