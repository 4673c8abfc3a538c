import { createRng, FormatError } from "@mc/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32, decodeMcz, encodeMcz, encodeSafetensors, type McEntry, readSafetensors } from "../src/index";
import { randomFloats, sampleModel } from "./model-fixtures";

/**
 * Corrupt input must end in a FormatError: never another exception, a hang, or an
 * allocation out of proportion to the file.
 */

function outcome(fn: () => unknown): "ok" | "format" {
  try {
    fn();
    return "ok";
  } catch (error) {
    if (FormatError.isInstance(error)) return "format";
    throw error;
  }
}

/** Bytes held by the typed arrays of a decoded model. */
function decodedBytes(entries: McEntry[]): number {
  let total = 0;
  const add = (a: ArrayBufferView) => {
    total += a.byteLength;
  };
  for (const e of entries) {
    if (e.encoding === "dense") add(e.tensor.data);
    else if (e.encoding === "quantized") [e.quantized.data, e.quantized.scale, e.quantized.zeroPoint].forEach(add);
    else if (e.encoding === "sparse-shared") [e.sparse.codebook, e.sparse.gaps, e.sparse.codes].forEach(add);
    else [e.left.data, e.right.data].forEach(add);
  }
  return total;
}

/** Recomputes every CRC of a (possibly mutated) file so mutations reach the deeper validation. */
function reseal(bytes: Uint8Array, mutateHeader?: (header: any) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + length)));
  const dataStart = Math.ceil((20 + length) / 8) * 8;
  const data = bytes.subarray(dataStart);
  mutateHeader?.(header);
  for (const tensor of header.tensors ?? []) {
    for (const record of Object.values(tensor?.sections ?? {}) as number[][]) {
      if (Array.isArray(record) && record[0]! + record[1]! <= data.length) {
        record[2] = crc32(data.subarray(record[0], record[0]! + record[1]!));
      }
    }
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((20 + json.length) / 8) * 8;
  const out = new Uint8Array(start + data.length);
  out.set(bytes.subarray(0, 12));
  const outView = new DataView(out.buffer);
  outView.setUint32(12, json.length, true);
  outView.setUint32(16, crc32(json, crc32(out.subarray(8, 16))), true);
  out.set(json, 20);
  out.set(data, start);
  return out;
}

// The same small model with its sparse layer Huffman-coded (format 1.0) and bit-packed (1.1).
const variants: Array<[string, Uint8Array]> = [
  ["Huffman", encodeMcz(sampleModel(5, "tiny"))],
  ["packed", encodeMcz(sampleModel(5, "tiny", "none"))],
];

describe.each(variants)(".mcz robustness (%s sparse layer)", (_variant, tiny) => {
  it(`a ${tiny.length}-byte file truncated at every length gives FormatError`, () => {
    for (let length = 0; length < tiny.length; length++) {
      const result = outcome(() => decodeMcz(tiny.slice(0, length)));
      if (result !== "format") throw new Error(`truncated to ${length} of ${tiny.length} bytes decoded without error`);
    }
    expect(outcome(() => decodeMcz(tiny))).toBe("ok");
  });

  it("every single-bit flip at every position of the small file gives FormatError (CRC-32 catches all)", () => {
    let flips = 0;
    for (let byte = 0; byte < tiny.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = tiny.slice();
        copy[byte] = (copy[byte] as number) ^ (1 << bit);
        if (outcome(() => decodeMcz(copy)) !== "format")
          throw new Error(`flip of bit ${bit} in byte ${byte} went unnoticed`);
        flips++;
      }
    }
    expect(flips).toBe(tiny.length * 8);
  });

  it("appended bytes give FormatError", () => {
    const longer = new Uint8Array(tiny.length + 1);
    longer.set(tiny);
    expect(outcome(() => decodeMcz(longer))).toBe("format");
  });

  it("fuzz: random byte mutations, insertions and cuts never crash, hang or over-allocate", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(tiny.length - 1), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (mutations) => {
          let bytes = tiny.slice();
          for (const [position, value, op] of mutations) {
            const at = Math.min(position, bytes.length);
            if (op === 0) bytes[at] = value;
            else if (op === 1) bytes = new Uint8Array([...bytes.subarray(0, at), value, ...bytes.subarray(at)]);
            else bytes = bytes.slice(0, at);
          }
          outcome(() => decodeMcz(bytes));
        },
      ),
      { numRuns: 400, seed: 42 },
    );
  });

  it("fuzz with CRCs resealed: mutated sections reach the decoders and still only give FormatError", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (mutations) => {
          const bytes = tiny.slice();
          const dataStart = Math.ceil((20 + new DataView(bytes.buffer).getUint32(12, true)) / 8) * 8;
          for (const [position, value] of mutations) bytes[dataStart + (position % (bytes.length - dataStart))] = value;
          const sealed = reseal(bytes);
          let decoded: McEntry[] | undefined;
          const result = outcome(() => {
            decoded = decodeMcz(sealed).entries;
          });
          if (result === "ok") expect(decodedBytes(decoded!)).toBeLessThanOrEqual(16 * sealed.length);
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });

  it("fuzz with CRCs resealed: hostile header values (huge shapes, counts, offsets, wrong types) give FormatError", () => {
    const fields = [
      "shape",
      "entryCount",
      "indexBits",
      "codebookSize",
      "rank",
      "axis",
      "blockSize",
      "dtype",
      "scheme",
      "encoding",
      "name",
      "codebookDtype",
      "factorDtype",
      "kind",
      "entropyCoding",
    ];
    const hostile = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom(
        2 ** 31,
        2 ** 53,
        1e300,
        0.5,
        Number.MAX_SAFE_INTEGER,
        "f16",
        "int4",
        "zip",
        "",
        null,
        true,
        "none",
        "huffman",
      ),
      fc.array(fc.oneof(fc.nat(10), fc.constant(2 ** 40), fc.constant(-1)), { maxLength: 4 }),
      fc.constant({ __proto__: 1 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(5), fc.constantFrom(...fields), hostile), { minLength: 1, maxLength: 3 }),
        (edits) => {
          const sealed = reseal(tiny, (header) => {
            for (const [index, field, value] of edits) {
              const tensor = header.tensors[index % header.tensors.length];
              if (value === undefined) delete tensor[field];
              else tensor[field] = value;
            }
          });
          let decoded: McEntry[] | undefined;
          const result = outcome(() => {
            decoded = decodeMcz(sealed).entries;
          });
          if (result === "ok") expect(decodedBytes(decoded!)).toBeLessThanOrEqual(16 * sealed.length);
        },
      ),
      { numRuns: 600, seed: 3 },
    );
  });

  it("a resealed header whose sections overlap, leave gaps, or point past the end gives FormatError", () => {
    const edits: Array<(h: any) => void> = [
      (h) => {
        h.tensors[1].sections.values[0] = 0;
      },
      (h) => {
        h.tensors[0].sections.codebook[0] += 8;
      },
      (h) => {
        h.tensors[0].sections.codebook[1] = 1e9;
      },
      (h) => {
        h.tensors.push(h.tensors[0]);
      },
      (h) => {
        h.tensors[1].name = h.tensors[0].name;
      },
      (h) => {
        h.metadata = { a: 1 };
      },
    ];
    for (const edit of edits) expect(outcome(() => decodeMcz(reseal(tiny, edit)))).toBe("format");
  });
});

describe("safetensors robustness", () => {
  const rng = createRng(8);
  const file = encodeSafetensors(
    {
      a: { shape: [3, 2], data: randomFloats(rng, 6) },
      b: { dtype: "F16", shape: [4], data: randomFloats(rng, 4) },
      c: { shape: [1], data: new Int32Array([5]) },
    },
    { metadata: { k: "v" } },
  );

  it("truncation at every length gives FormatError", () => {
    for (let length = 0; length < file.length; length++) {
      if (outcome(() => readSafetensors(file.slice(0, length))) !== "format")
        throw new Error(`truncated to ${length} decoded`);
    }
  });

  it("fuzz: random mutations of the header and length prefix give a valid file or FormatError", () => {
    const headerEnd = 8 + Number(new DataView(file.buffer).getBigUint64(0, true));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(headerEnd - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (mutations) => {
          const bytes = file.slice();
          for (const [position, value] of mutations) bytes[position] = value;
          outcome(() => readSafetensors(bytes));
        },
      ),
      { numRuns: 500, seed: 5 },
    );
  });
});
