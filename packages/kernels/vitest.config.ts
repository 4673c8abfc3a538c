import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mergeConfig } from "vitest/config";
import { definePackageTestConfig } from "../../tooling/vitest.preset";

const here = dirname(fileURLToPath(import.meta.url));

// This package's own tests run the wasm tier too: the `test` script generates the binary
// first, and the placeholder import is pointed at it (other packages keep the placeholder).
export default mergeConfig(definePackageTestConfig(), {
  resolve: { alias: [{ find: /^\.\/wasm-binary$/, replacement: join(here, "src", "generated", "wasm-binary.ts") }] },
});
