import { FormatError, InvalidArgumentError } from "@mc/core";
import { fileIdentity, loadFs, readFully, registerInput } from "./atomic-write";
import {
  align8,
  type ContainerLayout,
  checkTensorSections,
  mczPreambleBytes,
  readContainerLayout,
  readPreamble,
  tensorRegion,
} from "./mcz-container";
import { decodeEntry } from "./mcz-encodings";
import type { McEntry } from "./mcz-entries";

type FileHandle = import("node:fs/promises").FileHandle;

export interface MczTensorInfo {
  name: string;
  kind: string;
  encoding: string;
  shape: number[];
  /** Bytes this tensor's sections take in the file. */
  byteLength: number;
}

/**
 * An `.mcz` file opened lazily: the header is read and validated at open (layout, CRC, the
 * file length), each tensor's sections are read, CRC-checked and decoded only when asked for.
 * Holds an open file handle; call `close()` when done.
 */
export class MczFile {
  readonly path: string;
  readonly layout: ContainerLayout;
  readonly #regions: Array<[number, number]>;
  #handle: FileHandle | undefined;
  readonly #release: () => void;

  private constructor(path: string, handle: FileHandle, layout: ContainerLayout, release: () => void) {
    this.path = path;
    this.#handle = handle;
    this.layout = layout;
    this.#release = release;
    let previousEnd = 0;
    this.#regions = layout.tensors.map(({ records }) => {
      const region = tensorRegion(records, previousEnd);
      previousEnd = region[1];
      return region;
    });
  }

  static async open(path: string): Promise<MczFile> {
    const caller = "openMcz";
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
      const short = (read: number) =>
        new FormatError({ message: `${caller}: ${path} ended after ${read} bytes of its header` });
      const preamble = new Uint8Array(Math.min(mczPreambleBytes, stats.size));
      await readFully(handle, preamble, 0, short);
      const headerLength = readPreamble(preamble, stats.size, caller);
      const prefix = new Uint8Array(Math.min(stats.size, align8(mczPreambleBytes + headerLength)));
      await readFully(handle, prefix, 0, short);
      const layout = readContainerLayout(prefix, stats.size, caller);
      const names = new Set<string>();
      for (const [index, { header }] of layout.tensors.entries()) {
        const name = header.name;
        if (typeof name !== "string")
          throw new FormatError({ message: `${caller}: tensor ${index} has no string name` });
        if (names.has(name))
          throw new FormatError({ message: `${caller}: duplicate tensor name ${JSON.stringify(name)}` });
        names.add(name);
      }
      return new MczFile(path, handle, layout, registerInput(fileIdentity(stats), path));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get metadata(): Record<string, string> {
    return this.layout.metadata;
  }

  /** Name, kind, encoding, shape and stored size of every tensor, without reading any data. */
  get tensors(): MczTensorInfo[] {
    return this.layout.tensors.map(({ header }, t) => {
      const [start, end] = this.#regions[t] as [number, number];
      return {
        name: header.name as string,
        kind: String(header.kind),
        encoding: String(header.encoding),
        shape: Array.isArray(header.shape) ? (header.shape as number[]).slice() : [],
        byteLength: end - start,
      };
    });
  }

  names(): string[] {
    return this.layout.tensors.map(({ header }) => header.name as string);
  }

  /** Reads, checks and decodes one tensor (in its stored encoding). */
  async read(name: string): Promise<McEntry> {
    const index = this.layout.tensors.findIndex(({ header }) => header.name === name);
    if (index < 0) {
      throw new InvalidArgumentError({
        message: `MczFile.read: no tensor named ${JSON.stringify(name)} in ${this.path}`,
        argument: "name",
        value: name,
      });
    }
    return this.#readIndex(index);
  }

  async #readIndex(index: number): Promise<McEntry> {
    const caller = "MczFile.read";
    const handle = this.#handle;
    if (handle === undefined) {
      throw new InvalidArgumentError({
        message: `${caller}: ${this.path} is closed`,
        argument: "this",
        value: this.path,
      });
    }
    const { header, records } = this.layout.tensors[index] as ContainerLayout["tensors"][number];
    const [start, end] = this.#regions[index] as [number, number];
    const region = new Uint8Array(end - start);
    await readFully(
      handle,
      region,
      this.layout.dataStart + start,
      (read) =>
        new FormatError({
          message: `${caller}: ${this.path} ended after ${read} of ${end - start} bytes of tensor ${index}`,
        }),
    );
    const label = `tensor ${JSON.stringify(header.name)}`;
    const sections = checkTensorSections(region, start, records, label, this.layout.dataStart, caller);
    return decodeEntry(header, sections, index, this.layout.minorVersion);
  }

  /** Yields entries one at a time in file order. */
  async *entries(): AsyncGenerator<McEntry> {
    for (let i = 0; i < this.layout.tensors.length; i++) yield await this.#readIndex(i);
  }

  [Symbol.asyncIterator](): AsyncGenerator<McEntry> {
    return this.entries();
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    this.#release();
    await handle.close();
  }
}

/** Opens an `.mcz` file lazily (see `MczFile`). */
export function openMcz(path: string): Promise<MczFile> {
  return MczFile.open(path);
}
