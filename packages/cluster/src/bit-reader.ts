/**
 * LSB-first bit reader over untrusted bytes. Bytes past the end read as zero, so callers never
 * index out of range; `overrun()` and `bitsConsumed()` let them reject a truncated stream.
 */
export class BitReader {
  private buffer = 0;
  private count = 0;
  private position: number;
  readonly bytes: Uint8Array;
  readonly start: number;

  constructor(bytes: Uint8Array, start: number) {
    this.bytes = bytes;
    this.start = start;
    this.position = start;
  }

  /** Tops the buffer up to 24-31 bits (never bit 31, so it stays a non-negative int32). */
  refill(): void {
    const bytes = this.bytes;
    while (this.count < 24) {
      const byte = this.position < bytes.length ? (bytes[this.position] as number) : 0;
      this.buffer |= byte << this.count;
      this.position++;
      this.count += 8;
    }
  }

  /** The next `bits` (≤ 24) bits without consuming them. */
  peek(bits: number): number {
    this.refill();
    return this.buffer & ((1 << bits) - 1);
  }

  read(bits: number): number {
    const value = this.peek(bits);
    this.skip(bits);
    return value;
  }

  skip(bits: number): void {
    this.buffer >>= bits;
    this.count -= bits;
  }

  bitsConsumed(): number {
    return (this.position - this.start) * 8 - this.count;
  }

  overrun(): boolean {
    return this.bitsConsumed() > (this.bytes.length - this.start) * 8;
  }

  byteOffset(): number {
    return this.start + Math.floor(this.bitsConsumed() / 8);
  }

  /** Decoder hot-loop access; kept as plain fields so the loop can hold them in locals. */
  state(): { buffer: number; count: number; position: number } {
    return { buffer: this.buffer, count: this.count, position: this.position };
  }

  setState(buffer: number, count: number, position: number): void {
    this.buffer = buffer;
    this.count = count;
    this.position = position;
  }
}
