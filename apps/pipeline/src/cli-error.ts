/** An error the CLI prints as one line (what went wrong and how to fix it), exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}
