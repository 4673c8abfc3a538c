/**
 * `.mcz` sparse-shared coding of a Deep Compression layer (1M weights, 90 % pruned, 32
 * clusters, 5-bit relative indices): encode/decode time and size, next to zlib (the entropy
 * coding peer) compressing the same relative indices and cluster indices stored as bytes, and
 * the bit-packed variant (`entropyCoding: "none"`: fixed 5 + 6 bits, no tables).
 *
 *   pnpm exec tsx bench/mcz-codec.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { createRng } from "@mc/core";
import { decodeMcz, encodeMcz, mczSizeBreakdown, sparseSharedFromIndices } from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));

function time<T>(fn: () => T, repeats = 5): { seconds: number; value: T } {
  let best = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    value = fn();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return { seconds: best, value: value as T };
}

const rows = 1024;
const cols = 1024;
const rng = createRng(3);
// Cluster sizes follow a bell curve like trained weights: inner centroids are used most.
const codebook = Float32Array.from({ length: 33 }, (_, i) => (i === 0 ? 0 : (i - 16.5) / 40));
const indices = new Uint8Array(rows * cols);
for (let i = 0; i < indices.length; i++) {
  if (rng.uniform() < 0.9) continue;
  indices[i] = Math.min(32, Math.max(1, Math.round(16.5 + rng.normal() * 6)));
}
const sparse = sparseSharedFromIndices({ shape: [rows, cols], codebook, indices }, { indexBits: 5 });
const model = { entries: [{ name: "fc.weight", kind: "linear.weight", encoding: "sparse-shared" as const, sparse }] };
const packedModel = { entries: [{ ...model.entries[0]!, entropyCoding: "none" as const }] };

const encoded = time(() => encodeMcz(model));
const decoded = time(() => decodeMcz(encoded.value));
const breakdown = mczSizeBreakdown(encoded.value);
const layer = breakdown.layers[0]!;
const packedEncoded = time(() => encodeMcz(packedModel));
const packedDecoded = time(() => decodeMcz(packedEncoded.value));
const packedLayer = mczSizeBreakdown(packedEncoded.value).layers[0]!;

// Peer: zlib level 9 on one byte per relative index and one byte per cluster index.
const raw = new Uint8Array(sparse.gaps.length * 2);
raw.set(Uint8Array.from(sparse.gaps), 0);
raw.set(sparse.codes, sparse.gaps.length);
const zlibEncoded = time(() => deflateRawSync(raw, { level: 9 }));
const zlibDecoded = time(() => inflateRawSync(zlibEncoded.value));
const streamBytes =
  (layer.sections.indexStream ?? 0) +
  (layer.sections.clusterStream ?? 0) +
  (layer.sections.indexTable ?? 0) +
  (layer.sections.clusterTable ?? 0);

const rowsOut = [
  {
    coder: "mcz Huffman (tables + streams)",
    bytes: streamBytes,
    encodeSeconds: encoded.seconds,
    decodeSeconds: decoded.seconds,
  },
  {
    coder: "zlib deflate -9 (same symbols as bytes)",
    bytes: zlibEncoded.value.length,
    encodeSeconds: zlibEncoded.seconds,
    decodeSeconds: zlibDecoded.seconds,
  },
  {
    // 33 codebook entries (32 clusters + the zero) take 6 bits per cluster index.
    coder: `mcz packed, entropyCoding none (${packedLayer.indexBitsPacked} + ${packedLayer.weightBitsPacked} bits)`,
    bytes: (packedLayer.sections.indexStream ?? 0) + (packedLayer.sections.clusterStream ?? 0),
    encodeSeconds: packedEncoded.seconds,
    decodeSeconds: packedDecoded.seconds,
  },
];
console.log(
  `\nsparse-shared layer [${rows}, ${cols}], ${sparse.gaps.length} stored entries (${layer.fillerCount} fillers), whole .mcz file ${encoded.value.length} bytes = ${breakdown.compressionRatio.toFixed(1)}× vs fp32`,
);
console.log("| coder | bytes | ratio vs mcz | encode ms | decode ms |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rowsOut) {
  console.log(
    `| ${r.coder} | ${r.bytes} | ${(r.bytes / streamBytes).toFixed(2)} | ${(r.encodeSeconds * 1000).toFixed(1)} | ${(r.decodeSeconds * 1000).toFixed(1)} |`,
  );
}
console.log(`bit-packed .mcz file ${packedEncoded.value.length} bytes`);
console.log("(mcz encode/decode times cover the whole file incl. CRCs and validation; zlib only the symbol bytes)");
mkdirSync(join(here, "..", "results"), { recursive: true });
writeFileSync(
  join(here, "..", "results", "bench-mcz-codec.json"),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, shape: [rows, cols], storedEntries: sparse.gaps.length, fileBytes: encoded.value.length, packedFileBytes: packedEncoded.value.length, compressionRatio: breakdown.compressionRatio, layer, coders: rowsOut, machine: "shared, busy 2-core machine" }, null, 2)}\n`,
);
