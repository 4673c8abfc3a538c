import { defineConfig } from "vitest/config";

/** Shared test settings: unit tests beside the code, oracle suites under test/. */
export function definePackageTestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    test: {
      include: overrides.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: "forks",
      reporters: process.env.CI ? ["default"] : ["default"],
    },
  });
}
