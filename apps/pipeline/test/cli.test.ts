import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = join(import.meta.dirname, "..", "dist", "cli.js");

async function mc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("mc demo (shortened) end to end", () => {
  const out = mkdtempSync(join(tmpdir(), "mc-demo-"));
  let report: {
    model: string;
    dataset: { train: number; test: number; seed: number };
    stages: Array<{ name: string; bytes: number; ratio: number; accuracy: number }>;
    artifact: { path: string; bytes: number; accuracy: number };
  };

  beforeAll(async () => {
    expect(existsSync(cli), `the CLI must be built first: ${cli}`).toBe(true);
    const result = await mc(["demo", "--epochs-scale", "0.1", "--no-side-rows", "--quiet", "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  }, 600_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("writes report.json with the documented shape and the fp32 baseline first", () => {
    expect(report.model).toBe("lenet-300-100");
    expect(report.dataset).toMatchObject({ train: 8000, test: 2000, seed: 0 });
    const [baseline] = report.stages;
    expect(baseline?.name).toBe("fp32 baseline");
    expect(baseline?.bytes).toBe(4 * (784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10));
    for (const stage of report.stages) {
      expect(stage.ratio).toBeCloseTo((baseline?.bytes ?? 0) / stage.bytes, 9);
      expect(stage.accuracy).toBeGreaterThanOrEqual(0);
      expect(stage.accuracy).toBeLessThanOrEqual(1);
    }
    // Even a tenth of the training gives a real classifier, far above chance (10%).
    expect(baseline?.accuracy).toBeGreaterThan(0.8);
  });

  it("artifact.bytes is the size of the .mcz on disk and the file is many times smaller than fp32", () => {
    expect(statSync(report.artifact.path).size).toBe(report.artifact.bytes);
    expect(report.stages[0]!.bytes / report.artifact.bytes).toBeGreaterThan(20);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it("mc eval on the written file reproduces the reported accuracy exactly", async () => {
    const result = await mc(["eval", report.artifact.path, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const evaluated = JSON.parse(result.stdout);
    expect(evaluated.accuracy).toBe(report.artifact.accuracy);
    expect(evaluated.count).toBe(2000);
  });
});

describe("mc command-line errors", () => {
  it("an unknown command, a missing file and a bad option value each give one line and exit code 1", async () => {
    const unknown = await mc(["frobnicate"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    const missing = await mc(["eval", "/nonexistent/model.mcz"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no such file");
    expect(missing.stderr).not.toContain("    at ");
    const bad = await mc(["demo", "--epochs-scale", "zero"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--epochs-scale must be a number");
  });

  it("a corrupt .mcz gives a format error, not a stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mc-bad-"));
    const path = join(dir, "bad.mcz");
    writeFileSync(path, Buffer.from("this is not an mcz file at all"));
    const result = await mc(["eval", path]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain("    at ");
    expect(result.stderr.length).toBeGreaterThan(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("--help works on every command", async () => {
    for (const command of ["demo", "eval"]) {
      const result = await mc([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`mc ${command}`);
    }
  });
});
