import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { definePackageConfig } from "../../tooling/tsup.preset";

const generated = join(dirname(fileURLToPath(import.meta.url)), "src", "generated", "wasm-binary.ts");

/** Bundles the generated wasm binary (scripts/build-wasm.mjs runs first) in place of the placeholder. */
export default definePackageConfig({
  esbuildPlugins: [
    {
      name: "embed-wasm-binary",
      setup(build) {
        build.onResolve({ filter: /^\.\/wasm-binary$/ }, () => {
          if (!existsSync(generated)) throw new Error(`missing ${generated}: run scripts/build-wasm.mjs`);
          return { path: generated };
        });
      },
    },
  ],
});
