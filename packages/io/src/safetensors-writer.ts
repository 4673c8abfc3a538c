import { elementCount, formatShape, InvalidArgumentError } from "@mc/core";
import { assertWritableTarget, loadFs, temporaryPath, type WriteTargetOptions, writeFully } from "./atomic-write";
import { buildSafetensorsHeader, prepareSafetensorsTensor, type SafetensorsInputTensor } from "./safetensors";
import { type SafetensorsDtype, safetensorsDtypeSize } from "./safetensors-header";

type FileHandle = import("node:fs/promises").FileHandle;

export interface SafetensorsSpec {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
}

export interface SafetensorsWriterOptions extends WriteTargetOptions {
  metadata?: Record<string, string>;
}

/**
 * Writes a safetensors file tensor by tensor when every name, dtype and shape is known up
 * front (the header lists all offsets, so it is written first). Memory stays at one tensor;
 * the file appears at `path` only on `close()` (temporary file, fsync, rename).
 */
export class SafetensorsWriter {
  readonly path: string;
  readonly #specs: SafetensorsSpec[];
  readonly #temporary: string;
  #handle: FileHandle | undefined;
  #next = 0;
  #position: number;

  private constructor(path: string, specs: SafetensorsSpec[], temporary: string, handle: FileHandle, position: number) {
    this.path = path;
    this.#specs = specs;
    this.#temporary = temporary;
    this.#handle = handle;
    this.#position = position;
  }

  static async create(
    path: string,
    specs: readonly SafetensorsSpec[],
    options: SafetensorsWriterOptions = {},
  ): Promise<SafetensorsWriter> {
    const caller = "createSafetensorsWriter";
    const names = new Set<string>();
    const checked = specs.map((spec) => {
      if (names.has(spec.name)) {
        throw new InvalidArgumentError({
          message: `${caller}: duplicate tensor name ${JSON.stringify(spec.name)}`,
          argument: "specs",
          value: spec.name,
        });
      }
      names.add(spec.name);
      if (!Object.hasOwn(safetensorsDtypeSize, spec.dtype)) {
        throw new InvalidArgumentError({
          message: `${caller}: tensor ${JSON.stringify(spec.name)} has unknown dtype ${JSON.stringify(spec.dtype)}`,
          argument: "specs",
          value: spec.dtype,
        });
      }
      const count = elementCount(spec.shape, caller);
      const byteLength = count * safetensorsDtypeSize[spec.dtype];
      if (!Number.isSafeInteger(byteLength)) {
        throw new InvalidArgumentError({
          message: `${caller}: tensor ${JSON.stringify(spec.name)} shape ${formatShape(spec.shape)} overflows`,
          argument: "specs",
          value: spec.shape,
        });
      }
      return { name: spec.name, dtype: spec.dtype, shape: [...spec.shape], byteLength };
    });
    const header = buildSafetensorsHeader(checked, options.metadata, caller);
    await assertWritableTarget(caller, path, options);
    const fs = await loadFs();
    const temporary = temporaryPath(path);
    const handle = await fs.open(temporary, "wx");
    try {
      await writeFully(handle, header, 0);
    } catch (error) {
      await handle.close();
      await fs.rm(temporary, { force: true });
      throw error;
    }
    return new SafetensorsWriter(path, checked, temporary, handle, header.length);
  }

  /** Appends the next tensor; tensors must come in the order of the specs. */
  async write(name: string, tensor: SafetensorsInputTensor): Promise<void> {
    const caller = "SafetensorsWriter.write";
    const handle = this.#handle;
    if (handle === undefined)
      throw new InvalidArgumentError({ message: `${caller}: the writer is closed`, argument: "this" });
    const spec = this.#specs[this.#next];
    if (spec === undefined || spec.name !== name) {
      throw new InvalidArgumentError({
        message: `${caller}: expected ${spec === undefined ? "no more tensors" : `tensor ${JSON.stringify(spec.name)}`}, got ${JSON.stringify(name)}`,
        argument: "name",
        value: name,
      });
    }
    const prepared = prepareSafetensorsTensor(name, { dtype: spec.dtype, ...tensor }, caller);
    if (prepared.dtype !== spec.dtype || formatShape(prepared.shape) !== formatShape(spec.shape)) {
      throw new InvalidArgumentError({
        message: `${caller}: tensor ${JSON.stringify(name)} is ${prepared.dtype} ${formatShape(prepared.shape)} but was declared ${spec.dtype} ${formatShape(spec.shape)}`,
        argument: "tensor",
        value: prepared.shape,
      });
    }
    await writeFully(handle, prepared.bytes, this.#position);
    this.#position += prepared.bytes.length;
    this.#next++;
  }

  /** Checks that every declared tensor was written, then publishes the file atomically. */
  async close(): Promise<{ path: string; byteLength: number }> {
    const handle = this.#handle;
    if (handle === undefined)
      throw new InvalidArgumentError({ message: "SafetensorsWriter.close: the writer is closed", argument: "this" });
    if (this.#next !== this.#specs.length) {
      await this.abort();
      throw new InvalidArgumentError({
        message: `SafetensorsWriter.close: only ${this.#next} of ${this.#specs.length} declared tensors were written`,
        argument: "this",
      });
    }
    this.#handle = undefined;
    const fs = await loadFs();
    try {
      await handle.sync();
      await handle.close();
      await fs.rename(this.#temporary, this.path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.rm(this.#temporary, { force: true });
      throw error;
    }
    return { path: this.path, byteLength: this.#position };
  }

  /** Drops the temporary file; `path` is left untouched. */
  async abort(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    await handle.close().catch(() => undefined);
    const fs = await loadFs();
    await fs.rm(this.#temporary, { force: true });
  }
}

/** Opens a streaming safetensors writer (see `SafetensorsWriter`). */
export function createSafetensorsWriter(
  path: string,
  specs: readonly SafetensorsSpec[],
  options: SafetensorsWriterOptions = {},
): Promise<SafetensorsWriter> {
  return SafetensorsWriter.create(path, specs, options);
}
