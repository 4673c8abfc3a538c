import { FormatError, InvalidArgumentError, McError, UnsupportedError } from "@mc/core";
import type protobuf from "protobufjs/light.js";
import { defaultOpsetVersion, mapModelTensors } from "./graph-walk";
import { getModelProtoType, type OnnxModel, type TensorProto } from "./onnx-schema";

/** Highest default-domain opset mc knows (onnxruntime 1.30 implements up to 23). */
export const MAX_SUPPORTED_OPSET = 24;

export interface ReadOnnxOptions {
  /** Directory that tensors with external data are relative to (Node only; reads with `fs`). */
  baseDir?: string;
  /** Returns the bytes of an external data file by its `location`; takes precedence over `baseDir`. */
  loadExternalData?: (location: string) => Uint8Array;
}

const readDefaults = { baseDir: undefined, loadExternalData: undefined } satisfies ReadOnnxOptions;

interface NodeFs {
  readFileSync(path: string): Uint8Array;
}
interface NodePath {
  resolve(...parts: string[]): string;
  relative(from: string, to: string): string;
  isAbsolute(path: string): boolean;
}

/** Node's built-ins without a static import, so the package still bundles for browsers. */
export function nodeBuiltin<T>(name: string, caller: string): T {
  const getter = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getter !== "function") {
    throw new UnsupportedError({
      message: `${caller}: reading or writing files needs Node.js (>= 20.16); pass the bytes instead`,
      feature: "filesystem",
    });
  }
  return getter(name) as T;
}

/**
 * Decodes an ONNX model. Tensors stored in external data files are loaded (from `baseDir` or
 * `loadExternalData`) into `rawData`, so the returned model is self-contained.
 * Throws FormatError for bytes that are not an ONNX model, UnsupportedError for an opset newer
 * than onnxruntime knows.
 */
export function readOnnx(bytes: Uint8Array, options: ReadOnnxOptions = {}): OnnxModel {
  const { baseDir, loadExternalData } = { ...readDefaults, ...options };
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({
      message: `readOnnx: bytes must be a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`,
      argument: "bytes",
    });
  }
  if (bytes.length === 0) throw new FormatError({ message: "readOnnx: bytes are empty, not an ONNX model" });
  const type = getModelProtoType();
  let model: OnnxModel;
  try {
    const message = type.decode(bytes);
    model = type.toObject(message, { longs: Number, arrays: true }) as OnnxModel;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FormatError({
      message: `readOnnx: ${bytes.length} bytes are not a valid ONNX protobuf (${reason}); the file is truncated or not an ONNX model`,
      cause: error,
    });
  }
  validateModel(model, bytes.length);
  if (!hasExternalData(model)) return model;
  const loader = loadExternalData ?? (baseDir !== undefined ? fileLoader(baseDir) : undefined);
  if (loader === undefined) {
    throw new InvalidArgumentError({
      message:
        "readOnnx: the model keeps tensors in external data files; pass options.baseDir or options.loadExternalData",
      argument: "options.baseDir",
    });
  }
  return inlineExternalData(model, loader);
}

function validateModel(model: OnnxModel, length: number): void {
  if (model.graph === undefined || !(Number(model.irVersion) >= 1)) {
    throw new FormatError({
      message: `readOnnx: ${length} bytes decode as protobuf but not as an ONNX model (ir_version ${model.irVersion ?? "missing"}, graph ${model.graph === undefined ? "missing" : "present"})`,
    });
  }
  const opset = defaultOpsetVersion(model);
  if (opset !== undefined && (opset < 1 || opset > MAX_SUPPORTED_OPSET)) {
    throw new UnsupportedError({
      message: `readOnnx: default-domain opset ${opset} is not supported (supported: 1..${MAX_SUPPORTED_OPSET})`,
      feature: `opset ${opset}`,
    });
  }
}

function hasExternalData(model: OnnxModel): boolean {
  let found = false;
  mapModelTensors(model, (tensor) => {
    if (tensor.dataLocation === 1) found = true;
    return tensor;
  });
  return found;
}

function externalEntry(tensor: TensorProto, key: string): string | undefined {
  return tensor.externalData?.find((entry) => entry.key === key)?.value;
}

function fileLoader(baseDir: string): (location: string) => Uint8Array {
  const fs = nodeBuiltin<NodeFs>("node:fs", "readOnnx");
  const path = nodeBuiltin<NodePath>("node:path", "readOnnx");
  return (location) => {
    const full = path.resolve(baseDir, location);
    const relative = path.relative(path.resolve(baseDir), full);
    if (path.isAbsolute(location) || relative.startsWith("..")) {
      throw new FormatError({
        message: `readOnnx: external data location '${location}' points outside the model directory '${baseDir}'`,
      });
    }
    try {
      return fs.readFileSync(full);
    } catch (error) {
      throw new McError({
        message: `readOnnx: external data file '${location}' could not be read from '${baseDir}' (${(error as Error).message})`,
        cause: error,
      });
    }
  };
}

function inlineExternalData(model: OnnxModel, load: (location: string) => Uint8Array): OnnxModel {
  const files = new Map<string, Uint8Array>();
  return mapModelTensors(model, (tensor) => {
    if (tensor.dataLocation !== 1) return tensor;
    const location = externalEntry(tensor, "location");
    if (location === undefined) {
      throw new FormatError({ message: `readOnnx: tensor '${tensor.name}' is external but has no location` });
    }
    let file = files.get(location);
    if (file === undefined) {
      file = load(location);
      files.set(location, file);
    }
    const offset = Number(externalEntry(tensor, "offset") ?? 0);
    const lengthText = externalEntry(tensor, "length");
    const length = lengthText === undefined ? file.length - offset : Number(lengthText);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new FormatError({
        message: `readOnnx: tensor '${tensor.name}' has invalid external offset ${offset} / length ${length}`,
      });
    }
    if (offset + length > file.length) {
      throw new FormatError({
        message: `readOnnx: tensor '${tensor.name}' reads bytes ${offset}..${offset + length} of '${location}', which has only ${file.length} bytes`,
      });
    }
    const { externalData: _externalData, dataLocation: _dataLocation, ...rest } = tensor;
    return { ...rest, rawData: file.subarray(offset, offset + length) };
  });
}

export interface WriteOnnxOptions {
  /**
   * Move tensors of at least `sizeThreshold` bytes into one external data file named `location`
   * (relative to the model file). Needed for models over protobuf's 2 GB limit.
   */
  externalData?: { location: string; sizeThreshold?: number; alignment?: number };
}

export interface WriteOnnxResult {
  /** The serialized ModelProto. */
  bytes: Uint8Array;
  /** External data files by location (empty unless `options.externalData` was given). */
  externalFiles: Map<string, Uint8Array>;
}

/** Serializes a model. The input model is not modified. */
export function writeOnnx(model: OnnxModel, options: WriteOnnxOptions = {}): WriteOnnxResult {
  if (typeof model !== "object" || model === null || model.graph === undefined) {
    throw new InvalidArgumentError({
      message: "writeOnnx: model must be an ONNX model with a graph",
      argument: "model",
    });
  }
  const externalFiles = new Map<string, Uint8Array>();
  let toEncode = model;
  if (options.externalData !== undefined) {
    const { location, sizeThreshold = 1024, alignment = 4096 } = options.externalData;
    if (typeof location !== "string" || location.length === 0 || location.includes("..")) {
      throw new InvalidArgumentError({
        message: `writeOnnx: externalData.location must be a plain relative file name, got '${location}'`,
        argument: "options.externalData.location",
        value: location,
      });
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    toEncode = mapModelTensors(model, (tensor) => {
      const raw = tensor.rawData;
      if (raw === undefined || raw.length < sizeThreshold) return tensor;
      const offset = Math.ceil(size / alignment) * alignment;
      if (offset > size) chunks.push(new Uint8Array(offset - size));
      chunks.push(raw);
      size = offset + raw.length;
      const { rawData: _rawData, ...rest } = tensor;
      return {
        ...rest,
        dataLocation: 1,
        externalData: [
          { key: "location", value: location },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(raw.length) },
        ],
      };
    });
    const file = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      file.set(chunk, at);
      at += chunk.length;
    }
    externalFiles.set(location, file);
  }
  const type = getModelProtoType();
  const problem = type.verify(toEncode);
  if (problem !== null) {
    throw new InvalidArgumentError({
      message: `writeOnnx: model is not a valid ModelProto (${problem})`,
      argument: "model",
    });
  }
  const writer = type.encode(toEncode as unknown as protobuf.Message);
  // protobufjs hands out a Node Buffer in Node; callers get a plain Uint8Array everywhere.
  const encoded = writer.finish();
  return { bytes: new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length), externalFiles };
}
