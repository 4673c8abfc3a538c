import { CliError } from "../cli-error";

export async function run(_argv: string[]): Promise<void> {
  throw new CliError("mc compress: not implemented yet");
}
