import { FormatError, InvalidArgumentError } from "@mc/core";
import {
  assertWritableTarget,
  fileIdentity,
  loadFs,
  readFully,
  registerInput,
  temporaryPath,
  type WriteTargetOptions,
  withAtomicFile,
  writeFully,
} from "./atomic-write";
import {
  buildSafetensorsHeader,
  decodeSafetensorsData,
  prepareSafetensorsTensor,
  type SafetensorsInputTensor,
  type SafetensorsTensor,
} from "./safetensors";
import {
  parseSafetensorsHeader,
  readSafetensorsHeaderLength,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from "./safetensors-header";

type FileHandle = import("node:fs/promises").FileHandle;

/**
 * A safetensors file opened lazily: only the header is read at open; each tensor is read by
 * its offsets when asked for, so peak memory is about the largest tensor, not the file.
 * Holds an open file handle (real state, hence a class); call `close()` when done.
 */
export class SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  readonly fileSize: number;
  #handle: FileHandle | undefined;
  readonly #release: () => void;

  private constructor(
    path: string,
    handle: FileHandle,
    header: SafetensorsHeader,
    fileSize: number,
    release: () => void,
  ) {
    this.path = path;
    this.#handle = handle;
    this.header = header;
    this.fileSize = fileSize;
    this.#release = release;
  }

  /** Opens `path`, reads and validates its header; tensor data stays on disk. */
  static async open(path: string): Promise<SafetensorsFile> {
    const caller = "openSafetensors";
    if (typeof path !== "string" || path.length === 0) {
      throw new InvalidArgumentError({
        message: `${caller}: path must be a non-empty string`,
        argument: "path",
        value: path,
      });
    }
    const fs = await loadFs();
    const handle = await fs.open(path, "r");
    try {
      const stats = await handle.stat();
      const fileSize = stats.size;
      const prefix = new Uint8Array(Math.min(8, fileSize));
      const short = (read: number) =>
        new FormatError({ message: `${caller}: ${path} ended after ${read} bytes while reading the header` });
      await readFully(handle, prefix, 0, short);
      const n = readSafetensorsHeaderLength(prefix, fileSize, caller);
      const headerBytes = new Uint8Array(n);
      await readFully(handle, headerBytes, 8, short);
      const header = parseSafetensorsHeader(headerBytes, fileSize - 8 - n, caller);
      const release = registerInput(fileIdentity(stats), path);
      return new SafetensorsFile(path, handle, header, fileSize, release);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get entries(): readonly SafetensorsEntry[] {
    return this.header.entries;
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  names(): string[] {
    return this.header.entries.map((e) => e.name);
  }

  entry(name: string): SafetensorsEntry {
    const found = this.header.entries.find((e) => e.name === name);
    if (found === undefined) {
      throw new InvalidArgumentError({
        message: `SafetensorsFile.read: no tensor named ${JSON.stringify(name)} in ${this.path}`,
        argument: "name",
        value: name,
      });
    }
    return found;
  }

  /** Reads one tensor's bytes from disk. */
  async read(name: string): Promise<SafetensorsTensor> {
    return this.#readEntry(this.entry(name));
  }

  async #readEntry(entry: SafetensorsEntry): Promise<SafetensorsTensor> {
    const handle = this.#handle;
    if (handle === undefined) {
      throw new InvalidArgumentError({
        message: `SafetensorsFile.read: ${this.path} is closed`,
        argument: "this",
        value: this.path,
      });
    }
    const [begin, end] = entry.dataOffsets;
    const bytes = new Uint8Array(end - begin);
    await readFully(
      handle,
      bytes,
      this.header.dataStart + begin,
      (read) =>
        new FormatError({
          message: `SafetensorsFile.read: ${this.path} ended after ${read} of ${end - begin} bytes of tensor ${JSON.stringify(entry.name)}`,
        }),
    );
    return decodeSafetensorsData(entry, bytes, "SafetensorsFile.read", { owned: true });
  }

  /** Yields tensors one at a time in file order; each is read only when the loop asks for it. */
  async *tensors(): AsyncGenerator<{ name: string; entry: SafetensorsEntry; tensor: SafetensorsTensor }> {
    for (const entry of this.header.entries) {
      yield { name: entry.name, entry, tensor: await this.#readEntry(entry) };
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<{ name: string; entry: SafetensorsEntry; tensor: SafetensorsTensor }> {
    return this.tensors();
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    this.#release();
    await handle.close();
  }
}

/** Opens a safetensors file lazily (see `SafetensorsFile`). */
export function openSafetensors(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.open(path);
}

export interface TransformSafetensorsOptions extends WriteTargetOptions {
  /** Metadata of the output; defaults to the input's. */
  metadata?: Record<string, string>;
  /** Called after each tensor with how many are done. */
  onProgress?: (progress: { name: string; done: number; total: number }) => void;
}

/** A per-tensor transform: return the tensor to write, or `null` to drop it. */
export type SafetensorsTransform = (
  tensor: SafetensorsTensor,
  entry: SafetensorsEntry,
) => SafetensorsInputTensor | null | Promise<SafetensorsInputTensor | null>;

const copyChunkBytes = 8 * 1024 * 1024;

/**
 * Streams `inputPath` through `transform` into `outputPath`, one tensor in memory at a time.
 * The transformed data goes to a temporary file first (the header, which lists every output
 * offset, is only known at the end), then header and data are joined into the output with an
 * atomic rename. Refuses to write over the input.
 */
export async function transformSafetensors(
  inputPath: string,
  outputPath: string,
  transform: SafetensorsTransform,
  options: TransformSafetensorsOptions = {},
): Promise<{ path: string; byteLength: number; tensorCount: number }> {
  const caller = "transformSafetensors";
  if (typeof transform !== "function") {
    throw new InvalidArgumentError({
      message: `${caller}: transform must be a function`,
      argument: "transform",
      value: transform,
    });
  }
  const fs = await loadFs();
  const input = await SafetensorsFile.open(inputPath);
  try {
    await assertWritableTarget(caller, outputPath, {
      ...options,
      inputPaths: [...(options.inputPaths ?? []), inputPath],
    });
    const specs: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; byteLength: number }> = [];
    const dataPath = temporaryPath(outputPath, "data.tmp");
    const data = await fs.open(dataPath, "wx+");
    try {
      let dataLength = 0;
      let done = 0;
      for await (const { name, entry, tensor } of input) {
        const result = await transform(tensor, entry);
        done++;
        if (result !== null) {
          const prepared = prepareSafetensorsTensor(name, result, caller);
          await writeFully(data, prepared.bytes, dataLength);
          specs.push({ name, dtype: prepared.dtype, shape: prepared.shape, byteLength: prepared.bytes.length });
          dataLength += prepared.bytes.length;
        }
        options.onProgress?.({ name, done, total: input.entries.length });
      }
      const header = buildSafetensorsHeader(specs, options.metadata ?? input.metadata, caller);
      const chunk = new Uint8Array(Math.min(copyChunkBytes, Math.max(1, dataLength)));
      await withAtomicFile(outputPath, async (out) => {
        await writeFully(out, header, 0);
        for (let offset = 0; offset < dataLength; offset += chunk.length) {
          const part = chunk.subarray(0, Math.min(chunk.length, dataLength - offset));
          await readFully(data, part, offset, () => new Error(`${caller}: temporary data file ${dataPath} is short`));
          await writeFully(out, part, header.length + offset);
        }
      });
      return { path: outputPath, byteLength: header.length + dataLength, tensorCount: specs.length };
    } finally {
      await data.close();
      await fs.rm(dataPath, { force: true });
    }
  } finally {
    await input.close();
  }
}
