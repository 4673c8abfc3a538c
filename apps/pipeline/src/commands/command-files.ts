import { existsSync, realpathSync, statSync } from "node:fs";
import { extname } from "node:path";
import { McError } from "@mc/core";
import { CliError } from "../cli-error";

/** The input must exist and be a regular file. */
export function requireInputFile(command: string, path: string | undefined, what: string): string {
  if (!path) throw new CliError(`mc ${command}: give ${what} (see 'mc ${command} --help')`);
  if (!existsSync(path)) throw new CliError(`mc ${command}: no such file '${path}'`);
  if (!statSync(path).isFile()) throw new CliError(`mc ${command}: '${path}' is not a file`);
  return path;
}

/**
 * The output may be written: never the input itself (by real path), and an existing file only
 * with --force. The writers in @mc/io and @mc/onnx check the same again, atomically.
 */
export function checkOutputPath(command: string, output: string | undefined, input: string, force: boolean): string {
  if (!output) throw new CliError(`mc ${command}: give the output file with -o <path> (see 'mc ${command} --help')`);
  if (existsSync(output)) {
    if (realpathSync(output) === realpathSync(input)) {
      throw new CliError(`mc ${command}: the output '${output}' is the input file; choose another -o path`);
    }
    if (!force) throw new CliError(`mc ${command}: '${output}' already exists; add --force to replace it`);
  }
  return output;
}

export function requireExtension(command: string, path: string, extensions: string[], what: string): void {
  if (!extensions.includes(extname(path).toLowerCase())) {
    throw new CliError(`mc ${command}: '${path}' is not ${what} (expected ${extensions.join(" or ")})`);
  }
}

/** Library errors (corrupt files, bad values) become one CLI line naming the file. */
export async function explainFailure<T>(command: string, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (McError.isInstance(error))
      throw new CliError(`mc ${command}: cannot process '${path}': ${(error as Error).message}`);
    throw error;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

export function formatDb(db: number): string {
  return Number.isFinite(db) ? db.toFixed(1) : "exact";
}

/** JSON.stringify that writes Infinity (an exact SQNR) as null, as JSON has no Infinity. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
}
