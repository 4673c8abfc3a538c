import { describe, expect, it } from "vitest";
import { encodeSafetensors, readSafetensors, safetensorsToFloat32 } from "../src/index";

/**
 * Interop with the published safetensors description (huggingface/safetensors README):
 * "8 bytes: N, an unsigned little-endian 64-bit integer, containing the size of the header;
 * N bytes: a JSON UTF-8 string representing the header ... data_offsets point to the tensor
 * data relative to the beginning of the byte buffer ... The header is allowed to be padded
 * with whitespace". The fixtures below are written byte by byte from that text alone.
 */

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

function u64le(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Math.floor(n / 2 ** (8 * i)) % 256);
  return out;
}

function handBuiltFile(): Uint8Array {
  // Data section, dtype by dtype, each value's little-endian bytes spelled out.
  const data = [
    ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0], // F32 [1.0, -2.0]
    ...[0x00, 0x3c, 0x00, 0xb8], // F16 [1.0, -0.5]
    ...[0x80, 0x3f, 0x40, 0x40], // BF16 [1.0, 3.0]
    ...[0xff, 0x7f, 0x80], // I8 [-1, 127, -128]
    ...[0x00, 0xff], // U8 [0, 255]
    ...[0x00, 0x80, 0xff, 0x7f], // I16 [-32768, 32767]
    ...[0xfe, 0xff, 0xff, 0xff], // I32 [-2]
    ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // I64 [-1]
    ...[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f], // F64 [1.0]
    ...[0x01, 0x00, 0x01], // BOOL [true, false, true]
  ];
  const header =
    '{"__metadata__":{"format":"pt","note":"hand built"},' +
    '"f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"f16":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]},' +
    '"bf16":{"dtype":"BF16","shape":[2],"data_offsets":[12,16]},' +
    '"i8":{"dtype":"I8","shape":[3],"data_offsets":[16,19]},' +
    '"u8":{"dtype":"U8","shape":[1,2],"data_offsets":[19,21]},' +
    '"i16":{"dtype":"I16","shape":[2],"data_offsets":[21,25]},' +
    '"i32":{"dtype":"I32","shape":[],"data_offsets":[25,29]},' +
    '"i64":{"dtype":"I64","shape":[1],"data_offsets":[29,37]},' +
    '"f64":{"dtype":"F64","shape":[1],"data_offsets":[37,45]},' +
    '"bool":{"dtype":"BOOL","shape":[3],"data_offsets":[45,48]},' +
    '"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[48,48]}}   ';
  return new Uint8Array([...u64le(header.length), ...ascii(header), ...data]);
}

describe("safetensors interop", () => {
  it("reads a file built byte by byte from the published format description, every readable dtype", () => {
    const { tensors, metadata } = readSafetensors(handBuiltFile());
    expect(metadata).toEqual({ format: "pt", note: "hand built" });
    const get = (name: string) => {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`missing ${name}`);
      return t;
    };
    expect([...(get("f32").data as Float32Array)]).toEqual([1, -2]);
    expect(get("f16").shape).toEqual([2, 1]);
    expect([...safetensorsToFloat32(get("f16")).data]).toEqual([1, -0.5]);
    expect([...safetensorsToFloat32(get("bf16")).data]).toEqual([1, 3]);
    expect([...(get("i8").data as Int8Array)]).toEqual([-1, 127, -128]);
    expect([...(get("u8").data as Uint8Array)]).toEqual([0, 255]);
    expect([...(get("i16").data as Int16Array)]).toEqual([-32768, 32767]);
    expect(get("i32").shape).toEqual([]);
    expect([...(get("i32").data as Int32Array)]).toEqual([-2]);
    expect([...(get("i64").data as BigInt64Array)]).toEqual([-1n]);
    expect([...(get("f64").data as Float64Array)]).toEqual([1]);
    expect(get("bool").dtype).toBe("BOOL");
    expect([...(get("bool").data as Uint8Array)]).toEqual([1, 0, 1]);
    expect(get("empty").data.length).toBe(0);
    expect([...tensors.keys()]).toEqual([
      "f32",
      "f16",
      "bf16",
      "i8",
      "u8",
      "i16",
      "i32",
      "i64",
      "f64",
      "bool",
      "empty",
    ]);
  });

  it("writes files that an independent minimal reader (DataView + JSON.parse) parses to the same values", () => {
    const f32 = new Float32Array([0.1, -3.5, 1e-30, Number.POSITIVE_INFINITY, 7]);
    const i32 = new Int32Array([-2147483648, 2147483647, 0]);
    const f16Bits = new Uint16Array([0x3c00, 0xbc00, 0x7c00, 0x0001]);
    const bytes = encodeSafetensors(
      {
        a: { shape: [5], data: f32 },
        b: { dtype: "I32", shape: [3, 1], data: i32 },
        c: { dtype: "F16", shape: [2, 2], data: f16Bits },
        d: { dtype: "BF16", shape: [1], data: new Float32Array([2.5]) },
        e: { dtype: "I8", shape: [2], data: new Int8Array([-128, 5]) },
        f: { dtype: "U8", shape: [], data: new Uint8Array([200]) },
      },
      { metadata: { producer: "mc" } },
    );
    // The independent reader: nothing from the package under test.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const base = 8 + n;
    expect(header.__metadata__).toEqual({ producer: "mc" });
    const at = (name: string) => header[name].data_offsets[0] + base;
    expect(header.a).toEqual({ dtype: "F32", shape: [5], data_offsets: [0, 20] });
    for (let i = 0; i < 5; i++) expect(view.getFloat32(at("a") + 4 * i, true)).toBe(f32[i]);
    expect(header.b.dtype).toBe("I32");
    expect(header.b.shape).toEqual([3, 1]);
    for (let i = 0; i < 3; i++) expect(view.getInt32(at("b") + 4 * i, true)).toBe(i32[i]);
    for (let i = 0; i < 4; i++) expect(view.getUint16(at("c") + 2 * i, true)).toBe(f16Bits[i]);
    expect(view.getUint16(at("d"), true)).toBe(0x4020); // bf16 of 2.5
    expect(view.getInt8(at("e"))).toBe(-128);
    expect(view.getUint8(at("f"))).toBe(200);
    const last = header.f.data_offsets[1];
    expect(bytes.length).toBe(base + last);
  });
});
