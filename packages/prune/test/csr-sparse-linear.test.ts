import { createRng } from "@mc/core";
import { type CsrMatrix as KernelsCsrMatrix, sparseLinear } from "@mc/kernels";
import { Linear } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { applyMask, fromCsr, magnitudeMask, toCsr } from "../src/index";

describe("toCsr → @mc/kernels sparseLinear", () => {
  it("a pruned Linear run through sparseLinear equals the dense masked Linear (fp32, 1e-5)", () => {
    const layer = new Linear(96, 40, { seed: 5 });
    const { mask } = magnitudeMask(layer.weight.value, { sparsity: 0.92 });
    const pruned = applyMask(layer.weight.value, mask);
    layer.weight.value = pruned;
    const csr: KernelsCsrMatrix = toCsr(pruned); // same structural type as the kernels'
    expect(csr.values.length).toBe(Math.round(0.08 * 96 * 40));
    expect(fromCsr(csr).data).toEqual(pruned.data);
    const batch = 7;
    const input = createRng(6).fillNormal(new Float32Array(batch * 96));
    const dense = layer.forward({ data: input, shape: [batch, 96] }).data;
    const sparse = sparseLinear(input, batch, csr, layer.bias?.value.data);
    for (let i = 0; i < dense.length; i++) {
      if (Math.abs(sparse[i] - dense[i]) > 1e-5 * (1 + Math.abs(dense[i]))) {
        throw new Error(`output ${i}: sparseLinear ${sparse[i]} vs dense ${dense[i]} (shape [${batch}, 40])`);
      }
    }
  });
});
