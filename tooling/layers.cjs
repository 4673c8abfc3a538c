// The layer table of DESIGN.md: a package may import only packages on LOWER layers;
// packages on the same layer never import each other. One table feeds both the
// dependency-cruiser rules and the package.json check (scripts/check-layers.mjs).
module.exports = {
  core: 0,
  kernels: 1,
  nn: 2,
  quant: 3,
  prune: 3,
  cluster: 3,
  lowrank: 3,
  distill: 3,
  io: 4,
  onnx: 4,
  pipeline: 5, // apps/pipeline
};
