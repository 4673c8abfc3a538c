import { describe, expect, it } from "vitest";
import { sampleModel } from "../test/model-fixtures";
import { encodeMcz } from "./mcz";
import { formatSizeBreakdown, mczSizeBreakdown } from "./size-breakdown";

describe("mczSizeBreakdown", () => {
  const bytes = encodeMcz(sampleModel());
  const breakdown = mczSizeBreakdown(bytes);

  it("counts every byte of the file exactly once: layers + container = categories = file size", () => {
    const layerSum = breakdown.layers.reduce((a, l) => a + l.totalBytes, 0);
    expect(layerSum + breakdown.containerBytes).toBe(bytes.length);
    const categorySum = Object.values(breakdown.totals).reduce((a, b) => a + b, 0);
    expect(categorySum).toBe(bytes.length);
    for (const layer of breakdown.layers) {
      expect(Object.values(layer.categories).reduce((a, b) => a + b, 0)).toBe(layer.totalBytes);
    }
  });

  it("reports Deep Compression columns for the sparse layer from its real stream sizes", () => {
    const fc1 = breakdown.layers.find((l) => l.name === "fc1.weight")!;
    expect(fc1.encoding).toBe("sparse-shared");
    expect(fc1.indexBitsPacked).toBe(3);
    expect(fc1.weightBitsPacked).toBe(3); // 6 codebook entries
    expect(fc1.weightBitsHuffman).toBe((fc1.sections.clusterStream! * 8) / fc1.storedEntries!);
    expect(fc1.density).toBeGreaterThan(0.05);
    expect(fc1.density).toBeLessThan(0.4);
    expect(fc1.categories.huffmanTables).toBe(fc1.sections.indexTable! + fc1.sections.clusterTable!);
    expect(breakdown.denseBytes).toBe(breakdown.layers.reduce((a, l) => a + l.elementCount * 4, 0));
  });

  it("formats a Markdown table with one row per layer and a total row", () => {
    const table = formatSizeBreakdown(breakdown);
    expect(table.split("\n")).toHaveLength(2 + breakdown.layers.length + 1);
    expect(table).toContain("| fc1.weight | sparse-shared |");
  });
});
