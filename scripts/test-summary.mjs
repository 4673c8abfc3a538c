#!/usr/bin/env node
// Sums the per-package vitest JSON reports (written by tooling/vitest.preset.ts) into one
// closing line, "Tests: N passed, N failed", and fails when any package has no report.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ["packages", "apps"]) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    const dir = join(base, entry.name);
    if (!entry.isDirectory() || !existsSync(join(dir, "package.json"))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    if (!pkg.scripts?.test) continue;
    const report = join(dir, ".vitest-report.json");
    if (!existsSync(report)) {
      missing.push(pkg.name);
      continue;
    }
    const json = JSON.parse(readFileSync(report, "utf8"));
    const p = json.numPassedTests ?? 0;
    const f = (json.numFailedTests ?? 0) + (json.numFailedTestSuites ?? 0);
    const s = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    console.log(
      `${pkg.name.padEnd(16)} ${String(p).padStart(5)} passed ${String(f).padStart(3)} failed ${String(s).padStart(3)} skipped`,
    );
    passed += p;
    failed += f;
    skipped += s;
  }
}
for (const name of missing) console.log(`${name.padEnd(16)} no test report (the suite did not run)`);
const line = `Tests: ${passed} passed, ${failed + missing.length} failed${skipped ? `, ${skipped} skipped` : ""}`;
console.log(line);
process.exit(failed + missing.length > 0 || passed === 0 ? 1 : 0);
