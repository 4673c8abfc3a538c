/**
 * Huffman decode throughput vs Node's zlib inflate on the same input, same run. Streams are
 * skewed 5-bit cluster-index-like symbols (one byte per symbol for zlib, its natural input).
 * Both decoders reproduce the same n symbols; throughput is symbols (= decoded bytes) per second.
 * Also records which stream mode the encoder chose and the size of each code-length table.
 */

import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { createRng } from "@mc/core";
import { huffmanDecode } from "../src/huffman-decode";
import { encodeVersion2, huffmanEncode, huffmanStreamLayout, streamModes } from "../src/huffman-encode";

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
  const layout = huffmanStreamLayout(symbols);
  const modeName = ["huffman, flat table", "huffman, delta table", "fixed width"][layout.mode] as string;
  const flatBytes = encodeVersion2(symbols, alphabet, 15, streamModes.flatTable).length;
  const deltaBytes = encodeVersion2(symbols, alphabet, 15, streamModes.deltaTable).length;
  const version1Bytes = huffmanEncode(symbols, { formatVersion: 1 }).length;
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
    mode: modeName,
    huffmanBytes: encoded.length,
    sideInformationBytes: layout.sideInformationBits / 8,
    flatTableStreamBytes: flatBytes,
    deltaTableStreamBytes: deltaBytes,
    version1Bytes,
    deflateLevel9Bytes: deflated.length,
    huffmanDecodeMsymbolsPerSecond: n / huffmanSeconds / 1e6,
    zlibInflateMsymbolsPerSecond: n / zlibSeconds / 1e6,
    huffmanOverZlibSpeed: zlibSeconds / huffmanSeconds,
  };
  rows.push(row);
  console.log(
    `${label.padEnd(22)} ${modeName} ${encoded.length} B (flat ${flatBytes}, delta ${deltaBytes}, v1 ${version1Bytes}), decode ${row.huffmanDecodeMsymbolsPerSecond.toFixed(1)} Msym/s | ` +
      `zlib ${deflated.length} B, inflate ${row.zlibInflateMsymbolsPerSecond.toFixed(1)} Msym/s | ratio ${row.huffmanOverZlibSpeed.toFixed(2)}x`,
  );
}
if (n === 4_000_000) {
  writeFileSync(
    new URL("../results/bench-huffman.json", import.meta.url),
    `${JSON.stringify(
      {
        node: process.version,
        date: new Date().toISOString(),
        machine: `shared 2-core machine, load average ${loadavg()
          .map((x) => x.toFixed(2))
          .join(" / ")} (1 / 5 / 15 min) at the end`,
        rows,
      },
      null,
      2,
    )}\n`,
  );
}
