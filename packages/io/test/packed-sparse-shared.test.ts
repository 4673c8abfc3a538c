import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, FormatError, InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import {
  clusterIndexBits,
  crc32,
  decodeMcz,
  encodeMcz,
  expandMczEntry,
  formatSizeBreakdown,
  type McEntropyCoding,
  type McEntry,
  mczSizeBreakdown,
  openMcz,
  type SparseSharedTensor,
  sparseSharedFromIndices,
  sparseSharedToDense,
  toKernelPack,
} from "../src/index";
import { sampleModel } from "./model-fixtures";

/**
 * The bit-packed sparse-shared variant (`entropyCoding: "none"`, format 1.1), checked against an
 * independent reading of the file: DataView + JSON.parse for the container, and a bit-by-bit
 * LSB-first reader written here from docs/mcz-format.md (not @mc/cluster's unpackBits).
 */

interface RawFile {
  major: number;
  minor: number;
  header: { tensors: Array<Record<string, unknown> & { sections: Record<string, [number, number, number]> }> };
  section: (tensor: number, role: string) => Uint8Array;
}

function readRaw(bytes: Uint8Array): RawFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + length)));
  const dataStart = Math.ceil((20 + length) / 8) * 8;
  return {
    major: view.getUint16(8, true),
    minor: view.getUint16(10, true),
    header,
    section: (tensor, role) => {
      const [offset, size] = header.tensors[tensor].sections[role];
      return bytes.subarray(dataStart + offset, dataStart + offset + size);
    },
  };
}

/** Value i occupies stream bits [i·bits, (i+1)·bits); stream bit b is bit (b mod 8) of byte ⌊b/8⌋. */
function referenceUnpack(stream: Uint8Array, bits: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let value = 0;
    for (let j = 0; j < bits; j++) {
      const b = i * bits + j;
      value += (((stream[b >> 3] as number) >> (b & 7)) & 1) * 2 ** j;
    }
    out.push(value);
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array, label: string): void {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) throw new Error(`${label}: length ${x.length} vs ${y.length}`);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) throw new Error(`${label}: index ${i}: ${a[i]} vs ${b[i]} (length ${a.length})`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, label: string): void {
  if (a.length !== b.length) throw new Error(`${label}: ${a.length} bytes vs ${b.length}`);
  const at = a.findIndex((v, i) => v !== b[i]);
  if (at >= 0) throw new Error(`${label}: byte ${at}: ${a[at]} vs ${b[at]} (length ${a.length})`);
}

/** A pruned, shared tensor with `codebookSize` entries (entry 0 is the pruned zero). */
function randomSparse(seed: number, shape: number[], codebookSize: number, indexBits: number, sparsity: number) {
  const rng = createRng(seed);
  const count = shape.reduce((a, b) => a * b, 1);
  const codebook = Float32Array.from({ length: codebookSize }, (_, i) => (i === 0 ? 0 : (i - codebookSize / 2) / 7));
  if (codebookSize > 1 && codebook.indexOf(0, 1) > 0) codebook[codebook.indexOf(0, 1)] = 0.5 / 7;
  const indices = Uint16Array.from({ length: count }, () =>
    codebookSize === 1 || rng.uniform() < sparsity ? 0 : rng.integer(1, codebookSize - 1),
  );
  return { sparse: sparseSharedFromIndices({ shape, codebook, indices }, { indexBits }), indices, codebook };
}

function entry(sparse: SparseSharedTensor, entropyCoding: McEntropyCoding, codebookDtype: "f32" | "f16" = "f32") {
  return { name: "w", kind: "linear.weight", encoding: "sparse-shared" as const, sparse, codebookDtype, entropyCoding };
}

function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    if (FormatError.isInstance(error)) return error as FormatError;
    throw error;
  }
  throw new Error("expected a FormatError, got a result");
}

/** Rewrites one tensor header field (or its sections) and recomputes every CRC, so the decoder itself must object. */
function resealed(bytes: Uint8Array, edit: (raw: RawFile, data: Uint8Array) => void): Uint8Array {
  const raw = readRaw(bytes);
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const data = bytes.slice(Math.ceil((20 + length) / 8) * 8);
  edit(raw, data);
  for (const tensor of raw.header.tensors) {
    for (const record of Object.values(tensor.sections))
      record[2] = crc32(data.subarray(record[0], record[0] + record[1]));
  }
  const json = new TextEncoder().encode(JSON.stringify(raw.header));
  const start = Math.ceil((20 + json.length) / 8) * 8;
  const out = new Uint8Array(start + data.length);
  out.set(bytes.subarray(0, 12));
  const view = new DataView(out.buffer);
  view.setUint32(12, json.length, true);
  view.setUint32(16, crc32(json, crc32(out.subarray(8, 16))), true);
  out.set(json, 20);
  out.set(data, start);
  return out;
}

describe("packed sparse-shared: round trip", () => {
  it("stores Deep Compression Fig. 2's gaps [1, 2, 7, 2] at 3 bits as the bytes d1 05 (the example in docs/mcz-format.md)", () => {
    const dense = new Float32Array(16);
    dense[1] = 3.4;
    dense[4] = 0.9;
    dense[15] = 1.7;
    const codebook = Float32Array.from([0, 0.9, 1.7, 3.4]);
    const indices = Uint8Array.from(dense, (v) => codebook.indexOf(v));
    const sparse = sparseSharedFromIndices({ shape: [16], codebook, indices }, { indexBits: 3 });
    expect([...sparse.gaps]).toEqual([1, 2, 7, 2]);
    const raw = readRaw(encodeMcz({ entries: [entry(sparse, "none")] }));
    expect([...raw.section(0, "indexStream")]).toEqual([0xd1, 0x05]);
    // Cluster indices [3, 1, 0 (the filler), 2] at 2 bits: value i in bits 2i..2i+1 of the one byte.
    expect([...raw.section(0, "clusterStream")]).toEqual([3 | (1 << 2) | (0 << 4) | (2 << 6)]);
  });

  it("stores gaps and cluster indices at fixed width, exactly as the format describes, for many widths and codebook sizes", () => {
    let cases = 0;
    for (const indexBits of [1, 2, 3, 5, 8, 13, 16]) {
      for (const codebookSize of [1, 2, 3, 5, 16, 17, 256, 257, 300]) {
        for (const shape of [[0], [1], [7, 9], [40, 30]]) {
          const { sparse } = randomSparse(cases, shape, codebookSize, indexBits, 0.85);
          const bytes = encodeMcz({ entries: [entry(sparse, "none")] });
          const raw = readRaw(bytes);
          const label = `indexBits ${indexBits} codebook ${codebookSize} shape [${shape}]`;
          expect(raw.minor, label).toBe(1);
          expect(raw.header.tensors[0]!.entropyCoding, label).toBe("none");
          expect(Object.keys(raw.header.tensors[0]!.sections), label).toEqual([
            "codebook",
            "indexStream",
            "clusterStream",
          ]);
          const n = sparse.gaps.length;
          const codeBits = clusterIndexBits(codebookSize);
          expect(codeBits, label).toBe(Math.max(1, Math.ceil(Math.log2(codebookSize))));
          const gapStream = raw.section(0, "indexStream");
          const codeStream = raw.section(0, "clusterStream");
          expect(gapStream.length, label).toBe(Math.ceil((n * indexBits) / 8));
          expect(codeStream.length, label).toBe(Math.ceil((n * codeBits) / 8));
          expect(referenceUnpack(gapStream, indexBits, n), label).toEqual([...sparse.gaps]);
          expect(referenceUnpack(codeStream, codeBits, n), label).toEqual([...sparse.codes]);

          const decoded = decodeMcz(bytes).entries[0]!;
          if (decoded.encoding !== "sparse-shared") throw new Error(label);
          expect(decoded.entropyCoding).toBe("none");
          expect(decoded.sparse.codes).toBeInstanceOf(codebookSize <= 256 ? Uint8Array : Uint16Array);
          expect([...decoded.sparse.gaps], label).toEqual([...sparse.gaps]);
          expect([...decoded.sparse.codes], label).toEqual([...sparse.codes]);
          sameBits(expandMczEntry(decoded).data, sparseSharedToDense(sparse).data, label);
          sameBytes(encodeMcz(decodeMcz(bytes)), bytes, `${label}: re-encoded`);
          cases++;
        }
      }
    }
    expect(cases).toBe(7 * 9 * 4);
  });

  it("decodes to the same tensor, bit for bit, as the Huffman variant of the same layer (fp32 and fp16 codebooks)", () => {
    const { sparse, indices, codebook } = randomSparse(5, [64, 48], 32, 5, 0.9);
    for (const dtype of ["f32", "f16"] as const) {
      const [huffman, packed] = (["huffman", "none"] as const).map(
        (coding) => decodeMcz(encodeMcz({ entries: [entry(sparse, coding, dtype)] })).entries[0]!,
      );
      sameBits(expandMczEntry(packed!).data, expandMczEntry(huffman!).data, `${dtype} packed vs Huffman`);
    }
    const packed = decodeMcz(encodeMcz({ entries: [entry(sparse, "none")] })).entries[0]!;
    sameBits(
      expandMczEntry(packed).data,
      Float32Array.from(indices, (c) => codebook[c]!),
      "packed vs the weight-shared tensor",
    );
  });

  it("writes minor version 0 for files without packed layers (1.0 files keep their bytes) and 1 with one", () => {
    expect(readRaw(encodeMcz(sampleModel())).minor).toBe(0);
    expect(readRaw(encodeMcz(sampleModel(7, "small", "huffman"))).minor).toBe(0);
    sameBytes(encodeMcz(sampleModel(7, "small", "huffman")), encodeMcz(sampleModel()), "explicit default");
    const mixed = encodeMcz(sampleModel(7, "small", "none"));
    expect(readRaw(mixed).minor).toBe(1);
    const decoded = decodeMcz(mixed);
    expect(decoded.entries.map((e) => (e.encoding === "sparse-shared" ? e.entropyCoding : e.encoding))).toEqual([
      "none",
      "dense",
      "quantized",
      "quantized",
      "low-rank",
      "dense",
    ]);
    sameBytes(encodeMcz(decoded), mixed, "mixed re-encoded");
  });

  it("is larger than Huffman on skewed data and holds exactly the P+Q bits", () => {
    const { sparse } = randomSparse(9, [256, 256], 32, 5, 0.9);
    const sizes = (["huffman", "none"] as const).map((c) => encodeMcz({ entries: [entry(sparse, c)] }).length);
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    const [layer] = mczSizeBreakdown(encodeMcz({ entries: [entry(sparse, "none")] })).layers;
    const n = sparse.gaps.length;
    expect(layer!.sections.indexStream).toBe(Math.ceil((n * 5) / 8));
    expect(layer!.sections.clusterStream).toBe(Math.ceil((n * 5) / 8));
  });

  it("openMcz reads packed layers lazily to the same entries as decodeMcz", async () => {
    const folder = await mkdtemp(join(tmpdir(), "mc-io-packed-"));
    try {
      const bytes = encodeMcz(sampleModel(3, "small", "none"));
      const path = join(folder, "packed.mcz");
      await writeFile(path, bytes);
      const file = await openMcz(path);
      const lazy: McEntry[] = [];
      for await (const e of file) lazy.push(e);
      await file.close();
      const whole = decodeMcz(bytes).entries;
      expect(lazy.length).toBe(whole.length);
      lazy.forEach((e, i) => {
        sameBits(expandMczEntry(e).data, expandMczEntry(whole[i]!).data, e.name);
      });
      expect(lazy[0]).toMatchObject({ encoding: "sparse-shared", entropyCoding: "none" });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("packed sparse-shared: kernel packs and size breakdown", () => {
  it("toKernelPack gives the same CSR + codebook from packed and Huffman storage", () => {
    const { sparse } = randomSparse(12, [30, 70], 16, 3, 0.93);
    const [huffman, packed] = (["huffman", "none"] as const).map((coding) =>
      toKernelPack(decodeMcz(encodeMcz({ entries: [entry(sparse, coding)] })).entries[0]!),
    );
    if (packed?.type !== "sparse-codebook" || huffman?.type !== "sparse-codebook") throw new Error("not CSR");
    expect([...packed.weight.rowPointers]).toEqual([...huffman.weight.rowPointers]);
    expect([...packed.weight.columnIndices]).toEqual([...huffman.weight.columnIndices]);
    expect([...packed.weight.codeIndices]).toEqual([...huffman.weight.codeIndices]);
    sameBits(packed.weight.codebook, huffman.weight.codebook, "codebook");
    // Fillers (3-bit gaps over 93 % zeros) are stored but left out of the CSR.
    expect(packed.weight.columnIndices.length).toBeLessThan(sparse.gaps.length);
  });

  it("reports P+Q bits and no Huffman columns or tables for packed layers; mixed files keep the H columns", () => {
    const packedOnly = mczSizeBreakdown(
      encodeMcz({
        entries: [
          entry(randomSparse(1, [20, 50], 6, 3, 0.8).sparse, "none"),
          { name: "b", encoding: "dense", tensor: { data: new Float32Array(20), shape: [20] } },
        ],
      }),
    );
    const layer = packedOnly.layers[0]!;
    expect(layer).toMatchObject({ entropyCoding: "none", weightBitsPacked: 3, indexBitsPacked: 3 });
    expect(layer.weightBitsHuffman).toBeUndefined();
    expect(layer.indexBitsHuffman).toBeUndefined();
    expect(layer.categories.huffmanTables).toBe(0);
    expect(layer.categories.indices).toBe(Math.ceil((layer.storedEntries! * 3) / 8));
    const sum = packedOnly.layers.reduce((a, l) => a + l.totalBytes, 0) + packedOnly.containerBytes;
    expect(sum).toBe(packedOnly.fileBytes);
    const table = formatSizeBreakdown(packedOnly);
    expect(table).not.toContain("P+Q+H");
    const rows = table.split("\n").map((line) => line.split("|").length);
    expect(new Set(rows).size, table).toBe(1); // every row has the same number of cells
    expect(table).toContain("| w | sparse-shared | 1000 |");

    const layerSparse = randomSparse(2, [20, 50], 6, 3, 0.8).sparse;
    const mixed = formatSizeBreakdown(
      mczSizeBreakdown(
        encodeMcz({
          entries: [
            { ...entry(layerSparse, "huffman"), name: "coded" },
            { ...entry(layerSparse, "none"), name: "packed" },
          ],
        }),
      ),
    );
    expect(mixed).toContain("weight bits (P+Q+H)");
    expect(mixed).toMatch(/\| packed \| sparse-shared \| 1000 \| [\d.]+% \| 3 \| – \| 3 \| – \|/);
    expect(mixed).toMatch(/\| coded \| sparse-shared \| 1000 \| [\d.]+% \| 3 \| [\d.]+ \| 3 \| [\d.]+ \|/);
    // A file with no sparse layer at all keeps the full Deep Compression layout.
    const denseOnly = encodeMcz({
      entries: [{ name: "b", encoding: "dense", tensor: { data: new Float32Array(4), shape: [4] } }],
    });
    expect(formatSizeBreakdown(mczSizeBreakdown(denseOnly))).toContain("P+Q+H");
  });
});

describe("packed sparse-shared: bad input", () => {
  const { sparse } = randomSparse(21, [10, 12], 5, 3, 0.7);
  const packed = encodeMcz({ entries: [entry(sparse, "none")] });

  it("rejects an unknown entropyCoding when encoding", () => {
    let error: unknown;
    try {
      encodeMcz({ entries: [{ ...entry(sparse, "none"), entropyCoding: "zstd" as never }] });
    } catch (e) {
      error = e;
    }
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/entropyCoding must be one of "huffman", "none", got "zstd"/);
  });

  it("rejects entropyCoding written explicitly as the default, or in a file that says 1.0", () => {
    const explicit = resealed(packed, (raw) => {
      raw.header.tensors[0]!.entropyCoding = "huffman";
    });
    expect(formatErrorOf(() => decodeMcz(explicit)).message).toMatch(/entropyCoding must be "none" when present/);
    const old = packed.slice();
    new DataView(old.buffer).setUint16(10, 0, true);
    const downgraded = resealed(old, () => {});
    expect(formatErrorOf(() => decodeMcz(downgraded)).message).toMatch(
      /uses entropyCoding, which format version 1.1 introduced, but the file says 1.0/,
    );
  });

  it("rejects Huffman sections under a packed header and packed sections under a Huffman header", () => {
    const huffman = encodeMcz({ entries: [entry(sparse, "huffman")] });
    const relabelled = resealed(huffman, (raw) => {
      raw.header.tensors[0]!.entropyCoding = "none";
    });
    const withVersion = relabelled.slice();
    new DataView(withVersion.buffer).setUint16(10, 1, true);
    expect(formatErrorOf(() => decodeMcz(resealed(withVersion, () => {}))).message).toMatch(
      /has sections \[codebook, indexTable, indexStream, clusterTable, clusterStream\], expected \[codebook, indexStream, clusterStream\]/,
    );
    const stripped = resealed(packed, (raw) => {
      delete raw.header.tensors[0]!.entropyCoding;
    });
    expect(formatErrorOf(() => decodeMcz(stripped)).message).toMatch(/expected \[codebook, indexTable/);
  });

  it("rejects a stream of the wrong length, nonzero padding bits, and cluster indices past the codebook", () => {
    const n = sparse.gaps.length;
    const longer = resealed(packed, (raw) => {
      raw.header.tensors[0]!.entryCount = n - 3;
    });
    expect(formatErrorOf(() => decodeMcz(longer)).message).toMatch(/section "indexStream" has \d+ bytes/);
    expect((n * 3) % 8).not.toBe(0); // so the last byte has padding bits to corrupt
    const padded = resealed(packed, (raw, data) => {
      const [offset, length] = raw.header.tensors[0]!.sections.indexStream;
      data[offset + length - 1] |= 0x80;
    });
    expect(formatErrorOf(() => decodeMcz(padded)).message).toMatch(/"indexStream" has nonzero padding bits/);
    // 5 codebook entries pack in 3 bits, so the values 5..7 are representable but invalid.
    const outside = resealed(packed, (raw, data) => {
      const [offset] = raw.header.tensors[0]!.sections.clusterStream;
      data[offset] |= 0x07;
    });
    expect(formatErrorOf(() => decodeMcz(outside)).message).toMatch(/cluster index 7 but the codebook has 5 entries/);
  });

  it("bounds entryCount by the stream before allocating: a huge count in a tiny file is a FormatError", () => {
    const huge = resealed(packed, (raw) => {
      raw.header.tensors[0]!.entryCount = 2 ** 40;
    });
    expect(formatErrorOf(() => decodeMcz(huge)).message).toMatch(/entryCount must be an integer in \[0, \d+\]/);
  });
});
