import { elementCount } from "@mc/core";
import { align8, readContainer } from "./mcz-container";
import { decodeEntry } from "./mcz-encodings";
import type { McEntropyCoding } from "./mcz-entries";
import { clusterIndexBits } from "./sparse-shared";

/**
 * Where the bytes of an `.mcz` file go, per layer and per kind of section, in the spirit of
 * Deep Compression's Tables 2–5 (Han et al. 2016): stored weight density, bits per stored
 * weight and per relative index before (P+Q) and after Huffman coding (P+Q+H; absent for
 * bit-packed layers, whose streams hold exactly the P+Q bits), and the compression ratio
 * against fp32. Every byte of the file is counted exactly once.
 */

export type SizeCategory =
  | "values"
  | "scales"
  | "zeroPoints"
  | "codebook"
  | "indices"
  | "clusterIndices"
  | "huffmanTables"
  | "header"
  | "padding";

const sizeCategories: readonly SizeCategory[] = [
  "values",
  "scales",
  "zeroPoints",
  "codebook",
  "indices",
  "clusterIndices",
  "huffmanTables",
  "header",
  "padding",
];

const roleCategory: Record<string, SizeCategory> = {
  values: "values",
  data: "values",
  left: "values",
  right: "values",
  scale: "scales",
  zeroPoint: "zeroPoints",
  codebook: "codebook",
  indexStream: "indices",
  clusterStream: "clusterIndices",
  indexTable: "huffmanTables",
  clusterTable: "huffmanTables",
};

export interface LayerSize {
  name: string;
  kind: string;
  encoding: string;
  shape: number[];
  elementCount: number;
  /** fp32 bytes of the original tensor (elementCount × 4). */
  denseBytes: number;
  /** Bytes of each section role, plus this layer's share of the JSON header and its alignment padding. */
  sections: Record<string, number>;
  categories: Record<SizeCategory, number>;
  totalBytes: number;
  /** denseBytes / totalBytes. */
  compressionRatio: number;
  /** sparse-shared only: stored entries (nonzeros + fillers), fillers, and density = nonzeros / elements. */
  storedEntries?: number;
  fillerCount?: number;
  density?: number;
  /** sparse-shared only: Huffman-coded or fixed-width packed indices. */
  entropyCoding?: McEntropyCoding;
  /** sparse-shared only, per stored entry: ceil(log2 codebookSize), and the Huffman stream's bits (Huffman only). */
  weightBitsPacked?: number;
  weightBitsHuffman?: number;
  /** sparse-shared only, per stored entry: indexBits, and the Huffman stream's bits (Huffman only). */
  indexBitsPacked?: number;
  indexBitsHuffman?: number;
}

export interface MczSizeBreakdown {
  fileBytes: number;
  /** fp32 bytes of all tensors. */
  denseBytes: number;
  compressionRatio: number;
  layers: LayerSize[];
  /** Preamble, metadata and the JSON framing not owed to one layer, plus its padding. */
  containerBytes: number;
  totals: Record<SizeCategory, number>;
}

function emptyCategories(): Record<SizeCategory, number> {
  return Object.fromEntries(sizeCategories.map((c) => [c, 0])) as Record<SizeCategory, number>;
}

/** Measures a `.mcz` file (validating it fully first). */
export function mczSizeBreakdown(bytes: Uint8Array): MczSizeBreakdown {
  const caller = "mczSizeBreakdown";
  const container = readContainer(bytes, caller);
  const encoder = new TextEncoder();
  const totals = emptyCategories();
  const layers: LayerSize[] = [];
  let previousEnd = 0;
  let layerBytes = 0;
  let denseTotal = 0;
  container.tensors.forEach(({ header, sections, records }, index) => {
    const entry = decodeEntry(header, sections, index, container.minorVersion);
    const categories = emptyCategories();
    const sectionSizes: Record<string, number> = {};
    const recordJson: Record<string, number[]> = {};
    for (const [role, record] of records) {
      const padding = record.offset - previousEnd;
      categories.padding += padding;
      sectionSizes[role] = record.length;
      categories[roleCategory[role] ?? "values"] += record.length;
      previousEnd = record.offset + record.length;
      recordJson[role] = [record.offset, record.length, record.crc32];
    }
    // The layer's share of the header: its JSON object and the comma that separates it.
    categories.header =
      encoder.encode(JSON.stringify({ ...header, sections: recordJson })).length + (index > 0 ? 1 : 0);
    const shape = (header.shape as number[]).slice();
    const count = elementCount(shape, caller);
    const totalBytes = sizeCategories.reduce((acc, c) => acc + categories[c], 0);
    const layer: LayerSize = {
      name: entry.name,
      kind: entry.kind ?? "other",
      encoding: entry.encoding,
      shape,
      elementCount: count,
      denseBytes: count * 4,
      sections: sectionSizes,
      categories,
      totalBytes,
      compressionRatio: totalBytes === 0 ? Number.POSITIVE_INFINITY : (count * 4) / totalBytes,
    };
    if (entry.encoding === "sparse-shared") {
      const { sparse } = entry;
      const entries = sparse.gaps.length;
      let fillers = 0;
      for (const code of sparse.codes) if (sparse.codebook[code] === 0) fillers++;
      layer.storedEntries = entries;
      layer.fillerCount = fillers;
      layer.density = count === 0 ? 0 : (entries - fillers) / count;
      layer.entropyCoding = entry.entropyCoding ?? "huffman";
      layer.weightBitsPacked = clusterIndexBits(sparse.codebook.length);
      layer.indexBitsPacked = sparse.indexBits;
      if (layer.entropyCoding === "huffman") {
        layer.weightBitsHuffman = entries === 0 ? 0 : (sectionSizes.clusterStream! * 8) / entries;
        layer.indexBitsHuffman = entries === 0 ? 0 : (sectionSizes.indexStream! * 8) / entries;
      }
    }
    for (const c of sizeCategories) totals[c] += categories[c];
    layerBytes += totalBytes;
    denseTotal += count * 4;
    layers.push(layer);
  });
  const containerBytes = bytes.length - layerBytes;
  totals.header += containerBytes - (align8(20 + container.headerLength) - 20 - container.headerLength);
  totals.padding += align8(20 + container.headerLength) - 20 - container.headerLength;
  return {
    fileBytes: bytes.length,
    denseBytes: denseTotal,
    compressionRatio: bytes.length === 0 ? 0 : denseTotal / bytes.length,
    layers,
    containerBytes,
    totals,
  };
}

function fixed(value: number | undefined, digits = 1): string {
  return value === undefined ? "–" : value.toFixed(digits);
}

/**
 * A Markdown table in the layout of Deep Compression's per-layer tables. The Huffman (P+Q+H)
 * columns are left out when the file's sparse layers are all bit-packed (the P+Q table).
 */
export function formatSizeBreakdown(breakdown: MczSizeBreakdown): string {
  const huffman =
    breakdown.layers.some((l) => l.entropyCoding === "huffman") ||
    !breakdown.layers.some((l) => l.entropyCoding === "none");
  const cells = (row: string[], h: string[]) => (huffman ? [row[0], h[0], row[1], h[1]] : row);
  const lines = [
    `| layer | encoding | #weights | weights % (P) | ${cells(["weight bits (P+Q)", "index bits (P+Q)"], ["weight bits (P+Q+H)", "index bits (P+Q+H)"]).join(" | ")} | bytes | compress rate |`,
    `| --- | --- | ---: | ---: | ${cells(["---:", "---:"], ["---:", "---:"]).join(" | ")} | ---: | ---: |`,
  ];
  for (const layer of breakdown.layers) {
    const bits = cells(
      [fixed(layer.weightBitsPacked, 0), fixed(layer.indexBitsPacked, 0)],
      [fixed(layer.weightBitsHuffman), fixed(layer.indexBitsHuffman)],
    );
    lines.push(
      `| ${layer.name} | ${layer.encoding} | ${layer.elementCount} | ${layer.density === undefined ? "–" : `${(layer.density * 100).toFixed(1)}%`} | ${bits.join(" | ")} | ${layer.totalBytes} | ${(layer.compressionRatio).toFixed(1)}× |`,
    );
  }
  lines.push(
    `| total (file, ${breakdown.containerBytes} B container header) | | ${breakdown.denseBytes / 4} |${" |".repeat(huffman ? 5 : 3)} ${breakdown.fileBytes} | ${breakdown.compressionRatio.toFixed(1)}× |`,
  );
  return lines.join("\n");
}
