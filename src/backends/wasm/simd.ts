// Loads the CPU backend's AssemblyScript SIMD kernels (embedded by wasm/build.mjs) against the
// backend's WebAssembly.Memory. Picks relaxed-SIMD (FMA) when the runtime validates it, else SIMD128,
// else nothing (the reference kernels stay in use); a shared memory (threads) gets the shared build of
// the variant. Synchronous compile is tried first; where it is refused (browser main thread, >4 KB)
// the async path `loadSimdKernelsAsync` is used by torch.init().

import type { BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { RELAXED_SIMD_WASM, SIMD128_WASM } from './generated/kernels.js';
import { shareMemory } from './share.js';

export type SimdVariant = 'relaxed' | 'simd128';

/** The exports of wasm/index.ts. Pointers are byte addresses, strides and sizes are in elements. */
export interface SimdExports {
  gemmScratchBytes(): number;
  gemm(batch: number, M: number, N: number, K: number, a: number, sab: number, sam: number, sak: number,
    b: number, sbb: number, sbk: number, sbn: number, c: number, scb: number, ldc: number, scratch: number,
    d: number, sdb: number, sdm: number, epi: number, er: number, erb: number, ec: number): void;
  binary(op: number, rows: number, cols: number, a: number, ars: number, ai: number, b: number, brs: number, bi: number, out: number): void;
  compare(op: number, rows: number, cols: number, a: number, ars: number, ai: number, b: number, brs: number, bi: number, out: number): void;
  where32(n: number, c: number, a: number, aDense: boolean, b: number, bDense: boolean, out: number): void;
  unary(op: number, rows: number, cols: number, x: number, xrs: number, xi: number, out: number): void;
  fill32(rows: number, cols: number, dst: number, rs: number, cs: number, bits: number): void;
  reduceRows(op: number, rows: number, cols: number, x: number, xrs: number, nj: number, js: number, out: number): void;
  reduceRowsI32(isMax: boolean, rows: number, cols: number, x: number, xrs: number, nj: number, js: number, out: number): void;
  reduceCols(op: number, n: number, cols: number, x: number, xrs: number, out: number): void;
  reduceColsSum(n: number, cols: number, x: number, xrs: number, out: number, acc: number): void;
  argReduceRows(isMax: boolean, rows: number, n: number, x: number, xrs: number, cs: number, out: number): void;
  argReduceCols(isMax: boolean, n: number, cols: number, x: number, xrs: number, out: number): void;
  argReduceColsRows(isMax: boolean, rows: number, n: number, cols: number, x: number, xrs: number, rs: number, out: number): void;
  copy32(rows: number, cols: number, src: number, srs: number, scs: number, dst: number, drs: number, dcs: number): void;
  castToF32(kind: number, rows: number, cols: number, src: number, srs: number, scs: number, dst: number, drs: number, dcs: number): void;
  attentionBytes(L: number, S: number): number;
  attnForward(b0: number, nb: number, H: number, L: number, S: number, E: number, Ev: number, scale: number, causal: number,
    q: number, qn: number, qh: number, ql: number, k: number, kn: number, kh: number, kl: number, v: number, vn: number, vh: number, vl: number,
    o: number, on: number, oh: number, ol: number, lse: number, scratch: number): void;
  attnBackward(b0: number, nb: number, H: number, L: number, S: number, E: number, Ev: number, scale: number, causal: number,
    q: number, qn: number, qh: number, ql: number, k: number, kn: number, kh: number, kl: number, v: number, vn: number, vh: number, vl: number,
    go: number, gon: number, goh: number, gol: number, lse: number, gq: number, gk: number, gv: number, scratch: number): void;
  castF16(toF16: number, rows: number, cols: number, src: number, srs: number, scs: number, dst: number, drs: number, dcs: number): void;
  gather32(rows: number, cols: number, x: number, xrs: number, xcs: number, idx: number, irs: number, ics: number,
    out: number, sd: number, size: number): number;
  scatter32(accumulate: boolean, rows: number, cols: number, o: number, ors: number, ocs: number, idx: number, irs: number, ics: number,
    src: number, srs: number, scs: number, sd: number, size: number): number;
  im2col(N: number, C: number, H: number, W: number, x: number, xs0: number, xs1: number, xs2: number, xs3: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, pad: number, OH: number, OW: number, out: number): void;
  col2im(N: number, C: number, H: number, W: number, cols: number, cs0: number, cs1: number, cs2: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number, out: number): void;
  maxPool2d(N: number, C: number, H: number, W: number, x: number, xs0: number, xs1: number, xs2: number, xs3: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number, out: number, idx: number): void;
  maxPool2dBackward(N: number, C: number, OH: number, OW: number, g: number, gs0: number, gs1: number, gs2: number, gs3: number,
    idx: number, HW: number, out: number): void;
  winogradConv(nn: number, C: number, K: number, H: number, W: number, x: number, xs0: number, xs1: number, xs2: number, xs3: number,
    ph: number, pw: number, TH: number, TW: number, u: number, OH: number, OW: number, out: number, yn: number, scratch: number): void;
  winogradWgrad(nn: number, C: number, K: number, H: number, W: number, x: number, xs0: number, xs1: number, xs2: number, xs3: number,
    ph: number, pw: number, TH: number, TW: number, g: number, gs0: number, gs1: number, gs2: number, gs3: number, OH: number, OW: number, m: number, scratch: number): void;
  winogradBytes(nn: number, C: number, K: number, TH: number, TW: number): number;
  scratchBytes(): number;
  philoxUniform(n: number, out: number, seed: number, offset: number): void;
  sumRunF64(n: number, x: number, out: number): void;
  adamStep(n: number, p: number, g: number, m: number, v: number, b1: number, a1: number, b2: number, a2: number,
    c1: number, c2: number, decay: number, wd: number, maximize: boolean): void;
}

export interface SimdKernels {
  readonly variant: SimdVariant;
  readonly k: SimdExports;
  /** The compiled module (the thread pool's workers instantiate it against the same memory). */
  readonly module: WebAssembly.Module;
  /** Built for a shared memory. */
  readonly shared: boolean;
}

// Op codes: must match the constants at the top of wasm/elementwise.ts and wasm/reduce.ts.
export const BINARY_CODES: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };
export const COMPARE_CODES: Partial<Record<BinaryOp, number>> = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 };
export const UNARY_CODES: Partial<Record<UnaryOp, number>> = {
  neg: 0, abs: 1, relu: 2, sqrt: 3, exp: 4, sigmoid: 5, tanh: 6, reciprocal: 7, floor: 8, ceil: 9, trunc: 10, round: 11, log: 12, erf: 13,
};
export const REDUCE_CODES: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };

const bytesCache = new Map<string, Uint8Array<ArrayBuffer>>();

/**
 * The module bytes of a variant (decoded once; atob exists in browsers, Deno, Bun and Node >= 16);
 * the shared build is the plain one with its memory import patched (./share.ts).
 */
export function simdBytes(variant: SimdVariant, shared = false): Uint8Array<ArrayBuffer> {
  const key = `${variant}${shared ? '-shared' : ''}`;
  let b = bytesCache.get(key);
  if (!b) {
    if (shared) b = shareMemory(simdBytes(variant));
    else {
      const s = atob(variant === 'relaxed' ? RELAXED_SIMD_WASM : SIMD128_WASM);
      b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    }
    bytesCache.set(key, b);
  }
  return b;
}

/** Whether a memory is shared (its buffer a SharedArrayBuffer): it then needs the shared builds. */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

const validated = new Map<SimdVariant, boolean>();

/** Variants this runtime can run, best first (validation is remembered once it succeeds). */
export function availableVariants(): SimdVariant[] {
  if (typeof WebAssembly === 'undefined') return [];
  return (['relaxed', 'simd128'] as const).filter((v) => {
    // A failure is not cached: Node can enable relaxed SIMD at run time (v8.setFlagsFromString).
    if (validated.get(v)) return true;
    const ok = WebAssembly.validate(simdBytes(v));
    if (ok) validated.set(v, true);
    return ok;
  });
}

function wrap(variant: SimdVariant, module: WebAssembly.Module, inst: WebAssembly.Instance, shared: boolean): SimdKernels {
  return { variant, k: inst.exports as unknown as SimdExports, module, shared };
}

/**
 * The GEMM's epilogue callback on this thread (wasm/gemm.ts gemmEpilogue): runs the generated kernel
 * described at byte address `epi` over rows r0..r0+nr, columns c0..c0+nc of the product.
 */
export type GemmEpilogue = (epi: number, r0: number, nr: number, c0: number, nc: number) => void;
const noEpilogue: GemmEpilogue = () => { throw new Error('cpu: a GEMM epilogue ran on kernels loaded without one'); };
const imports = (memory: WebAssembly.Memory, gemmEpilogue: GemmEpilogue) => ({ env: { memory, gemmEpilogue } });

/** Compiles and instantiates synchronously; throws where the runtime forbids synchronous compiles. */
export function loadSimdKernels(memory: WebAssembly.Memory, variant: SimdVariant, epilogue = noEpilogue): SimdKernels {
  const shared = isShared(memory);
  const mod = new WebAssembly.Module(simdBytes(variant, shared));
  return wrap(variant, mod, new WebAssembly.Instance(mod, imports(memory, epilogue)), shared);
}

export async function loadSimdKernelsAsync(memory: WebAssembly.Memory, variant: SimdVariant, epilogue = noEpilogue): Promise<SimdKernels> {
  const shared = isShared(memory);
  const mod = await WebAssembly.compile(simdBytes(variant, shared));
  return wrap(variant, mod, await WebAssembly.instantiate(mod, imports(memory, epilogue)), shared);
}
