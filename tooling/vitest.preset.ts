import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Tests import sibling workspace packages from their source, so a package's suite runs
 * without building its dependencies first and always tests the code in the tree.
 */
function workspaceSourceAliases() {
  const packagesDir = join(root, "packages");
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({
      find: new RegExp(`^@mc/${entry.name}$`),
      replacement: join(packagesDir, entry.name, "src", "index.ts"),
    }));
}

/** Shared test settings: unit tests beside the code, oracle suites under test/. */
export function definePackageTestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { alias: workspaceSourceAliases() },
    test: {
      include: overrides.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: "forks",
      // The JSON report feeds the one-line summary that CI prints (scripts/test-summary.mjs).
      reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
    },
  });
}
