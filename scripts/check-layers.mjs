#!/usr/bin/env node
// The dependency check of CI. Three parts:
//  1. every package.json lists only @mc/* dependencies on lower layers;
//  2. dependency-cruiser finds no import that breaks the layer rule in packages/ and apps/;
//  3. the deliberately broken fixture (tooling/layer-fixture) IS reported, proving the check bites.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const layers = require("../tooling/layers.cjs");
const root = new URL("..", import.meta.url).pathname;
let failures = 0;

function packageDirs() {
  const dirs = [];
  for (const group of ["packages", "apps"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(base, entry.name, "package.json"))) dirs.push(join(base, entry.name));
    }
  }
  return dirs;
}

for (const dir of packageDirs()) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const self = pkg.name.replace(/^@mc\//, "");
  if (!(self in layers)) {
    console.error(`check-layers: ${pkg.name} has no layer in tooling/layers.cjs`);
    failures++;
    continue;
  }
  const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
  for (const dep of Object.keys(deps)) {
    if (!dep.startsWith("@mc/")) continue;
    const other = dep.slice(4);
    if (!(other in layers) || layers[other] >= layers[self]) {
      console.error(
        `check-layers: ${pkg.name} (layer ${layers[self]}) depends on ${dep} (layer ${layers[other]}); only lower layers are allowed`,
      );
      failures++;
    }
  }
}

const depcruise = join(root, "node_modules", ".bin", "depcruise");
function cruise(cwd, paths, config) {
  try {
    execFileSync(depcruise, ["--config", config, "--output-type", "err", ...paths], { cwd, stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (error) {
    return { ok: false, output: `${error.stdout ?? ""}${error.stderr ?? ""}` };
  }
}

const sources = packageDirs()
  .map((dir) => join(dir, "src"))
  .filter(existsSync)
  .map((dir) => dir.slice(root.length));
const tree = cruise(root, sources, join(root, ".dependency-cruiser.cjs"));
if (!tree.ok) {
  console.error(tree.output);
  console.error("check-layers: dependency-cruiser found layer violations in the tree");
  failures++;
}

const fixtureRoot = join(root, "tooling", "layer-fixture");
const fixture = cruise(fixtureRoot, ["packages"], join(root, ".dependency-cruiser.cjs"));
if (fixture.ok || !fixture.output.includes("layer-core") || !fixture.output.includes("layer-prune")) {
  console.error(fixture.output);
  console.error("check-layers: the broken fixture was NOT reported as violating layer-core and layer-prune");
  failures++;
}

if (failures > 0) {
  console.error(`check-layers: ${failures} problem(s)`);
  process.exit(1);
}
console.log(`check-layers: ${packageDirs().length} packages respect the layer rule; the broken fixture is caught`);
