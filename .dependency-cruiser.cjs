// Import-level enforcement of the layer rule (see tooling/layers.cjs and docs/ARCHITECTURE.md).
const layers = require("./tooling/layers.cjs");

const dirOf = (name) => (name === "pipeline" ? "apps/pipeline" : `packages/${name}`);
const escapeRegExp = (s) => s.replace(/[/.]/g, "\\$&");

const forbidden = [];
for (const [from, fromLayer] of Object.entries(layers)) {
  const banned = Object.entries(layers)
    .filter(([to, toLayer]) => to !== from && toLayer >= fromLayer)
    .map(([to]) => to);
  if (banned.length === 0) continue;
  // A sibling counts as imported whether it resolved to its folder or stayed a bare specifier.
  const targets = banned.flatMap((to) => [`^${escapeRegExp(dirOf(to))}/`, `^@mc/${to}($|/)`]);
  forbidden.push({
    name: `layer-${from}`,
    comment: `@mc/${from} is on layer ${fromLayer}: it may import only packages on lower layers (${banned
      .map((b) => `@mc/${b}`)
      .join(", ")} are not)`,
    severity: "error",
    from: { path: `^${escapeRegExp(dirOf(from))}/` },
    to: { path: targets.join("|") },
  });
}

forbidden.push({
  name: "no-circular",
  severity: "error",
  comment: "Circular imports make layers meaningless and initialisation order fragile.",
  from: {},
  to: { circular: true },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|build|node_modules|\\.turbo)/" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
