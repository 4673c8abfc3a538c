import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError } from "./cli-error";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs` with CLI-shaped errors: unknown flags and missing values become one line. */
export function parseCommandArgs(
  command: string,
  argv: string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" }, verbose: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    };
  } catch (error) {
    throw new CliError(`mc ${command}: ${(error as Error).message.replace(/^.*?: /, "")} (see 'mc ${command} --help')`);
  }
}

export function numberOption(
  command: string,
  name: string,
  value: unknown,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min || number > max || (integer && !Number.isInteger(number))) {
    throw new CliError(
      `mc ${command}: --${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], got '${String(value)}'`,
    );
  }
  return number;
}
