#!/usr/bin/env node
// Scaffolds a package with the shared presets: `node scripts/new-package.mjs <name> "<description>"`.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [name, description = ""] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: node scripts/new-package.mjs <kebab-name> "<description>"');
  process.exit(1);
}
const dir = join("packages", name);
if (existsSync(dir)) {
  console.error(`${dir} exists already`);
  process.exit(1);
}
mkdirSync(join(dir, "src"), { recursive: true });
const pkg = {
  name: `@mc/${name}`,
  version: "0.1.0",
  description,
  license: "MIT",
  type: "module",
  sideEffects: false,
  engines: { node: ">=20" },
  exports: {
    ".": {
      import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
      require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
    },
    "./package.json": "./package.json",
  },
  main: "./dist/index.cjs",
  module: "./dist/index.js",
  types: "./dist/index.d.ts",
  files: ["dist", "README.md", "CHANGELOG.md"],
  scripts: {
    build: "tsup",
    test: "vitest run",
    typecheck: "tsc --noEmit",
    "lint:package": "publint --strict && attw --pack . --profile node16",
  },
  dependencies: { "@mc/core": "workspace:^" },
  devDependencies: {},
};
writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, "tsconfig.json"),
  `${JSON.stringify({ extends: "../../tooling/tsconfig.base.json", include: ["src", "test", "bench", "scripts", "*.ts"] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, "tsup.config.ts"),
  `import { definePackageConfig } from "../../tooling/tsup.preset";\n\nexport default definePackageConfig();\n`,
);
writeFileSync(
  join(dir, "vitest.config.ts"),
  `import { definePackageTestConfig } from "../../tooling/vitest.preset";\n\nexport default definePackageTestConfig();\n`,
);
writeFileSync(join(dir, "src", "index.ts"), `export {};\n`);
writeFileSync(join(dir, "README.md"), `# @mc/${name}\n\n${description}\n`);
console.log(`created ${dir}`);
