// A small protocol-buffers encoder for TensorBoard's event files: varints (uint64 and two's-complement
// int64), fixed32/fixed64 (float, double), length-delimited fields (bytes, strings, nested messages)
// and packed repeated doubles. Writing only; fields are emitted in the order the caller writes them.

const WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5;
const utf8 = new TextEncoder();

/** Builds one protobuf message into a growable byte buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** A base-128 varint: a non-negative integer (up to 2^53) or a bigint taken modulo 2^64. */
  varint(v: number | bigint): this {
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff && Number.isInteger(v)) {
      this.ensure(5);
      while (v > 0x7f) { this.buf[this.len++] = (v & 0x7f) | 0x80; v >>>= 7; }
      this.buf[this.len++] = v;
      return this;
    }
    let b = BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
    this.ensure(10);
    while (b > 0x7fn) { this.buf[this.len++] = Number(b & 0x7fn) | 0x80; b >>= 7n; }
    this.buf[this.len++] = Number(b);
    return this;
  }

  private tag(field: number, wire: number): void { this.varint(field * 8 + wire); }

  /** A varint field (uint32/uint64/int32/int64/enum/bool); negative values as 64-bit two's complement. */
  int(field: number, v: number | bigint | boolean): this {
    this.tag(field, WIRE_VARINT);
    return this.varint(typeof v === 'boolean' ? (v ? 1 : 0) : v);
  }

  /** A double (fixed64) field. */
  double(field: number, v: number): this {
    this.tag(field, WIRE_FIXED64);
    this.scratch.setFloat64(0, v, true);
    this.raw(new Uint8Array(this.scratch.buffer, 0, 8));
    return this;
  }

  /** A float (fixed32) field: the value rounded to float32. */
  float(field: number, v: number): this {
    this.tag(field, WIRE_FIXED32);
    this.scratch.setFloat32(0, v, true);
    this.raw(new Uint8Array(this.scratch.buffer, 0, 4));
    return this;
  }

  /** A length-delimited bytes field. */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(b.length);
    this.raw(b);
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, s: string): this { return this.bytes(field, utf8.encode(s)); }

  /** A nested message field. */
  message(field: number, m: ProtoWriter | Uint8Array): this {
    return this.bytes(field, m instanceof ProtoWriter ? m.finish() : m);
  }

  /** A packed repeated double field (omitted when empty, as proto3 does). */
  packedDoubles(field: number, vals: ArrayLike<number>): this {
    if (vals.length === 0) return this;
    const b = new Uint8Array(vals.length * 8);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < vals.length; i++) dv.setFloat64(i * 8, vals[i]!, true);
    return this.bytes(field, b);
  }

  /** The encoded message (a copy). */
  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}
