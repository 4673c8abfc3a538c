import * as zlib from "node:zlib";
import { createRng } from "@mc/core";
import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32";

const encoder = new TextEncoder();

describe("crc32", () => {
  it("matches the published check value of CRC-32/ISO-HDLC: '123456789' → 0xCBF43926", () => {
    expect(crc32(encoder.encode("123456789"))).toBe(0xcbf43926);
  });

  it("gives 0 for empty input and the known value for 'The quick brown fox jumps over the lazy dog'", () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(encoder.encode("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });

  it("agrees with node:zlib crc32 on random buffers of many lengths, and chains across chunks", () => {
    const zlibCrc = (zlib as unknown as { crc32: (data: Uint8Array, value?: number) => number }).crc32;
    expect(typeof zlibCrc).toBe("function");
    const rng = createRng(9);
    for (let length = 0; length < 300; length += 7) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = rng.integer(0, 255);
      const ours = crc32(bytes);
      const theirs = zlibCrc(bytes) >>> 0;
      if (ours !== theirs) throw new Error(`length ${length}: ours ${ours} zlib ${theirs}`);
      const cut = length >> 1;
      expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)))).toBe(ours);
    }
  });
});
