import { shareWeights } from "@mc/cluster";
import { decodeMcz, encodeMcz, expandMczEntry, type McModel, sparseSharedFromIndices } from "@mc/io";
import { createLenet5, createLenet300100, loadMnist, loadParameters, type Module } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { compileMcz } from "./compressed-model";

/**
 * The compiled .mcz (packed sparse products, im2col convolutions, fused ReLU) must compute what
 * @mc/nn's own layers compute on the same expanded weights: a slow, independent reference.
 */
function compressedFile(model: Module, architecture: string, weightNames: string[], keep: number): Uint8Array {
  const entries: McModel["entries"] = [];
  for (const p of model.parameters()) {
    if (!weightNames.includes(p.name)) {
      entries.push({
        name: p.name,
        kind: p.kind,
        encoding: "dense",
        tensor: { data: p.value.data, shape: p.value.shape },
      });
      continue;
    }
    // Magnitude-prune to `keep`, then share the survivors at 4 bits.
    const magnitudes = Float32Array.from(p.value.data, Math.abs).sort();
    const threshold = magnitudes[Math.floor((1 - keep) * magnitudes.length)]!;
    const pruned = Float32Array.from(p.value.data, (v) => (Math.abs(v) < threshold ? 0 : v));
    const share = shareWeights({ data: pruned, shape: p.value.shape }, { clusters: 15 });
    entries.push({
      name: p.name,
      kind: p.kind,
      encoding: "sparse-shared",
      sparse: sparseSharedFromIndices({ shape: share.shape, codebook: share.codebook, indices: share.indices }),
    });
  }
  return encodeMcz({ entries, metadata: { architecture } });
}

function expectSameLogits(fileBytes: Uint8Array, reference: Module, batch: number) {
  const decoded = decodeMcz(fileBytes);
  loadParameters(reference, Object.fromEntries(decoded.entries.map((e) => [e.name, expandMczEntry(e)])));
  reference.eval();
  const compiled = compileMcz(decoded);
  const digits = loadMnist({ seed: 0 }).test;
  const features = digits.images.length / digits.count;
  const input = digits.images.subarray(0, batch * features);
  const expected = reference.forward({ data: input, shape: [batch, ...compiled.architecture.input] }).data;
  const actual = compiled.forward(input, batch);
  expect(actual.length).toBe(expected.length);
  const scale = expected.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * (1 + scale))) {
      expect.fail(`logit ${i} (batch ${batch}): compiled ${actual[i]}, @mc/nn ${expected[i]}`);
    }
  }
}

describe("compileMcz", () => {
  it("LeNet-300-100 from sparse-shared entries equals @mc/nn on the expanded weights (batch 1 and 9)", () => {
    const names = ["fc1.weight", "fc2.weight", "fc3.weight"];
    const file = compressedFile(createLenet300100({ seed: 1 }), "lenet-300-100", names, 0.1);
    for (const batch of [1, 9]) expectSameLogits(file, createLenet300100({ seed: 2 }), batch);
  });

  it("LeNet-5 with sparse-shared convolutions (im2col + packed product) equals @mc/nn's Conv2d", () => {
    const names = ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"];
    const file = compressedFile(createLenet5({ seed: 1 }), "lenet5", names, 0.2);
    for (const batch of [1, 3]) expectSameLogits(file, createLenet5({ seed: 2 }), batch);
  });
});
