import { defineConfig, type Options } from "tsup";

/**
 * The build every package shares: ESM + CJS with `.d.ts`/`.d.cts`, one entry per public
 * file, sourcemaps, no minification (readable reference code is part of the product).
 */
export function definePackageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    shims: true,
    treeshake: true,
    splitting: false,
    ...overrides,
  });
}
