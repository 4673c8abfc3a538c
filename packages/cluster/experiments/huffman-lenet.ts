/**
 * Huffman coding on realistic streams: the cluster indices and relative-index gaps of a
 * magnitude-pruned, weight-shared LeNet-300-100 (the fig8-init.ts baseline), as Deep
 * Compression stores them. Compares the stream sizes with the Shannon bound, with the side
 * information each format actually stores, and with plain fixed-width packing.
 * Usage: pnpm exec tsx experiments/huffman-lenet.ts   (writes results/huffman-lenet.json)
 */
import { loadavg } from "node:os";
import { initKernels } from "@mc/kernels";
import { huffmanDecode } from "../src/huffman-decode";
import {
  encodeVersion2,
  huffmanEncode,
  huffmanStreamLayout,
  type StreamMode,
  streamModes,
} from "../src/huffman-encode";
import { shareWeights } from "../src/share-weights";
import { log, trainBaseline, writeJson } from "./common";

const layers = ["fc1.weight", "fc2.weight", "fc3.weight"];
const baselineEpochs = 8; // the fig8-init.ts baseline
// Deep Compression's LeNet-300-100 rates: 8% / 9% / 26% of the weights kept.
const keep: Record<string, number> = { "fc1.weight": 0.08, "fc2.weight": 0.09, "fc3.weight": 0.26 };
const indexBits = 5;
const clusters = 32;
const modeNames: Record<StreamMode, string> = { 0: "huffman, flat table", 1: "huffman, delta table", 2: "fixed width" };

const started = Date.now();
await initKernels();
const { model, accuracy } = trainBaseline(baselineEpochs);
log(`baseline LeNet-300-100: test accuracy ${accuracy}`);

/** The stored entries of a pruned, shared layer: cluster indices (0-based) and index gaps. */
function layerStreams(name: string): { clusterIndices: Uint16Array; gaps: Uint16Array } {
  const weight = model.getParameter(name).value;
  const values = weight.data.slice();
  const magnitudes = Float64Array.from(values, Math.abs).sort();
  const threshold = magnitudes[Math.floor(magnitudes.length * (1 - (keep[name] as number)))] as number;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i] as number) < threshold) values[i] = 0;
  const shared = shareWeights({ data: values, shape: weight.shape }, { clusters });
  // A gap longer than 2^indexBits - 1 is bridged by filler entries, as in the paper.
  const clusterIndices: number[] = [];
  const gaps: number[] = [];
  let last = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) continue;
    let gap = i - last;
    while (gap > 2 ** indexBits - 1) {
      gaps.push(2 ** indexBits - 1);
      clusterIndices.push(0); // filler entry: any code works, it multiplies a zero
      gap -= 2 ** indexBits - 1;
    }
    gaps.push(gap);
    clusterIndices.push((shared.indices[i] as number) - 1);
    last = i;
  }
  return { clusterIndices: Uint16Array.from(clusterIndices), gaps: Uint16Array.from(gaps) };
}

const streams: Record<string, unknown>[] = [];
for (const name of layers) {
  const { clusterIndices, gaps } = layerStreams(name);
  for (const [kind, symbols] of [
    ["cluster indices", clusterIndices],
    ["index gaps", gaps],
  ] as const) {
    const counts = new Map<number, number>();
    for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
    let entropyBits = 0;
    for (const c of counts.values()) entropyBits -= c * Math.log2(c / symbols.length);
    const alphabet = Math.max(...symbols) + 1;
    const bytes = huffmanEncode(symbols);
    const decoded = huffmanDecode(bytes);
    for (let i = 0; i < symbols.length; i++) {
      if (decoded[i] !== symbols[i]) throw new Error(`${name} ${kind}: round trip differs at ${i}`);
    }
    const layout = huffmanStreamLayout(symbols);
    if (layout.totalBytes !== bytes.length) throw new Error(`${name} ${kind}: layout disagrees with the stream`);
    const version1Bytes = huffmanEncode(symbols, { formatVersion: 1 }).length;
    const shannonBytes = entropyBits / 8;
    const sideInformationBytes = layout.sideInformationBits / 8;
    const plainTableBytes = Math.ceil((alphabet * 5) / 8);
    const fixedWidthBytes = Math.ceil((symbols.length * Math.ceil(Math.log2(alphabet))) / 8);
    const entry = {
      layer: name,
      stream: kind,
      symbols: symbols.length,
      alphabet,
      entropyBitsPerSymbol: entropyBits / symbols.length,
      shannonBytes,
      mode: modeNames[layout.mode],
      sideInformationBytes,
      codeBytes: layout.payloadBits / 8,
      totalBytes: bytes.length,
      fixedWidthBytes,
      overShannonPlusSideInformation: bytes.length / (shannonBytes + sideInformationBytes) - 1,
      bitsOverShannonPlusSideInformation:
        (layout.sideInformationBits + layout.payloadBits) / (entropyBits + layout.sideInformationBits) - 1,
      plainTableBytes,
      overShannonPlusPlainTable: bytes.length / (shannonBytes + plainTableBytes) - 1,
      version1Bytes,
      version1OverShannonPlusPlainTable: version1Bytes / (shannonBytes + plainTableBytes) - 1,
      forcedModeBytes: {
        flatTable: encodeVersion2(symbols, alphabet, 15, streamModes.flatTable).length,
        deltaTable: encodeVersion2(symbols, alphabet, 15, streamModes.deltaTable).length,
        fixedWidth: encodeVersion2(symbols, alphabet, 15, streamModes.fixedWidth).length,
      },
    };
    streams.push(entry);
    log(
      `${name} ${kind}: ${symbols.length} symbols, H = ${entry.entropyBitsPerSymbol.toFixed(3)} bits, ${entry.mode}: ` +
        `${bytes.length} B = side ${sideInformationBytes.toFixed(2)} B + codes ${entry.codeBytes.toFixed(2)} B; ` +
        `Shannon ${shannonBytes.toFixed(1)} B; over Shannon + side ${(100 * entry.overShannonPlusSideInformation).toFixed(2)}%, ` +
        `over Shannon + plain table ${(100 * entry.overShannonPlusPlainTable).toFixed(2)}% (v1 ${version1Bytes} B: ` +
        `${(100 * entry.version1OverShannonPlusPlainTable).toFixed(2)}%); fixed ${fixedWidthBytes} B`,
    );
  }
}
writeJson("huffman-lenet.json", {
  description:
    "Trained LeNet-300-100 (the fig8-init.json baseline), magnitude-pruned per layer to 8% / 9% / 26% kept, non-zeros shared at 5 bits (32 clusters, preserveZeros); streams of the stored entries' cluster indices and their relative-index gaps (5-bit gaps, filler entries for longer gaps), coded with huffmanEncode (format version 2, maxCodeLength 15).",
  definitions: {
    shannonBytes: "n · H / 8 with H the empirical entropy of the stream (bits per symbol)",
    sideInformationBytes:
      "everything the decoder needs besides the code bits, as actually stored: header byte, LEB128 symbolCount and tableSize, code-length table (or the fixed-width mode's 5-bit width field), in bits / 8",
    codeBytes: "the code bits (or fixed-width values) / 8, before padding to a whole byte",
    overShannonPlusSideInformation: "totalBytes / (shannonBytes + sideInformationBytes) - 1",
    bitsOverShannonPlusSideInformation: "the same in stored bits, before the final byte's padding",
    overShannonPlusPlainTable:
      "the previous metric: totalBytes / (shannonBytes + ceil(alphabet · 5 / 8)) - 1, a plain 5-bit length per symbol as the table",
    fixedWidthBytes: "ceil(n · ceil(log2 alphabet) / 8): plain packing, no header",
  },
  baseline: { accuracy, epochs: baselineEpochs },
  keep,
  machine: `shared 2-core machine (load average ${loadavg()[0]?.toFixed(1)}); Node ${process.version}`,
  seconds: (Date.now() - started) / 1000,
  streams,
});
