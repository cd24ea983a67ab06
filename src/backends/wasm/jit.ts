// A minimal WebAssembly bytecode emitter for kernels generated at run time (fused elementwise
// programs, ./fusedgen.ts): a function body builder with the MVP and SIMD128 opcodes the generator
// uses, and `wasmModule`, which wraps one exported function, its imported JS functions and an
// imported `env.memory` (declared shared, 65536 pages max, when the backend's memory is) in a module.
// It validates nothing itself: `new WebAssembly.Module` does.

/** Value types. */
export const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

/** One-byte opcodes (MVP). */
export const Op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, call: 0x10, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i32Load8U: 0x2d, i32Store: 0x36, i32Store8: 0x3a,
  i32Const: 0x41, f32Const: 0x43, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32GtS: 0x4a, i32GeS: 0x4e,
  f32Lt: 0x5d, f64Eq: 0x61, f64Ne: 0x62, f64Lt: 0x63,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivU: 0x6e, i32RemU: 0x70, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73,
  f32Abs: 0x8b, f64Abs: 0x99, f64Floor: 0x9c, f64Sqrt: 0x9f, f64Add: 0xa0, f64Div: 0xa3,
  i32WrapI64: 0xa7, f32DemoteF64: 0xb6, f64PromoteF32: 0xbb,
  // Reductions (./fusedreduce.ts).
  f32Store: 0x38, f64Store: 0x39, f32Min: 0x96, f32Max: 0x97, f64Mul: 0xa2,
} as const;

/** SIMD128 opcodes (after the 0xfd prefix). */
export const Simd = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c,
  i32x4Splat: 0x11, i32x4ExtractLane: 0x1b, i32x4ReplaceLane: 0x1c, f32x4ExtractLane: 0x1f, f32x4ReplaceLane: 0x20,
  i32x4Eq: 0x37, i32x4Ne: 0x38, i32x4LtS: 0x39, i32x4GtS: 0x3b, i32x4LeS: 0x3d, i32x4GeS: 0x3f,
  f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Lt: 0x43, f32x4Gt: 0x44, f32x4Le: 0x45, f32x4Ge: 0x46,
  not: 0x4d, and: 0x4e, or: 0x50, xor: 0x51, bitselect: 0x52,
  store32Lane: 0x5a, load32Zero: 0x5c,
  i8x16NarrowI16x8U: 0x66, f32x4Ceil: 0x67, f32x4Floor: 0x68, f32x4Trunc: 0x69, f32x4Nearest: 0x6a,
  i16x8NarrowI32x4U: 0x86, i16x8ExtendLowI8x16U: 0x89,
  i32x4Abs: 0xa0, i32x4Neg: 0xa1, i32x4ExtendLowI16x8U: 0xa9, i32x4Shl: 0xab, i32x4ShrS: 0xac, i32x4Add: 0xae, i32x4Sub: 0xb1,
  i32x4Mul: 0xb5, i32x4MinS: 0xb6, i32x4MaxS: 0xb8,
  f32x4Abs: 0xe0, f32x4Neg: 0xe1, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7,
  f32x4Min: 0xe8, f32x4Max: 0xe9, f32x4Pmin: 0xea, f32x4Pmax: 0xeb, i32x4TruncSatF32x4S: 0xf8, f32x4ConvertI32x4S: 0xfa,
  // Reductions (./fusedreduce.ts): float64 lane sums as wasm/reduce.ts keeps them.
  i8x16Shuffle: 0x0d, f64x2ExtractLane: 0x21, f64x2PromoteLowF32x4: 0x5f, f64x2Add: 0xf0,
} as const;
/** 0xfc-prefixed saturating truncation used for float -> int conversions. */
export const I64_TRUNC_SAT_F32_S = 4;

const f32Bits = new Float32Array(1), u32Bits = new Uint32Array(f32Bits.buffer);
const f64Bytes = new Uint8Array(new Float64Array(1).buffer);

function uleb(out: number[], v: number): void {
  v >>>= 0;
  do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v);
}
function sleb(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f; v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) { out.push(b); return; }
    out.push(b | 0x80);
  }
}

/** A function body under construction; locals are numbered after the parameters. */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(private readonly nParams: number) {}

  /** A new local of type t; returns its index. */
  local(t: ValType): number { this.locals.push(t); return this.nParams + this.locals.length - 1; }

  op(...b: number[]): this { this.bytes.push(...b); return this; }
  simd(code: number): this { this.bytes.push(0xfd); uleb(this.bytes, code); return this; }
  /** A SIMD memory access (alignment as log2 bytes, offset 0). */
  simdMem(code: number, align: number): this { this.simd(code); this.bytes.push(align, 0); return this; }
  /** A SIMD lane access to memory (store32_lane...). */
  simdMemLane(code: number, align: number, lane: number): this { this.simdMem(code, align); this.bytes.push(lane); return this; }
  lane(code: number, lane: number): this { this.simd(code); this.bytes.push(lane); return this; }
  /** A scalar memory access (alignment as log2 bytes) at a constant byte offset from the address. */
  mem(code: number, align: number, offset = 0): this { this.bytes.push(code, align); uleb(this.bytes, offset); return this; }
  get(l: number): this { this.bytes.push(Op.localGet); uleb(this.bytes, l); return this; }
  set(l: number): this { this.bytes.push(Op.localSet); uleb(this.bytes, l); return this; }
  tee(l: number): this { this.bytes.push(Op.localTee); uleb(this.bytes, l); return this; }
  i32(v: number): this { this.bytes.push(Op.i32Const); sleb(this.bytes, v); return this; }
  f32(v: number): this {
    f32Bits[0] = v;
    const b = u32Bits[0]!;
    this.bytes.push(Op.f32Const, b & 255, (b >>> 8) & 255, (b >>> 16) & 255, b >>> 24);
    return this;
  }
  f64(v: number): this {
    new Float64Array(f64Bytes.buffer)[0] = v;
    this.bytes.push(Op.f64Const, ...f64Bytes);
    return this;
  }
  /** v128.const of four 32-bit lanes given as bit patterns. */
  v128Bits(lanes: readonly [number, number, number, number]): this {
    this.simd(Simd.const);
    for (const w of lanes) this.bytes.push(w & 255, (w >>> 8) & 255, (w >>> 16) & 255, (w >>> 24) & 255);
    return this;
  }
  /** v128.const of a float32 in every lane (v is rounded to float32). */
  splatF32(v: number): this { f32Bits[0] = v; const b = u32Bits[0]!; return this.v128Bits([b, b, b, b]); }
  splatI32(v: number): this { return this.v128Bits([v, v, v, v]); }
  call(fn: number): this { this.bytes.push(Op.call); uleb(this.bytes, fn); return this; }
  /** block / loop / if with no result (0x40) or a result type. */
  open(kind: typeof Op.block | typeof Op.loop | typeof Op.if, result: ValType | 0x40 = 0x40): this { this.bytes.push(kind, result); return this; }
  end(): this { this.bytes.push(Op.end); return this; }
  br(depth: number): this { this.bytes.push(Op.br); uleb(this.bytes, depth); return this; }
  brIf(depth: number): this { this.bytes.push(Op.brIf); uleb(this.bytes, depth); return this; }

  /** The encoded body: locals declaration (runs of one type) and code, with the final `end`. */
  encode(): number[] {
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++; else runs.push([1, t]);
    }
    const out: number[] = [];
    uleb(out, runs.length);
    for (const [n, t] of runs) { uleb(out, n); out.push(t); }
    out.push(...this.bytes, Op.end);
    return out;
  }
}

export interface FuncImport { module: string; name: string; params: readonly ValType[]; results: readonly ValType[] }

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  out.push(...body);
}
function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}
function funcType(out: number[], params: readonly ValType[], results: readonly ValType[]): void {
  out.push(0x60);
  uleb(out, params.length); out.push(...params);
  uleb(out, results.length); out.push(...results);
}

/**
 * A module importing `env.memory` (shared or not) and `imports` (function indices 0..n-1, in order),
 * defining one function of the given signature (index n), exported as `exportName`.
 */
export function wasmModule(opts: { shared: boolean; imports: readonly FuncImport[]; params: readonly ValType[];
  results: readonly ValType[]; body: Code; exportName: string }): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  const n = opts.imports.length;
  uleb(types, n + 1);
  for (const f of opts.imports) funcType(types, f.params, f.results);
  funcType(types, opts.params, opts.results);
  section(out, 1, types);
  const imp: number[] = [];
  uleb(imp, n + 1);
  name(imp, 'env'); name(imp, 'memory'); imp.push(0x02);
  // A shared memory must declare a maximum; 65536 pages accepts any memory the backend creates.
  if (opts.shared) { imp.push(0x03); uleb(imp, 0); uleb(imp, 65536); } else { imp.push(0x00); uleb(imp, 0); }
  opts.imports.forEach((f, i) => { name(imp, f.module); name(imp, f.name); imp.push(0x00); uleb(imp, i); });
  section(out, 2, imp);
  const fns: number[] = [];
  uleb(fns, 1); uleb(fns, n);
  section(out, 3, fns);
  const exp: number[] = [];
  uleb(exp, 1); name(exp, opts.exportName); exp.push(0x00); uleb(exp, n);
  section(out, 7, exp);
  const body = opts.body.encode(), code: number[] = [];
  uleb(code, 1); uleb(code, body.length); code.push(...body);
  section(out, 10, code);
  return new Uint8Array(out);
}
