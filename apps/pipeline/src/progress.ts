/**
 * Progress output: a redrawn bar when stderr is a terminal, plain lines otherwise (CI logs,
 * pipes), so long stages show life without flooding logs.
 */
export interface ProgressReporter {
  stage(name: string): void;
  update(done: number, total: number, detail?: string): void;
  log(message: string): void;
  end(): void;
}

export function createProgress({ quiet = false }: { quiet?: boolean } = {}): ProgressReporter {
  const tty = process.stderr.isTTY === true;
  let current = "";
  let lastPlainPercent = -1;
  let barShown = false;
  const clear = () => {
    if (barShown) {
      process.stderr.write("\r\x1b[2K");
      barShown = false;
    }
  };
  return {
    stage(name) {
      if (quiet) return;
      clear();
      current = name;
      lastPlainPercent = -1;
      process.stderr.write(`» ${name}\n`);
    },
    update(done, total, detail = "") {
      if (quiet || total <= 0) return;
      const fraction = Math.min(1, done / total);
      if (tty) {
        const width = 28;
        const filled = Math.round(fraction * width);
        const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
        process.stderr.write(`\r\x1b[2K  ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}`);
        barShown = true;
      } else {
        const percent = Math.min(100, Math.floor(fraction * 4) * 25); // a plain line every quarter
        if (percent !== lastPlainPercent) {
          lastPlainPercent = percent;
          process.stderr.write(`  ${current}: ${percent}% ${detail}\n`);
        }
      }
    },
    log(message) {
      if (quiet) return;
      clear();
      process.stderr.write(`  ${message}\n`);
    },
    end() {
      clear();
    },
  };
}
