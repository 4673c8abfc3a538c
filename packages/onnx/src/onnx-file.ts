import { InvalidArgumentError, McError } from "@mc/core";
import type { OnnxModel } from "./onnx-schema";
import { nodeBuiltin, type ReadOnnxOptions, readOnnx, type WriteOnnxOptions, writeOnnx } from "./read-onnx";

interface NodeFsPromises {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  realpath(path: string): Promise<string>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}
interface NodePath {
  dirname(path: string): string;
  resolve(...parts: string[]): string;
  join(...parts: string[]): string;
  basename(path: string): string;
}

/** Files models were read from, so that writing one back over its source can be refused. */
const sourceFiles = new WeakMap<OnnxModel, string>();
const readPaths = new Set<string>();

/** Reads an ONNX file (Node); external data is resolved next to it unless `baseDir` says otherwise. */
export async function readOnnxFile(path: string, options: ReadOnnxOptions = {}): Promise<OnnxModel> {
  const fs = nodeBuiltin<NodeFsPromises>("node:fs/promises", "readOnnxFile");
  const paths = nodeBuiltin<NodePath>("node:path", "readOnnxFile");
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    throw new McError({ message: `readOnnxFile: cannot read '${path}' (${(error as Error).message})`, cause: error });
  }
  const model = readOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    baseDir: paths.dirname(path),
    ...options,
  });
  const realPath = await fs.realpath(path);
  sourceFiles.set(model, realPath);
  readPaths.add(realPath);
  return model;
}

/**
 * Writes a model (and its external data file, when asked for) atomically: to a temporary file
 * first, then renamed. Refuses to overwrite the file the model was read from, or any file a
 * model was read from in this process.
 */
export async function writeOnnxFile(
  path: string,
  model: OnnxModel,
  options: WriteOnnxOptions = {},
): Promise<{ bytes: number }> {
  const fs = nodeBuiltin<NodeFsPromises>("node:fs/promises", "writeOnnxFile");
  const paths = nodeBuiltin<NodePath>("node:path", "writeOnnxFile");
  const target = paths.resolve(path);
  let existing: string | undefined;
  try {
    existing = await fs.realpath(target);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined && (existing === sourceFiles.get(model) || readPaths.has(existing))) {
    throw new InvalidArgumentError({
      message: `writeOnnxFile: '${path}' is the file the model was read from; input files are never overwritten`,
      argument: "path",
      value: path,
    });
  }
  const { bytes, externalFiles } = writeOnnx(model, options);
  try {
    for (const [location, data] of externalFiles) {
      const file = paths.join(paths.dirname(target), location);
      await atomicWrite(fs, file, data);
    }
    await atomicWrite(fs, target, bytes);
  } catch (error) {
    throw new McError({ message: `writeOnnxFile: cannot write '${path}' (${(error as Error).message})`, cause: error });
  }
  return { bytes: bytes.length };
}

async function atomicWrite(fs: NodeFsPromises, file: string, data: Uint8Array): Promise<void> {
  const temporary = `${file}.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}
