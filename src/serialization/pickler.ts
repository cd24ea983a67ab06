// Pickle writer (protocol 2) for PyTorch checkpoints. It emits only the opcodes PyTorch's own
// torch.save output uses and its weights_only loader accepts (BINUNICODE strings, BININT*/LONG1
// ints, BINFLOAT, NEWTRUE/NEWFALSE, NONE, EMPTY_DICT/LIST + SETITEMS/APPENDS, MARK/TUPLE*, GLOBAL,
// REDUCE, BINPERSID) and no memo: repeated objects are written again; tensors go through a callback.

import { unsavable } from './tree.js';

const td = new TextEncoder();

export class PickleWriter {
  private buf = new Uint8Array(256);
  private n = 0;

  constructor() { this.byte(0x80); this.byte(2); } // PROTO 2

  private reserve(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  private byte(b: number): void { this.reserve(1); this.buf[this.n++] = b; }
  private raw(b: Uint8Array): void { this.reserve(b.length); this.buf.set(b, this.n); this.n += b.length; }
  private u32(v: number): void { this.reserve(4); new DataView(this.buf.buffer).setUint32(this.n, v, true); this.n += 4; }

  mark(): void { this.byte(0x28); }
  none(): void { this.byte(0x4e); }
  bool(v: boolean): void { this.byte(v ? 0x88 : 0x89); }
  /** A safe integer: BININT1/BININT2/BININT, else LONG1 (two's complement, little-endian). */
  int(v: number): void {
    if (v >= 0 && v < 0x100) { this.byte(0x4b); this.byte(v); return; }
    if (v >= 0 && v < 0x10000) { this.byte(0x4d); this.byte(v & 0xff); this.byte(v >>> 8); return; }
    if (v >= -0x80000000 && v <= 0x7fffffff) { this.byte(0x4a); this.reserve(4); new DataView(this.buf.buffer).setInt32(this.n, v, true); this.n += 4; return; }
    const bytes: number[] = [];
    let x = BigInt(v);
    for (;;) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
      // Stop once the remaining value is the sign extension of the last byte written.
      if ((x === 0n && !(bytes[bytes.length - 1]! & 0x80)) || (x === -1n && bytes[bytes.length - 1]! & 0x80)) break;
    }
    this.byte(0x8a); this.byte(bytes.length); this.raw(Uint8Array.from(bytes));
  }
  float(v: number): void { this.byte(0x47); this.reserve(8); new DataView(this.buf.buffer).setFloat64(this.n, v, false); this.n += 8; }
  str(s: string): void { const b = td.encode(s); this.byte(0x58); this.u32(b.length); this.raw(b); }
  global(module: string, name: string): void { this.byte(0x63); this.raw(td.encode(`${module}\n${name}\n`)); }
  /** TUPLE of everything since the last mark. */
  tuple(): void { this.byte(0x74); }
  emptyTuple(): void { this.byte(0x29); }
  emptyDict(): void { this.byte(0x7d); }
  emptyList(): void { this.byte(0x5d); }
  setItems(): void { this.byte(0x75); }
  appends(): void { this.byte(0x65); }
  reduce(): void { this.byte(0x52); }
  persId(): void { this.byte(0x51); }
  /** A tuple of ints (sizes, strides). */
  intTuple(xs: readonly number[]): void {
    if (xs.length === 0) { this.emptyTuple(); return; }
    this.mark(); for (const x of xs) this.int(x); this.tuple();
  }
  finish(): Uint8Array { this.byte(0x2e); return this.buf.slice(0, this.n); } // STOP
}

/** JS object keys that JS itself treats as array indices ('0', '17') are written as Python ints. */
function isIndexKey(k: string): boolean {
  const n = Number(k);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 - 1 && String(n) === k;
}

/**
 * Writes a tree of plain values. `special(v, path)` returns true after writing a value it owns
 * (tensors); anything that is neither special nor a plain value is a TypeError naming its path.
 */
export function pickleTree(w: PickleWriter, root: unknown, special: (v: unknown, path: string) => boolean, what: string): void {
  const open = new Set<object>();
  const walk = (v: unknown, path: string): void => {
    if (special(v, path)) return;
    if (v === null) return w.none();
    if (typeof v === 'boolean') return w.bool(v);
    if (typeof v === 'string') return w.str(v);
    if (typeof v === 'number') {
      // Integer-valued numbers become Python ints (JS has no int/float distinction); -0 stays a float.
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return w.int(v);
      return w.float(v);
    }
    if (typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      if (open.has(v)) throw new TypeError(`${what}: the object contains a cycle at ${path || 'the top level'}`);
      open.add(v);
      if (Array.isArray(v)) {
        w.emptyList();
        if (v.length) { w.mark(); v.forEach((x, i) => walk(x, `${path}[${i}]`)); w.appends(); }
      } else {
        const entries = Object.entries(v);
        w.emptyDict();
        if (entries.length) {
          w.mark();
          for (const [k, x] of entries) {
            if (isIndexKey(k)) w.int(Number(k)); else w.str(k);
            walk(x, path ? `${path}.${k}` : k);
          }
          w.setItems();
        }
      }
      open.delete(v);
      return;
    }
    throw unsavable(what, path, v);
  };
  walk(root, '');
}
