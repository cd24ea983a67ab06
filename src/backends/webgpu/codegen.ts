// WGSL specialization for the WebGPU backend: fills the {{PLACEHOLDERS}} of shaders/*.wgsl with
// per-dtype buffer declarations, loads/stores and op expressions. Contract: every storage buffer is
// an array<u32> addressed in elements of its view's dtype; 4-byte dtypes take one word per element,
// bool/uint8 are packed 4 per word and float16 2 per word (so byte sizes match the CPU backend);
// packed dtypes are written with atomics. float16 computes in f32 (loads widen, stores round).

import type { BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { INT_DIV_OPS, INTEGER_DIVISION_BY_ZERO, NEGATIVE_INTEGER_POWER } from '../backend.js';
import type { DType } from '../../dtype.js';
import { WGSL } from './generated/shaders.js';

/** The type a kernel computes in for a dtype: f32 for float32/float16, i32 for every integer/bool dtype. */
export type CT = 'f32' | 'i32';
export const ctOf = (d: DType): CT => (d === 'float32' || d === 'float16' ? 'f32' : 'i32');
const byteSized = (d: DType): boolean => d === 'bool' || d === 'uint8';
export const zeroOf = (t: CT): string => (t === 'f32' ? '0.0' : '0');
const oneOf = (t: CT): string => (t === 'f32' ? '1.0' : '1');

export type Access = 'read' | 'write' | 'atomic';

/** Declaration of binding `slot` named `name` plus its ld_/st_/add_ functions. */
export function binding(name: string, slot: number, d: DType, access: Access): string {
  const t = ctOf(d);
  if (d === 'float16') return halfBinding(name, slot, access);
  if (access === 'read') {
    const decl = `@group(0) @binding(${slot}) var<storage, read> ${name}: array<u32>;`;
    const body = byteSized(d) ? `i32((${name}[e >> 2u] >> (u32(e & 3) * 8u)) & 0xffu)` : `bitcast<${t}>(${name}[e])`;
    return `${decl}\nfn ld_${name}(e: i32) -> ${t} { return ${body}; }`;
  }
  const atomic = access === 'atomic' || byteSized(d);
  const decl = `@group(0) @binding(${slot}) var<storage, read_write> ${name}: array<${atomic ? 'atomic<u32>' : 'u32'}>;`;
  const bits = d === 'bool' ? 'select(0u, 1u, v != 0)' : d === 'uint8' ? '(u32(v) & 0xffu)' : `bitcast<u32>(v)`;
  let st: string, add = '';
  if (byteSized(d)) {
    // Two atomics touching only this byte: concurrent writers of the word's other bytes commute.
    st = `let w = e >> 2u; let sh = u32(e & 3) * 8u; atomicAnd(&${name}[w], ~(0xffu << sh)); atomicOr(&${name}[w], ${bits} << sh);`;
    add = `fn add_${name}(e: i32, v: ${t}) { let w = e >> 2u; let sh = u32(e & 3) * 8u;
  loop { let old = atomicLoad(&${name}[w]); let b = (u32(i32((old >> sh) & 0xffu) + v)) & 0xffu;
    let r = atomicCompareExchangeWeak(&${name}[w], old, (old & ~(0xffu << sh)) | (b << sh)); if (r.exchanged) { break; } } }`;
  } else if (atomic) {
    st = `atomicStore(&${name}[e], ${bits});`;
    add = t === 'i32' ? `fn add_${name}(e: i32, v: i32) { atomicAdd(&${name}[e], bitcast<u32>(v)); }`
      : `fn add_${name}(e: i32, v: f32) {
  loop { let old = atomicLoad(&${name}[e]); let r = atomicCompareExchangeWeak(&${name}[e], old, bitcast<u32>(bitcast<f32>(old) + v)); if (r.exchanged) { break; } } }`;
  } else st = `${name}[e] = ${bits};`;
  return `${decl}\nfn st_${name}(e: i32, v: ${t}) { ${st} }\n${add}`;
}

/** float16 bindings: halves packed two per word; writes touch only their half (atomics). */
function halfBinding(name: string, slot: number, access: Access): string {
  const half = `(${name}[e >> 1u] >> (u32(e & 1) * 16u))`;
  if (access === 'read') {
    return `@group(0) @binding(${slot}) var<storage, read> ${name}: array<u32>;
fn ld_${name}(e: i32) -> f32 { return f16_to_f32(${half} & 0xffffu); }`;
  }
  const decl = `@group(0) @binding(${slot}) var<storage, read_write> ${name}: array<atomic<u32>>;`;
  // CAS loop replacing this half with f(old half): exact under concurrent writers of the same word.
  const cas = (f: string) => `let w = e >> 1u; let sh = u32(e & 1) * 16u;
  loop { let old = atomicLoad(&${name}[w]); let h = (old >> sh) & 0xffffu; let nh = ${f};
    let r = atomicCompareExchangeWeak(&${name}[w], old, (old & ~(0xffffu << sh)) | (nh << sh)); if (r.exchanged) { break; } }`;
  // Plain writes (each element written by one invocation): clear the half, then set it; writers of
  // the other half commute with both.
  const st = access === 'atomic' ? cas('f32_to_f16(v)')
    : `let w = e >> 1u; let sh = u32(e & 1) * 16u; atomicAnd(&${name}[w], ~(0xffffu << sh)); atomicOr(&${name}[w], f32_to_f16(v) << sh);`;
  return `${decl}\nfn st_${name}(e: i32, v: f32) { ${st} }\nfn add_${name}(e: i32, v: f32) { ${cas('f32_to_f16(f16_to_f32(h) + v)')} }`;
}

/**
 * The error-flag binding of checked kernels: `flag(slot_word, v)` marks the check whose slot is
 * md[slot_word] ([flag, value]); the first invocation to flag a slot writes the value (a shared
 * slot keeps its earliest dispatch's).
 */
export function flagBinding(slot: number): string {
  return `@group(0) @binding(${slot}) var<storage, read_write> err: array<atomic<u32>>;
fn flag(slot_word: i32, v: i32) { let k = 2u * u32(md[slot_word]); if (atomicExchange(&err[k], 1u) == 0u) { atomicStore(&err[k + 1u], bitcast<u32>(v)); } }`;
}

/**
 * The value `ld_` returns for an element that `st_` wrote as `v` (in d's compute type), without the
 * memory round trip: what a kernel reading another kernel's output sees. The fused kernel applies it
 * to every step so its values are those of the chain of kernels (float16 rounds, uint8 wraps, bool is 0/1).
 */
export function stored(v: string, d: DType): string {
  switch (d) {
    case 'float16': return `f16_to_f32(f32_to_f16(${v}))`;
    case 'uint8': return `i32(u32(${v}) & 0xffu)`;
    case 'bool': return `select(0, 1, ${v} != 0)`;
    default: return v;
  }
}

const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);
/** The bits of Math.fround(x) as an i32 (how float scalars travel in the metadata). */
export function f32Bits(x: number): number { f32[0] = x; return i32[0]!; }

/** A scalar `value` of dtype d as fill passes it (read back with fromBits, then stored as d). */
export function scalarBits(d: DType, value: number): number {
  return ctOf(d) === 'f32' ? f32Bits(value) : d === 'bool' ? (value ? 1 : 0) : value | 0;
}

/** Converts expression v of compute type `from` to the compute type of dtype `to`, with `to`'s rules. */
export function cast(v: string, from: CT, to: DType): string {
  if (to === 'bool') return from === 'f32' ? `select(0, 1, ${v} != 0.0)` : v;
  const t = ctOf(to);
  if (t === from) return v;
  return t === 'f32' ? `f32(${v})` : `i32(${v})`;
}

/** Reads a scalar passed as raw bits in `raw` (an i32) as compute type t. */
export const fromBits = (t: CT): string => (t === 'f32' ? 'bitcast<f32>(raw)' : 'raw');

/** Builds a full shader: common helpers + the family template with placeholders replaced. */
export function shader(family: keyof typeof WGSL, subs: Record<string, string>, math = false): string {
  let src: string = WGSL[family];
  for (const [k, v] of Object.entries(subs)) src = src.split(`{{${k}}}`).join(v);
  if (src.includes('{{')) throw new Error(`webgpu: unfilled placeholder in ${family}: ${/\{\{\w+\}\}/.exec(src)?.[0]}`);
  return WGSL.common + (math ? WGSL.mathlib : '') + src;
}

// ---- op expressions: `x` (and `y`) in compute type t; returns the expression and its type ----

const F_UNARY: Record<UnaryOp, string | null> = {
  neg: '-x', abs: 'abs(x)', sign: 'sgn_(x)', exp: 'exp(x)', expm1: 'expm1_(x)', log: 'log_(x)', log1p: 'log1p_(x)',
  log2: 'log2_(x)', sqrt: 'sqrt_(x)', rsqrt: '1.0 / sqrt_(x)', sin: 'sin_(x)', cos: 'cos_(x)', tan: 'tan_(x)',
  asin: 'asin_(x)', acos: 'acos_(x)', atan: 'atan(x)', sinh: 'sinh_(x)', cosh: 'cosh_(x)', tanh: 'tanh_(x)',
  asinh: 'asinh_(x)', acosh: 'acosh_(x)', atanh: 'atanh_(x)', sigmoid: 'sigmoid_(x)', erf: 'erf_(x)', erfc: 'erfc_(x)', erfinv: 'erfinv_(x)',
  floor: 'floor(x)', ceil: 'ceil(x)', round: 'round(x)', trunc: 'trunc(x)', reciprocal: '1.0 / x',
  relu: 'select(x, 0.0, x <= 0.0)', logicalNot: 'select(0.0, 1.0, x == 0.0)',
  isnan: 'select(0.0, 1.0, f32_isnan(x))', isinf: 'select(0.0, 1.0, f32_isinf(x))', bitwiseNot: null,
};
const I_UNARY: Partial<Record<UnaryOp, string>> = {
  neg: '-x', abs: 'abs(x)', sign: 'sign(x)', floor: 'x', ceil: 'x', round: 'x', trunc: 'x', relu: 'max(x, 0)',
  logicalNot: 'select(0, 1, x == 0)', isnan: '0', isinf: '0', bitwiseNot: '~x',
};

export function unaryExpr(op: UnaryOp, d: DType): { expr: string; t: CT } {
  if (ctOf(d) === 'i32') {
    if (op === 'bitwiseNot' && d === 'bool') return { expr: '1 - x', t: 'i32' };
    const e = I_UNARY[op];
    if (e) return { expr: e, t: 'i32' };
    // Float math on integers computes in f32 (the caller's out dtype decides the stored type).
    return { expr: F_UNARY[op]!.replace(/\bx\b/g, 'f32(x)'), t: 'f32' };
  }
  const e = F_UNARY[op];
  if (!e) throw new TypeError(`webgpu: ${op} is not defined for dtype ${d}`);
  // WGSL lets builtins assume finite inputs (exp(NaN) came back inf, log(NaN) 89.1 on SwiftShader):
  // NaN in gives NaN out, as PyTorch, for every float op but the predicates.
  return { expr: NAN_PRED.has(op) ? e : `select(${e}, x, f32_isnan(x))`, t: 'f32' };
}
const NAN_PRED = new Set<UnaryOp>(['logicalNot', 'isnan', 'isinf', 'neg', 'abs', 'relu', 'sign']); // sign(NaN) = 0
/** Binary float ops built on builtins that may drop a NaN operand (pow_ has its own NaN rules: pow(NaN, 0) = 1). */
const NAN_BINARY = new Set<BinaryOp>(['atan2', 'fmod', 'remainder', 'floorDivide']);

const F_BINARY: Record<BinaryOp, string | null> = {
  add: 'x + y', sub: 'x - y', mul: 'x * y', div: 'x / y', pow: 'pow_(x, y)', maximum: 'maximum_(x, y)', minimum: 'minimum_(x, y)',
  atan2: 'atan2(x, y)', fmod: 'fmod_(x, y)', remainder: 'remainder_(x, y)', floorDivide: 'floor(x / y)',
  // ne is "not equal" (true where either is NaN, as PyTorch): Dawn/SwiftShader's `!=` is false there.
  eq: 'select(0.0, 1.0, x == y)', ne: 'select(1.0, 0.0, x == y)', lt: 'select(0.0, 1.0, x < y)', le: 'select(0.0, 1.0, x <= y)',
  gt: 'select(0.0, 1.0, x > y)', ge: 'select(0.0, 1.0, x >= y)',
  logicalAnd: 'select(0.0, 1.0, x != 0.0 && y != 0.0)', logicalOr: 'select(0.0, 1.0, x != 0.0 || y != 0.0)',
  logicalXor: 'select(0.0, 1.0, (x != 0.0) != (y != 0.0))', bitwiseAnd: null, bitwiseOr: null, bitwiseXor: null,
};
const I_BINARY: Record<BinaryOp, string | null> = {
  add: 'x + y', sub: 'x - y', mul: 'x * y', div: 'select(x / y, 0, y == 0)', pow: 'ipow_(x, y)', maximum: 'max(x, y)', minimum: 'min(x, y)',
  atan2: null, fmod: 'select(x % y, 0, y == 0)', remainder: 'iremainder_(x, y)', floorDivide: 'ifloordiv_(x, y)',
  eq: 'select(0, 1, x == y)', ne: 'select(0, 1, x != y)', lt: 'select(0, 1, x < y)', le: 'select(0, 1, x <= y)',
  gt: 'select(0, 1, x > y)', ge: 'select(0, 1, x >= y)',
  logicalAnd: 'select(0, 1, x != 0 && y != 0)', logicalOr: 'select(0, 1, x != 0 || y != 0)',
  logicalXor: 'select(0, 1, (x != 0) != (y != 0))', bitwiseAnd: 'x & y', bitwiseOr: 'x | y', bitwiseXor: 'x ^ y',
};


/**
 * The device check of an integer binary op (x, y in scope): errors the CPU raises at once are
 * flagged by the kernel (`flag(slot, y)` when `test` holds) and raised at the next read. Null: none.
 */
export function binaryCheck(op: BinaryOp, d: DType): { test: string; msg: string } | null {
  if (ctOf(d) !== 'i32' || d === 'bool') return null;
  if (op === 'pow') return { test: 'y < 0', msg: NEGATIVE_INTEGER_POWER };
  return INT_DIV_OPS.has(op) ? { test: 'y == 0', msg: INTEGER_DIVISION_BY_ZERO } : null;
}

export function binaryExpr(op: BinaryOp, d: DType): { expr: string; t: CT } {
  if (ctOf(d) === 'i32') {
    const e = I_BINARY[op];
    if (e) return { expr: e, t: 'i32' };
    return { expr: F_BINARY[op]!.replace(/\bx\b/g, 'f32(x)').replace(/\by\b/g, 'f32(y)'), t: 'f32' };
  }
  const e = F_BINARY[op];
  if (!e) throw new TypeError(`webgpu: ${op} is not defined for dtype ${d}`);
  return { expr: NAN_BINARY.has(op) ? `select(${e}, x + y, f32_isnan(x) || f32_isnan(y))` : e, t: 'f32' };
}

/** Body of comb(a, b) for a reduction, its identity value, and what the result is. */
export function reduceParts(op: ReduceOp, t: CT): { combine: string; ident: string; result: 'v' | 'i' } {
  const z = zeroOf(t), one = oneOf(t);
  const lowest = t === 'f32' ? '-f32_inf()' : 'bitcast<i32>(0x80000000u)';
  const highest = t === 'f32' ? 'f32_inf()' : '0x7fffffff';
  const order = (gt: string, ident: string, result: 'v' | 'i') => ({
    // NaN wins (the first NaN by index); otherwise the better value, ties to the smaller index.
    combine: (t === 'f32' ? `  if (f32_isnan(a.v) || f32_isnan(b.v)) {
    if (f32_isnan(a.v) && (!f32_isnan(b.v) || a.i < b.i)) { return a; }
    return b;
  }\n` : '') + `  if (a.v ${gt} b.v || (a.v == b.v && a.i < b.i)) { return a; }\n  return b;`,
    ident, result,
  });
  switch (op) {
    case 'sum': return { combine: '  return V(a.v + b.v, 0);', ident: z, result: 'v' };
    case 'prod': return { combine: '  return V(a.v * b.v, 0);', ident: one, result: 'v' };
    case 'max': return order('>', lowest, 'v');
    case 'min': return order('<', highest, 'v');
    case 'argmax': return order('>', lowest, 'i');
    case 'argmin': return order('<', highest, 'i');
    case 'all': return { combine: `  return V(select(${z}, ${one}, a.v != ${z} && b.v != ${z}), 0);`, ident: one, result: 'v' };
    case 'any': return { combine: `  return V(select(${z}, ${one}, a.v != ${z} || b.v != ${z}), 0);`, ident: z, result: 'v' };
  }
}
