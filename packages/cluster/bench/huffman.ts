/**
 * Huffman decode throughput vs Node's zlib inflate on the same input, same run. Streams are
 * skewed 5-bit cluster-index-like symbols (one byte per symbol for zlib, its natural input).
 * Both decoders reproduce the same n symbols; throughput is symbols (= decoded bytes) per second.
 */
import { writeFileSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { createRng } from "@mc/core";
import { huffmanDecode } from "../src/huffman-decode";
import { huffmanEncode } from "../src/huffman-encode";

const n = Number(process.env.BENCH_N ?? 4_000_000);
const rows: Record<string, number | string>[] = [];

/** Best of `repeats` in CPU seconds (user + system) of this process: the machine is shared, wall time is not ours. */
function bestOf(repeats: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  return best;
}

for (const [label, alphabet, ratio] of [
  ["5-bit, geometric 0.85", 32, 0.85],
  ["8-bit, geometric 0.97", 256, 0.97],
  ["5-bit, uniform", 32, 1],
] as const) {
  const rng = createRng(1);
  const symbols = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (ratio === 1) {
      symbols[i] = rng.integer(0, alphabet - 1);
      continue;
    }
    let s = 0;
    while (s < alphabet - 1 && rng.uniform() > 1 - ratio) s++;
    symbols[i] = s;
  }
  const encoded = huffmanEncode(symbols);
  const deflated = deflateRawSync(symbols, { level: 9 });
  const decoded = huffmanDecode(encoded);
  const inflated = inflateRawSync(deflated);
  for (let i = 0; i < n; i++) {
    if (decoded[i] !== symbols[i] || inflated[i] !== symbols[i]) throw new Error(`mismatch at ${i}`);
  }
  const huffmanSeconds = bestOf(5, () => huffmanDecode(encoded));
  const zlibSeconds = bestOf(5, () => inflateRawSync(deflated));
  const row = {
    stream: label,
    symbols: n,
    huffmanBytes: encoded.length,
    deflateLevel9Bytes: deflated.length,
    huffmanDecodeMsymbolsPerSecond: n / huffmanSeconds / 1e6,
    zlibInflateMsymbolsPerSecond: n / zlibSeconds / 1e6,
    huffmanOverZlibSpeed: zlibSeconds / huffmanSeconds,
  };
  rows.push(row);
  console.log(
    `${label.padEnd(22)} huffman ${encoded.length} B, decode ${row.huffmanDecodeMsymbolsPerSecond.toFixed(1)} Msym/s | ` +
      `zlib ${deflated.length} B, inflate ${row.zlibInflateMsymbolsPerSecond.toFixed(1)} Msym/s | ratio ${row.huffmanOverZlibSpeed.toFixed(2)}x`,
  );
}
if (n === 4_000_000) {
  writeFileSync(
    new URL("../results/bench-huffman.json", import.meta.url),
    `${JSON.stringify({ node: process.version, date: new Date().toISOString(), machine: "shared busy 2-core", rows }, null, 2)}\n`,
  );
}
