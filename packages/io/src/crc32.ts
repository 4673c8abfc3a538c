/**
 * CRC-32 as used by zlib, PNG and ZIP (reflected polynomial 0xEDB88320, initial value and
 * final xor 0xFFFFFFFF). Written here rather than taken from `node:zlib` so the `.mcz`
 * codec runs in browsers too.
 */

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  return table;
}

/**
 * CRC-32 of `bytes`; pass the previous result as `previous` to continue a running checksum
 * over several chunks (`crc32(b, crc32(a))` equals `crc32(a ++ b)`).
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const t = crcTable();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
