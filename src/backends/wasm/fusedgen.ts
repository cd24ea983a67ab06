// Code generation of fused elementwise programs (../fused.ts) for the CPU backend: one WebAssembly
// function per (program, layout) that runs the whole chain per element in SIMD registers. Contract:
// every step gives the bits the backend's own kernel for it gives inside `runComposed` (the
// AssemblyScript SIMD kernels for float32 + - * / max min, compares, exp/log/tanh/sigmoid...; the
// reference loops' float64 JS math, called per lane, elsewhere); an unsupported step throws
// `Unsupported` (the backend then returns false). Layout: see `Layout` and `generateFused`.

import type { DType } from '../../dtype.js';
import type { FusedProgram, FusedStep } from '../fused.js';
import { valueDtype } from '../fused.js';
import { Code, F32, F64, type FuncImport, I32, I64_TRUNC_SAT_F32_S, Op, Simd, V128, wasmModule } from './jit.js';

export class Unsupported extends Error {}

/** Inner-dim pattern of an operand: contiguous, broadcast (stride 0), or any other stride. */
export type Kind = 'c' | 'b' | 's';

/**
 * What a compiled kernel is specialised for: the collapsed rank (>= 2; dims 0..rank-2 are "rows",
 * walked by an odometer, the last dim is the vectorised inner one) and each operand's inner Kind
 * (inputs, then outputs). Sizes, strides and pointers are run-time arguments (an i32 block in memory).
 */
export interface Layout { readonly rank: number; readonly kinds: readonly Kind[] }

export interface FusedModule {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Imported JS functions, in function-index order ('m': Math.* or `fmod`, known to workers; 'h': host-only). */
  readonly imports: readonly FuncImport[];
  /** Some import exists only on the calling thread (math.ts erfc/erfinv): workers cannot run it. */
  readonly hostOnly: boolean;
  /** Rough work per element (1 = a plain SIMD op), for the thread split. */
  readonly cost: number;
}

/** JS Math functions the reference kernels use for float32 unary ops that have no SIMD kernel. */
const MATH_UNARY = new Set(['expm1', 'log1p', 'log2', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh']);
/** math.ts functions (only the calling thread has them). */
const HOST_UNARY = new Set(['erfc', 'erfinv']);

type E = () => void;
const INT_LIKE = new Set<DType>(['int32', 'uint8', 'bool']);
export const esize = (d: DType): number => (d === 'uint8' || d === 'bool' ? 1 : 4);

/** Bit pattern of `value` as `fill` stores it into dtype d. */
function constBits(value: number, d: DType): number {
  switch (d) {
    case 'float32': return new Int32Array(Float32Array.of(value).buffer)[0]!;
    case 'int32': return Int32Array.of(value)[0]!;
    case 'uint8': return Uint8Array.of(value)[0]!;
    case 'bool': return value ? 1 : 0;
    default: throw new Unsupported(d);
  }
}

/**
 * Kernel `run(blk, r0, nr, c0, nc)`: rows r0..r0+nr of the flattened row dims, columns c0..c0+nc.
 * Block `blk` (i32 words): sizes of row dims 1..rank-2 at words 1..rank-2 (word 0 unused), then per
 * operand k at word (rank-1) + k*(rank+1): byte pointer, rank-1 row-dim byte strides, inner byte stride.
 */
export function generateFused(p: FusedProgram, layout: Layout, shared: boolean): FusedModule {
  return new Gen(p, layout).module(shared);
}

/** The generator; ./fusedreduce.ts extends it (same setup and steps, its own per-row loop). */
export class Gen {
  protected readonly c = new Code(5);
  private readonly imports: FuncImport[] = [];
  private hostOnly = false;
  protected cost = 1;
  protected readonly dts: DType[];
  private readonly live: boolean[];
  private readonly K: number;
  // Locals: per operand its row pointer p, moving pointer q, inner byte stride s, row-dim strides S,
  // broadcast value bv (-1 unless its inner kind is 'b'); row-dim sizes D and the row odometer idx.
  protected readonly p: number[] = [];
  protected readonly q: number[] = [];
  protected readonly s: number[] = [];
  private readonly S: number[][] = [];
  protected readonly bv: number[] = [];
  private readonly D: number[] = [];
  private readonly idx: number[] = [];

  constructor(protected readonly prog: FusedProgram, private readonly layout: Layout) {
    const nIn = prog.inputs.length;
    this.K = nIn + prog.outputs.length;
    this.dts = [...prog.inputs, ...prog.outputs.map((v) => valueDtype(prog, v))];
    for (const d of [...this.dts, ...prog.steps.map((st) => st.dtype)]) if (!INT_LIKE.has(d) && d !== 'float32') throw new Unsupported(d);
    // Values the outputs need (steps nothing reads are not computed: they have no effect).
    this.live = new Array<boolean>(nIn + prog.steps.length).fill(false);
    for (const o of prog.outputs) this.live[o] = true;
    for (let i = prog.steps.length - 1; i >= 0; i--) {
      if (!this.live[nIn + i]) continue;
      const st = prog.steps[i]!;
      for (const a of operands(st)) this.live[a] = true;
    }
  }

  module(shared: boolean): FusedModule {
    this.body();
    const bytes = wasmModule({ shared, imports: this.imports, params: [I32, I32, I32, I32, I32], results: [], body: this.c, exportName: 'run' });
    return { bytes, imports: this.imports, hostOnly: this.hostOnly, cost: this.cost };
  }

  private importFn(module: 'm' | 'h', name: string, arity: number): number {
    const i = this.imports.findIndex((f) => f.module === module && f.name === name);
    if (i >= 0) return i;
    if (module === 'h') this.hostOnly = true;
    this.imports.push({ module, name, params: new Array<typeof F64>(arity).fill(F64), results: [F64] });
    return this.imports.length - 1;
  }

  // ---- loop structure ----

  private body(): void {
    const { c, K } = this, R = this.layout.rank;
    const BLK = 0, R0 = 1, NR = 2, C0 = 3, NC = 4;
    for (let d = 1; d <= R - 2; d++) { this.D[d] = c.local(I32); c.get(BLK).mem(Op.i32Load, 2, 4 * d).set(this.D[d]!); }
    for (let k = 0; k < K; k++) {
      const w = R - 1 + k * (R + 1);
      this.p[k] = c.local(I32); this.q[k] = c.local(I32); this.s[k] = c.local(I32); this.S[k] = [];
      c.get(BLK).mem(Op.i32Load, 2, 4 * w).set(this.p[k]!);
      for (let d = 0; d <= R - 2; d++) { const l = c.local(I32); this.S[k]!.push(l); c.get(BLK).mem(Op.i32Load, 2, 4 * (w + 1 + d)).set(l); }
      c.get(BLK).mem(Op.i32Load, 2, 4 * (w + R)).set(this.s[k]!);
      this.bv[k] = this.kind(k) === 'b' ? c.local(V128) : -1;
    }
    // Row r0 as an index into the row dims: idx[d] for d >= 1, what is left for dim 0.
    const t = c.local(I32), i = c.local(I32);
    c.get(R0).set(t);
    for (let d = R - 2; d >= 1; d--) {
      this.idx[d] = c.local(I32);
      c.get(t).get(this.D[d]!).op(Op.i32RemU).set(this.idx[d]!);
      c.get(t).get(this.D[d]!).op(Op.i32DivU).set(t);
    }
    for (let k = 0; k < K; k++) {
      c.get(this.p[k]!).get(t).get(this.S[k]![0]!).op(Op.i32Mul).op(Op.i32Add);
      for (let d = 1; d <= R - 2; d++) c.get(this.idx[d]!).get(this.S[k]![d]!).op(Op.i32Mul).op(Op.i32Add);
      c.get(C0).get(this.s[k]!).op(Op.i32Mul).op(Op.i32Add).set(this.p[k]!);
    }
    c.open(Op.block).open(Op.loop);
    c.get(NR).op(Op.i32Eqz).brIf(1);
    this.row(i);
    c.get(NR).i32(1).op(Op.i32Sub).set(NR);
    this.nextRow(R - 2);
    c.br(0);
    c.end().end();
  }

  /** One row: columns 0..nc of the row at pointers p (`i`: a free i32 local). */
  protected row(i: number): void {
    const { c, K } = this, NC = 4;
    for (let k = 0; k < K; k++) {
      c.get(this.p[k]!).set(this.q[k]!);
      if (this.bv[k]! >= 0) { this.scalarLoad(k, this.p[k]!); c.set(this.bv[k]!); }
    }
    c.i32(0).set(i);
    // Vector loop: 4 elements per iteration.
    c.open(Op.block).open(Op.loop);
    c.get(i).i32(4).op(Op.i32Add).get(NC).op(Op.i32GtS).brIf(1);
    this.element(4);
    for (let k = 0; k < K; k++) {
      const kd = this.kind(k);
      if (kd === 'c') c.get(this.q[k]!).i32(4 * esize(this.dts[k]!)).op(Op.i32Add).set(this.q[k]!);
      else if (kd === 's') c.get(this.q[k]!).get(this.s[k]!).i32(2).op(0x74 /* i32.shl */).op(Op.i32Add).set(this.q[k]!);
    }
    c.get(i).i32(4).op(Op.i32Add).set(i).br(0);
    c.end().end();
    // Tail, one element at a time through the same vector code (lane 0), so results match the body.
    c.open(Op.block).open(Op.loop);
    c.get(i).get(NC).op(Op.i32GeS).brIf(1);
    this.element(1);
    for (let k = 0; k < K; k++) if (this.kind(k) !== 'b') c.get(this.q[k]!).get(this.s[k]!).op(Op.i32Add).set(this.q[k]!);
    c.get(i).i32(1).op(Op.i32Add).set(i).br(0);
    c.end().end();
  }

  /** Advances the row odometer at dim d (carrying into d-1 when it wraps). */
  private nextRow(d: number): void {
    const { c, K } = this;
    for (let k = 0; k < K; k++) c.get(this.p[k]!).get(this.S[k]![d]!).op(Op.i32Add).set(this.p[k]!);
    if (d === 0) return;
    const ix = this.idx[d]!, D = this.D[d]!;
    c.get(ix).i32(1).op(Op.i32Add).tee(ix).get(D).op(Op.i32Eq).open(Op.if);
    c.i32(0).set(ix);
    for (let k = 0; k < K; k++) c.get(this.p[k]!).get(D).get(this.S[k]![d]!).op(Op.i32Mul).op(Op.i32Sub).set(this.p[k]!);
    this.nextRow(d - 1);
    c.end();
  }

  protected kind(k: number): Kind { return this.layout.kinds[k]!; }

  /** Pushes operand k's element at address local `addr`, splat to 4 lanes. */
  protected scalarLoad(k: number, addr: number): void {
    const c = this.c.get(addr);
    if (esize(this.dts[k]!) === 1) c.mem(Op.i32Load8U, 0); else c.mem(Op.i32Load, 2);
    c.simd(Simd.i32x4Splat);
  }

  private load(k: number, lanes: number): void {
    const c = this.c, q = this.q[k]!, byte = esize(this.dts[k]!) === 1, kd = this.kind(k);
    if (kd === 'b') { c.get(this.bv[k]!); return; }
    if (lanes === 1) { this.scalarLoad(k, q); return; }
    if (kd === 'c') {
      if (byte) c.get(q).simdMem(Simd.load32Zero, 0).simd(Simd.i16x8ExtendLowI8x16U).simd(Simd.i32x4ExtendLowI16x8U);
      else c.get(q).simdMem(Simd.load, 0);
      return;
    }
    // Any other inner stride: gather the 4 lanes.
    const a = c.local(I32);
    this.scalarLoad(k, q);
    c.get(q).set(a);
    for (let j = 1; j < 4; j++) {
      c.get(a).get(this.s[k]!).op(Op.i32Add).tee(a);
      if (byte) c.mem(Op.i32Load8U, 0); else c.mem(Op.i32Load, 2);
      c.lane(Simd.i32x4ReplaceLane, j);
    }
  }

  protected store(k: number, val: number, lanes: number): void {
    const c = this.c, q = this.q[k]!, byte = esize(this.dts[k]!) === 1;
    const scalar = (addr: () => void, j: number) => {
      addr(); c.get(val).lane(Simd.i32x4ExtractLane, j);
      if (byte) c.mem(Op.i32Store8, 0); else c.mem(Op.i32Store, 2);
    };
    if (lanes === 1) { scalar(() => c.get(q), 0); return; }
    if (this.kind(k) === 'c') {
      if (byte) {
        // Lanes hold 0..255: two unsigned narrowings give the 4 bytes in lane 0.
        const w = c.local(V128);
        c.get(q).get(val).get(val).simd(Simd.i16x8NarrowI32x4U).tee(w).get(w).simd(Simd.i8x16NarrowI16x8U).simdMemLane(Simd.store32Lane, 0, 0);
      } else c.get(q).get(val).simdMem(Simd.store, 0);
      return;
    }
    const a = c.local(I32);
    c.get(q).set(a);
    for (let j = 0; j < 4; j++) {
      scalar(() => (j === 0 ? c.get(a) : c.get(a).get(this.s[k]!).op(Op.i32Add).tee(a)), j);
    }
  }

  /** One group of `lanes` elements: load live inputs, compute live steps, store outputs. */
  private element(lanes: number): void {
    const vals = this.values(lanes), nIn = this.prog.inputs.length;
    this.prog.outputs.forEach((v, o) => this.store(nIn + o, vals[v]!, lanes));
  }

  /** Loads the live inputs at pointers q and computes the live steps: the v128 local of each value. */
  protected values(lanes: number): number[] {
    const { c, prog } = this, nIn = prog.inputs.length;
    const vals: number[] = [];
    for (let k = 0; k < nIn; k++) {
      if (!this.live[k]) continue;
      this.load(k, lanes);
      c.set(vals[k] = c.local(V128));
    }
    prog.steps.forEach((st, i) => {
      if (!this.live[nIn + i]) return;
      this.step(st, (v) => () => c.get(vals[v]!), lanes)();
      c.set(vals[nIn + i] = c.local(V128));
    });
    return vals;
  }

  // ---- expression helpers (closures that push one v128) ----

  private f1 = (op: number, a: E): E => () => { a(); this.c.simd(op); };
  private f2 = (op: number, a: E, b: E): E => () => { a(); b(); this.c.simd(op); };
  private sel = (a: E, b: E, m: E): E => () => { a(); b(); m(); this.c.simd(Simd.bitselect); };
  private kf = (v: number): E => () => { this.c.splatF32(v); };
  private ki = (v: number): E => () => { this.c.splatI32(v); };
  private shift = (op: number, a: E, n: number): E => () => { a(); this.c.i32(n).simd(op); };
  /** Emits e now into a new local; returns its getter. */
  private bind = (e: E): E => { e(); const l = this.c.local(V128); this.c.set(l); return () => { this.c.get(l); }; };

  private mask01 = (m: E): E => this.f2(Simd.and, m, this.ki(1));
  private byteWrap = (v: E, d: DType): E => (d === 'uint8' || d === 'bool' ? this.f2(Simd.and, v, this.ki(255)) : v);
  /** All-ones lanes where a value of dtype d is truthy as JS sees it (NaN and +-0 are falsy). */
  private truthy = (x: E, d: DType): E => (d === 'float32'
    ? this.f2(Simd.and, this.f2(Simd.f32x4Eq, x, x), this.f2(Simd.f32x4Ne, x, this.kf(0)))
    : this.f2(Simd.i32x4Ne, x, this.ki(0)));

  /** wasm/elementwise.ts expv, instruction for instruction. */
  private expv(x: E): E {
    const { f1, f2, kf, ki, bind, sel, shift } = this;
    const X = bind(x);
    const xc = bind(f2(Simd.f32x4Pmin, f2(Simd.f32x4Pmax, X, kf(-104.0)), kf(88.72283935546875)));
    const nm = bind(f2(Simd.f32x4Add, f2(Simd.f32x4Mul, xc, kf(1.44269504089)), kf(12582912.0)));
    const n = bind(f2(Simd.f32x4Sub, nm, kf(12582912.0)));
    let r = bind(f2(Simd.f32x4Sub, xc, f2(Simd.f32x4Mul, n, kf(0.693359375))));
    r = bind(f2(Simd.f32x4Sub, r, f2(Simd.f32x4Mul, n, kf(-2.12194440e-4))));
    let p: E = kf(1.0 / 5040.0);
    for (const k of [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0]) p = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, p, r), kf(k));
    const P = bind(p);
    const ni = bind(f2(Simd.i32x4Sub, nm, ki(0x4b400000)));
    const h = bind(shift(Simd.i32x4ShrS, ni, 1));
    const s1 = shift(Simd.i32x4Shl, f2(Simd.i32x4Add, h, ki(127)), 23);
    const s2 = shift(Simd.i32x4Shl, f2(Simd.i32x4Add, f2(Simd.i32x4Sub, ni, h), ki(127)), 23);
    let y: E = f2(Simd.f32x4Mul, f2(Simd.f32x4Mul, P, s1), s2);
    y = sel(kf(Infinity), y, f2(Simd.f32x4Gt, X, kf(88.72283935546875)));
    y = sel(kf(0), y, f2(Simd.f32x4Lt, X, kf(-103.97)));
    return sel(X, y, f2(Simd.f32x4Ne, X, X));
  }

  /** wasm/elementwise.ts tanhv. */
  private tanhv(x: E): E {
    const { f1, f2, kf, ki, bind, sel } = this;
    const X = bind(x);
    const ax = bind(f1(Simd.f32x4Abs, X));
    const e = this.expv(f2(Simd.f32x4Mul, ax, kf(2)));
    let big: E = f2(Simd.f32x4Sub, kf(1), f2(Simd.f32x4Div, kf(2), f2(Simd.f32x4Add, e, kf(1))));
    big = f2(Simd.or, big, f2(Simd.and, X, ki(0x80000000 | 0)));
    const z = bind(f2(Simd.f32x4Mul, X, X));
    let p: E = kf(-1382.0 / 155925.0);
    for (const k of [62.0 / 2835.0, -17.0 / 315.0, 2.0 / 15.0, -1.0 / 3.0]) p = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, p, z), kf(k));
    const small = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, f2(Simd.f32x4Mul, p, z), X), X);
    const r = sel(small, big, f2(Simd.f32x4Lt, ax, kf(0.3)));
    return sel(X, r, f2(Simd.f32x4Ne, X, X));
  }

  /** wasm/elementwise.ts logv. */
  private logv(x: E): E {
    const { f1, f2, kf, ki, bind, sel, shift } = this;
    const X = bind(x);
    const tiny = bind(f2(Simd.f32x4Lt, X, kf(1.17549435e-38)));
    const xs = bind(sel(f2(Simd.f32x4Mul, X, kf(8388608.0)), X, tiny));
    let e = bind(f2(Simd.i32x4Sub, shift(Simd.i32x4ShrS, xs, 23), sel(ki(127 + 23), ki(127), tiny)));
    let m = bind(f2(Simd.or, f2(Simd.and, xs, ki(0x007fffff)), ki(0x3f800000)));
    const big = bind(f2(Simd.f32x4Gt, m, kf(1.41421356)));
    m = bind(sel(f2(Simd.f32x4Mul, m, kf(0.5)), m, big));
    e = bind(f2(Simd.i32x4Sub, e, big));
    const f = bind(f2(Simd.f32x4Sub, m, kf(1)));
    const s = bind(f2(Simd.f32x4Div, f, f2(Simd.f32x4Add, f, kf(2))));
    const z = bind(f2(Simd.f32x4Mul, s, s));
    let p: E = kf(2.0 / 9.0);
    for (const k of [2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0]) p = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, p, z), kf(k));
    const lm = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, s, kf(2)), f2(Simd.f32x4Mul, f2(Simd.f32x4Mul, s, z), p));
    const ef = bind(f1(Simd.f32x4ConvertI32x4S, e));
    let r: E = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, ef, kf(0.693359375)), f2(Simd.f32x4Add, lm, f2(Simd.f32x4Mul, ef, kf(-2.12194440e-4))));
    r = sel(kf(-Infinity), r, f2(Simd.f32x4Eq, X, kf(0)));
    r = sel(X, r, f2(Simd.f32x4Eq, X, kf(Infinity)));
    r = sel(kf(NaN), r, f2(Simd.f32x4Lt, X, kf(0)));
    return sel(X, r, f2(Simd.f32x4Ne, X, X));
  }

  /** wasm/elementwise.ts erfv (same coefficients, same order, no FMA). */
  private erfv(x: E): E {
    const { f1, f2, kf, ki, bind, sel } = this;
    const X = bind(x);
    const ax = bind(f1(Simd.f32x4Abs, X));
    const z = bind(f2(Simd.f32x4Mul, ax, ax));
    let t: E = kf(8.538865949958563e-05);
    for (const k of [-0.0008181933662854135, 0.005204436369240284, -0.026860753074288368, 0.11283719539642334, -0.37612634897232056,
      0.12837916612625122]) t = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, t, z), kf(k));
    const small = bind(f2(Simd.f32x4Add, ax, f2(Simd.f32x4Mul, ax, t)));
    const u = bind(f2(Simd.f32x4Sub, ax, kf(0.8999999761581421)));
    let p: E = kf(0.0003960472531616688);
    for (const k of [-0.00653831847012043, 0.04541253671050072, -0.17005275189876556, 0.36248230934143066, -0.41744306683540344,
      0.2030918002128601]) p = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, p, u), kf(k));
    const P = bind(p);
    let q: E = kf(0.02240297757089138);
    for (const k of [0.03172754496335983, 0.1442502737045288, 0.20261943340301514, 0.589134156703949, 0.41618919372558594, 1.0]) {
      q = f2(Simd.f32x4Add, f2(Simd.f32x4Mul, q, u), kf(k));
    }
    const big = f2(Simd.f32x4Sub, kf(1), f2(Simd.f32x4Div, P, q));
    let r: E = sel(small, big, f2(Simd.f32x4Lt, ax, kf(0.8999999761581421)));
    r = sel(kf(1), r, f2(Simd.f32x4Ge, ax, kf(3.919205904006958)));
    r = f2(Simd.or, r, f2(Simd.and, X, ki(0x80000000 | 0)));
    return sel(X, r, f2(Simd.f32x4Ne, X, X));
  }

  /**
   * float32 lanes computed in float64 as the reference loops do (read widens exactly, the result is
   * rounded once to float32): `f` gets float64 locals of the operands' lane and pushes an f64.
   */
  private lanewise(args: E[], lanes: number, f: (x: number[]) => void): E {
    return () => {
      const c = this.c, acc = c.local(V128), xs = args.map(() => c.local(F64)), vs = args.map((a) => this.bind(a));
      c.splatI32(0).set(acc);
      for (let j = 0; j < lanes; j++) {
        vs.forEach((v, i) => { v(); c.lane(Simd.f32x4ExtractLane, j).op(Op.f64PromoteF32).set(xs[i]!); });
        c.get(acc);
        f(xs);
        c.op(Op.f32DemoteF64).lane(Simd.f32x4ReplaceLane, j).set(acc);
      }
      c.get(acc);
    };
  }

  /** float32 -> int32 as a typed-array store does (ToInt32: truncate, wrap mod 2^32, NaN/inf -> 0). */
  private toInt32(x: E, lanes: number): E {
    return () => {
      const c = this.c, acc = c.local(V128), t = c.local(F32), v = this.bind(x);
      c.splatI32(0).set(acc);
      for (let j = 0; j < lanes; j++) {
        v(); c.lane(Simd.f32x4ExtractLane, j).set(t);
        c.get(acc);
        // Exact below 2^63 through i64; at or above it every float32 is a multiple of 2^40: 0 mod 2^32.
        c.get(t).op(0xfc, I64_TRUNC_SAT_F32_S).op(Op.i32WrapI64).i32(0).get(t).op(Op.f32Abs).f32(2 ** 63).op(Op.f32Lt).op(Op.select);
        c.lane(Simd.i32x4ReplaceLane, j).set(acc);
      }
      c.get(acc);
    };
  }

  private callMath(module: 'm' | 'h', name: string, args: E[], lanes: number): E {
    const fn = this.importFn(module, name, args.length);
    this.cost += 16;
    return this.lanewise(args, lanes, (x) => { for (const l of x) this.c.get(l); this.c.call(fn); });
  }

  // ---- steps ----

  private step(st: FusedStep, v: (i: number) => E, lanes: number): E {
    const p = this.prog;
    switch (st.kind) {
      case 'const': { const b = constBits(st.value, st.dtype); return this.ki(b); }
      case 'where':
        if (valueDtype(p, st.cond) !== 'bool' || valueDtype(p, st.a) !== st.dtype || valueDtype(p, st.b) !== st.dtype) throw new Unsupported('where');
        return this.sel(v(st.a), v(st.b), this.truthy(v(st.cond), 'bool'));
      case 'cast': return this.cast(v(st.a), valueDtype(p, st.a), st.dtype, lanes);
      case 'unary': {
        const d = valueDtype(p, st.a);
        const boolOut = st.op === 'logicalNot' || st.op === 'isnan' || st.op === 'isinf';
        if (st.dtype !== (boolOut ? 'bool' : d)) throw new Unsupported(st.op);
        return d === 'float32' ? this.unaryF32(st.op, v(st.a), lanes) : this.byteWrap(this.unaryInt(st.op, v(st.a)), st.dtype);
      }
      case 'binary': {
        const d = valueDtype(p, st.a), boolOut = st.op in Gen.F32_CMP || st.op in Gen.LOGICAL;
        if (valueDtype(p, st.b) !== d || st.dtype !== (boolOut ? 'bool' : d)) throw new Unsupported(st.op);
        // The backend's pow by a broadcast 2 or 3 (a constant here) is x * x, (x * x) * x.
        const k = st.b >= p.inputs.length ? p.steps[st.b - p.inputs.length] : undefined;
        if (st.op === 'pow' && d === 'float32' && k?.kind === 'const' && (k.value === 2 || k.value === 3)) {
          const x = this.bind(v(st.a)), sq = this.f2(Simd.f32x4Mul, x, x);
          return k.value === 2 ? sq : this.f2(Simd.f32x4Mul, sq, x);
        }
        return d === 'float32' ? this.binaryF32(st.op, v(st.a), v(st.b), lanes) : this.byteWrap(this.binaryInt(st.op, v(st.a), v(st.b), d), st.dtype);
      }
    }
  }

  private unaryF32(op: string, x: E, lanes: number): E {
    const { f1, f2, kf, sel, mask01 } = this;
    this.cost += 1;
    switch (op) {
      case 'neg': return f1(Simd.f32x4Neg, x);
      case 'abs': return f1(Simd.f32x4Abs, x);
      case 'relu': return f2(Simd.f32x4Max, x, kf(0));
      case 'sqrt': return f1(Simd.f32x4Sqrt, x);
      case 'exp': this.cost += 6; return this.expv(x);
      case 'sigmoid': this.cost += 7; return f2(Simd.f32x4Div, kf(1), f2(Simd.f32x4Add, kf(1), this.expv(f1(Simd.f32x4Neg, x))));
      case 'tanh': this.cost += 8; return this.tanhv(x);
      case 'log': this.cost += 8; return this.logv(x);
      case 'erf': this.cost += 10; return this.erfv(x);
      case 'reciprocal': return f2(Simd.f32x4Div, kf(1), x);
      case 'floor': return f1(Simd.f32x4Floor, x);
      case 'ceil': return f1(Simd.f32x4Ceil, x);
      case 'trunc': return f1(Simd.f32x4Trunc, x);
      case 'round': return f1(Simd.f32x4Nearest, x);
      case 'sign': { const X = this.bind(x); return sel(kf(1), sel(kf(-1), kf(0), f2(Simd.f32x4Lt, X, kf(0))), f2(Simd.f32x4Gt, X, kf(0))); }
      case 'rsqrt': this.cost += 4; return this.lanewise([x], lanes, ([a]) => { this.c.f64(1).get(a!).op(Op.f64Sqrt).op(Op.f64Div); });
      case 'logicalNot': return mask01(f1(Simd.not, this.truthy(x, 'float32')));
      case 'isnan': { const X = this.bind(x); return mask01(f2(Simd.f32x4Ne, X, X)); }
      case 'isinf': return mask01(f2(Simd.f32x4Eq, f1(Simd.f32x4Abs, x), kf(Infinity)));
      default:
        if (MATH_UNARY.has(op)) return this.callMath('m', op, [x], lanes);
        if (HOST_UNARY.has(op)) return this.callMath('h', op, [x], lanes);
        throw new Unsupported(op);
    }
  }

  private unaryInt(op: string, x: E): E {
    const { f1, f2, ki, mask01 } = this;
    switch (op) {
      case 'neg': return f1(Simd.i32x4Neg, x);
      case 'abs': return f1(Simd.i32x4Abs, x);
      case 'relu': return f2(Simd.i32x4MaxS, x, ki(0));
      case 'sign': { const X = this.bind(x); return f2(Simd.or, mask01(f2(Simd.i32x4GtS, X, ki(0))), f2(Simd.i32x4LtS, X, ki(0))); }
      case 'floor': case 'ceil': case 'round': case 'trunc': return x;
      case 'bitwiseNot': return f1(Simd.not, x);
      case 'logicalNot': return mask01(f2(Simd.i32x4Eq, x, ki(0)));
      case 'isnan': case 'isinf': return ki(0);
      default: throw new Unsupported(op);
    }
  }

  private static readonly F32_BIN: Record<string, number> = { add: Simd.f32x4Add, sub: Simd.f32x4Sub, mul: Simd.f32x4Mul, div: Simd.f32x4Div,
    maximum: Simd.f32x4Max, minimum: Simd.f32x4Min };
  private static readonly F32_CMP: Record<string, number> = { eq: Simd.f32x4Eq, ne: Simd.f32x4Ne, lt: Simd.f32x4Lt, le: Simd.f32x4Le,
    gt: Simd.f32x4Gt, ge: Simd.f32x4Ge };
  private static readonly I32_BIN: Record<string, number> = { add: Simd.i32x4Add, sub: Simd.i32x4Sub, mul: Simd.i32x4Mul,
    maximum: Simd.i32x4MaxS, minimum: Simd.i32x4MinS, bitwiseAnd: Simd.and, bitwiseOr: Simd.or, bitwiseXor: Simd.xor };
  private static readonly I32_CMP: Record<string, number> = { eq: Simd.i32x4Eq, ne: Simd.i32x4Ne, lt: Simd.i32x4LtS, le: Simd.i32x4LeS,
    gt: Simd.i32x4GtS, ge: Simd.i32x4GeS };
  private static readonly LOGICAL: Record<string, number> = { logicalAnd: Simd.and, logicalOr: Simd.or, logicalXor: Simd.xor };

  private binaryF32(op: string, a: E, b: E, lanes: number): E {
    const c = this.c;
    this.cost += 1;
    const bin = Gen.F32_BIN[op], cmp = Gen.F32_CMP[op], lg = Gen.LOGICAL[op];
    if (bin !== undefined) return this.f2(bin, a, b);
    if (cmp !== undefined) return this.mask01(this.f2(cmp, a, b));
    if (lg !== undefined) return this.mask01(this.f2(lg, this.truthy(a, 'float32'), this.truthy(b, 'float32')));
    switch (op) {
      case 'floorDivide': this.cost += 4; return this.lanewise([a, b], lanes, ([x, y]) => { c.get(x!).get(y!).op(Op.f64Div).op(Op.f64Floor); });
      case 'atan2': return this.callMath('m', 'atan2', [a, b], lanes);
      case 'pow': {
        // math.ts pow: C's pow, 1 for pow(1, y), pow(x, 0) and pow(-1, +-inf), else Math.pow.
        const fn = this.importFn('m', 'pow', 2);
        this.cost += 16;
        return this.lanewise([a, b], lanes, ([x, y]) => {
          c.f64(1).get(x!).get(y!).call(fn);
          c.get(x!).f64(1).op(Op.f64Eq).get(y!).f64(0).op(Op.f64Eq).op(Op.i32Or);
          c.get(x!).f64(-1).op(Op.f64Eq).get(y!).op(Op.f64Abs).f64(Infinity).op(Op.f64Eq).op(Op.i32And).op(Op.i32Or);
          c.op(Op.select);
        });
      }
      case 'fmod': return this.callMath('m', 'fmod', [a, b], lanes);
      case 'remainder': {
        // math.ts remainder: r = a % b; r + b where r is nonzero and its sign differs from b's.
        const fn = this.importFn('m', 'fmod', 2), r = c.local(F64);
        this.cost += 16;
        return this.lanewise([a, b], lanes, ([x, y]) => {
          c.get(x!).get(y!).call(fn).set(r);
          c.get(r).get(y!).op(Op.f64Add).get(r);
          c.get(r).f64(0).op(Op.f64Ne).get(r).f64(0).op(Op.f64Lt).get(y!).f64(0).op(Op.f64Lt).op(Op.i32Xor).op(Op.i32And);
          c.op(Op.select);
        });
      }
      default: throw new Unsupported(op);
    }
  }

  private binaryInt(op: string, a: E, b: E, d: DType): E {
    const bin = Gen.I32_BIN[op], cmp = Gen.I32_CMP[op], lg = Gen.LOGICAL[op];
    if (bin !== undefined) return this.f2(bin, a, b);
    if (cmp !== undefined) return this.mask01(this.f2(cmp, a, b));
    if (lg !== undefined) return this.mask01(this.f2(lg, this.truthy(a, d), this.truthy(b, d)));
    // Integer division, modulo and pow raise on a zero divisor / negative power in the reference.
    throw new Unsupported(op);
  }

  /** Backend.copy's conversions (reference.ts copyStrided; castToF32 for int -> float32). */
  private cast(x: E, from: DType, to: DType, lanes: number): E {
    if (from === to) return x;
    if (!INT_LIKE.has(to) && to !== 'float32') throw new Unsupported(to);
    if (to === 'float32') return this.f1(Simd.f32x4ConvertI32x4S, x);
    if (to === 'bool') return this.mask01(this.truthy(x, from));
    const i = from === 'float32' ? this.toInt32(x, lanes) : x;
    return to === 'uint8' ? this.byteWrap(i, 'uint8') : i;
  }
}

function operands(st: FusedStep): number[] {
  switch (st.kind) {
    case 'unary': case 'cast': return [st.a];
    case 'binary': return [st.a, st.b];
    case 'where': return [st.cond, st.a, st.b];
    case 'const': return [];
  }
}
