import {
  bfloat16ToFloat32Array,
  FormatError,
  float16ToFloat32Array,
  formatShape,
  InvalidArgumentError,
  UnsupportedError,
} from "@mc/core";
import { OnnxDataType, type TensorProto } from "./onnx-schema";

/** Element types mc decodes; the name is the ONNX `DataType` in lower case with its width. */
export type OnnxTensorDataType =
  | "float32"
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "int32"
  | "int64"
  | "bool"
  | "float16"
  | "float64"
  | "uint32"
  | "uint64"
  | "bfloat16";

export type OnnxTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A decoded ONNX tensor. `data` holds the stored values in their own width: float16 and bfloat16
 * as their 16-bit patterns (`Uint16Array`), int64 as `BigInt64Array`, bool as `Uint8Array`.
 */
export interface OnnxTensor {
  name: string;
  dataType: OnnxTensorDataType;
  shape: number[];
  data: OnnxTensorData;
}

interface DataTypeInfo {
  name: OnnxTensorDataType;
  code: number;
  bytes: number;
  make: (buffer: ArrayBuffer, length: number) => OnnxTensorData;
}

const dataTypes: DataTypeInfo[] = [
  { name: "float32", code: OnnxDataType.FLOAT, bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  { name: "uint8", code: OnnxDataType.UINT8, bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  { name: "int8", code: OnnxDataType.INT8, bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  { name: "uint16", code: OnnxDataType.UINT16, bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  { name: "int16", code: OnnxDataType.INT16, bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  { name: "int32", code: OnnxDataType.INT32, bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  { name: "int64", code: OnnxDataType.INT64, bytes: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  { name: "bool", code: OnnxDataType.BOOL, bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  { name: "float16", code: OnnxDataType.FLOAT16, bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  { name: "float64", code: OnnxDataType.DOUBLE, bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
  { name: "uint32", code: OnnxDataType.UINT32, bytes: 4, make: (b, n) => new Uint32Array(b, 0, n) },
  { name: "uint64", code: OnnxDataType.UINT64, bytes: 8, make: (b, n) => new BigUint64Array(b, 0, n) },
  { name: "bfloat16", code: OnnxDataType.BFLOAT16, bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
];

const byCode = new Map(dataTypes.map((info) => [info.code, info]));
const byName = new Map(dataTypes.map((info) => [info.name, info]));

/** Bytes per element of an ONNX data type code (0.5 for int4/uint4), or undefined when unknown. */
export function dataTypeByteWidth(code: number): number | undefined {
  if (code === OnnxDataType.INT4 || code === OnnxDataType.UINT4) return 0.5;
  return byCode.get(code)?.bytes;
}

export function dataTypeCode(name: OnnxTensorDataType): number {
  return (byName.get(name) as DataTypeInfo).code;
}

export function dataTypeName(code: number): string {
  return byCode.get(code)?.name ?? `type ${code}`;
}

/** Number of elements of a TensorProto's dims, validated (FormatError on corrupt dims). */
export function tensorProtoElementCount(tensor: TensorProto, caller: string): number {
  let count = 1;
  for (const dim of tensor.dims ?? []) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new FormatError({
        message: `${caller}: tensor '${tensor.name ?? ""}' has an invalid dimension ${dim} in dims ${formatShape(tensor.dims ?? [])}`,
      });
    }
    count *= dim;
  }
  if (!Number.isSafeInteger(count)) {
    throw new FormatError({ message: `${caller}: tensor '${tensor.name ?? ""}' has too many elements` });
  }
  return count;
}

/** Bytes a tensor's data takes where it is stored (raw_data, typed fields or external file). */
export function tensorProtoStoredBytes(tensor: TensorProto): number {
  if (tensor.dataLocation === 1) {
    const length = tensor.externalData?.find((entry) => entry.key === "length")?.value;
    if (length !== undefined) return Number(length);
  }
  if (tensor.rawData !== undefined && tensor.rawData.length > 0) return tensor.rawData.length;
  const count = (tensor.dims ?? []).reduce((a, b) => a * b, 1);
  const width = dataTypeByteWidth(tensor.dataType ?? 0) ?? 0;
  return Math.ceil(count * width);
}

/** Decodes a TensorProto into a typed array (raw_data or the typed repeated fields). */
export function decodeTensor(tensor: TensorProto, caller = "decodeTensor"): OnnxTensor {
  const name = tensor.name ?? "";
  const code = tensor.dataType ?? 0;
  const info = byCode.get(code);
  if (info === undefined) {
    throw new UnsupportedError({
      message: `${caller}: tensor '${name}' has data type ${dataTypeName(code)}, which mc does not decode`,
      feature: `onnx data type ${code}`,
    });
  }
  if (tensor.dataLocation === 1) {
    throw new InvalidArgumentError({
      message: `${caller}: tensor '${name}' keeps its data in an external file; read the model with readOnnxFile or readOnnx(bytes, { baseDir })`,
      argument: "tensor",
    });
  }
  const count = tensorProtoElementCount(tensor, caller);
  const shape = [...(tensor.dims ?? [])];
  const raw = tensor.rawData;
  // Lengths are checked before allocating, so corrupt dims cannot ask for a huge buffer.
  if (raw !== undefined && raw.length > 0) {
    if (raw.length !== count * info.bytes) {
      throw new FormatError({
        message: `${caller}: tensor '${name}' of shape ${formatShape(shape)} (${info.name}) needs ${count * info.bytes} bytes of raw_data but has ${raw.length}`,
      });
    }
    const buffer = new ArrayBuffer(count * info.bytes);
    // Copy into a fresh, aligned buffer: raw_data is a view at an arbitrary offset of the file.
    new Uint8Array(buffer).set(raw);
    return { name, dataType: info.name, shape, data: info.make(buffer, count) };
  }
  const source = typedFieldFor(tensor, info.name);
  if (source.length !== count) {
    throw new FormatError({
      message: `${caller}: tensor '${name}' of shape ${formatShape(shape)} (${info.name}) has ${source.length} values instead of ${count}`,
    });
  }
  const data = info.make(new ArrayBuffer(count * info.bytes), count);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) data[i] = BigInt(source[i] as number);
  } else if (info.name === "float16" || info.name === "bfloat16") {
    // int32_data holds the 16-bit patterns of half floats.
    for (let i = 0; i < count; i++) data[i] = (source[i] as number) & 0xffff;
  } else {
    for (let i = 0; i < count; i++) data[i] = source[i] as number;
  }
  return { name, dataType: info.name, shape, data };
}

function typedFieldFor(tensor: TensorProto, name: OnnxTensorDataType): number[] {
  switch (name) {
    case "float32":
      return tensor.floatData ?? [];
    case "float64":
      return tensor.doubleData ?? [];
    case "int64":
      return tensor.int64Data ?? [];
    case "uint32":
    case "uint64":
      return tensor.uint64Data ?? [];
    default:
      return tensor.int32Data ?? [];
  }
}

/** Values of a decoded tensor as float32 (float16/bfloat16 converted; integers as their values). */
export function tensorToFloat32(tensor: OnnxTensor): Float32Array {
  const { data, dataType } = tensor;
  if (dataType === "float32") return data as Float32Array;
  if (dataType === "float16") return float16ToFloat32Array(data as Uint16Array);
  if (dataType === "bfloat16") return bfloat16ToFloat32Array(data as Uint16Array);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

function inferDataType(data: OnnxTensorData): OnnxTensorDataType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof BigInt64Array) return "int64";
  return "uint64";
}

/**
 * Builds a TensorProto with raw_data from a typed array. `dataType` overrides the type inferred
 * from the array (e.g. "float16" for a Uint16Array of half-float bits, "bool" for a Uint8Array).
 */
export function encodeTensor(
  name: string,
  data: OnnxTensorData,
  shape: readonly number[],
  dataType: OnnxTensorDataType = inferDataType(data),
): TensorProto {
  const info = byName.get(dataType);
  const count = shape.reduce((a, b) => a * b, 1);
  if (info === undefined || data.length !== count) {
    throw new InvalidArgumentError({
      message: `encodeTensor: tensor '${name}' has ${data.length} values but shape ${formatShape(shape)} needs ${count}`,
      argument: "data",
    });
  }
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { dims: [...shape], dataType: info.code, name, rawData };
}
