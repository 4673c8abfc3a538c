import { InvalidArgumentError } from "@mc/core";

/**
 * File writing shared by the safetensors and `.mcz` writers: a temporary file in the target's
 * folder, fsync, then rename, so a reader never sees half a file; and a guard that refuses to
 * replace a file this process is reading from. `node:fs` is imported lazily so the byte codecs
 * of this package stay usable in browsers.
 */

type FsPromises = typeof import("node:fs/promises");
type FileHandle = import("node:fs/promises").FileHandle;

let fsModule: Promise<FsPromises> | undefined;
export function loadFs(): Promise<FsPromises> {
  fsModule ??= import("node:fs/promises");
  return fsModule;
}

/** Files currently open for reading through this package, keyed by `device:inode`. */
const openInputs = new Map<string, { path: string; count: number }>();

export function fileIdentity(stats: { dev: number | bigint; ino: number | bigint }): string {
  return `${stats.dev}:${stats.ino}`;
}

/** Marks a file as an input of this process; returns the function that unmarks it. */
export function registerInput(identity: string, path: string): () => void {
  const entry = openInputs.get(identity);
  if (entry === undefined) openInputs.set(identity, { path, count: 1 });
  else entry.count++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const current = openInputs.get(identity);
    if (current === undefined) return;
    current.count--;
    if (current.count === 0) openInputs.delete(identity);
  };
}

export interface WriteTargetOptions {
  /** Replace an existing file at the path (never one this process is reading, nor one in `inputPaths`). */
  overwrite?: boolean;
  /** Extra paths that must not be written over, e.g. the file a model was read from. */
  inputPaths?: readonly string[];
}

/**
 * Throws unless `path` may be written: an existing file is replaced only with `overwrite`, and
 * never when it is an open input or one of `inputPaths` (compared by device and inode, so
 * links and relative spellings are caught too).
 */
export async function assertWritableTarget(caller: string, path: string, options: WriteTargetOptions): Promise<void> {
  const { overwrite = false, inputPaths = [] } = options;
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: path must be a non-empty string, got ${JSON.stringify(path)}`,
      argument: "path",
      value: path,
    });
  }
  const fs = await loadFs();
  let stats: Awaited<ReturnType<FsPromises["stat"]>>;
  try {
    stats = await fs.stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const identity = fileIdentity(stats);
  const open = openInputs.get(identity);
  if (open !== undefined) {
    throw new InvalidArgumentError({
      message: `${caller}: refusing to write over ${path}: it is the input file ${open.path}, which is open for reading`,
      argument: "path",
      value: path,
    });
  }
  for (const input of inputPaths) {
    try {
      if (fileIdentity(await fs.stat(input)) === identity) {
        throw new InvalidArgumentError({
          message: `${caller}: refusing to write over ${path}: it is the input file ${input}`,
          argument: "path",
          value: path,
        });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  if (!overwrite) {
    throw new InvalidArgumentError({
      message: `${caller}: ${path} already exists; pass { overwrite: true } to replace it`,
      argument: "path",
      value: path,
    });
  }
}

/** A fresh hidden name next to `path` for a file that is renamed into place or deleted. */
export function temporaryPath(path: string, suffix = "tmp"): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const folder = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const random = Math.floor(Math.random() * 0xffffffff).toString(16);
  return `${folder}.${base}.${process.pid}.${random}.${suffix}`;
}

/**
 * Runs `fill` with a handle on a fresh temporary file next to `path`, then fsyncs and renames
 * it over `path`. On any error the temporary file is removed and `path` is left untouched.
 */
export async function withAtomicFile<T>(path: string, fill: (handle: FileHandle) => Promise<T>): Promise<T> {
  const fs = await loadFs();
  const temporary = temporaryPath(path);
  const handle = await fs.open(temporary, "wx");
  try {
    const result = await fill(handle);
    await handle.sync();
    await handle.close();
    await fs.rename(temporary, path);
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Writes every byte of `bytes` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    // Large chunks are split so one write never exceeds what the OS accepts in a call.
    const chunk = bytes.subarray(done, Math.min(bytes.length, done + 0x40000000));
    const { bytesWritten } = await handle.write(chunk, 0, chunk.length, position + done);
    done += bytesWritten;
  }
}

/** Reads exactly `length` bytes at `position` into `target`, or fails naming what was short. */
export async function readFully(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  onShort: (bytesRead: number) => Error,
): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const chunk = Math.min(target.length - done, 0x40000000);
    const { bytesRead } = await handle.read(target, done, chunk, position + done);
    if (bytesRead === 0) throw onShort(done);
    done += bytesRead;
  }
}
