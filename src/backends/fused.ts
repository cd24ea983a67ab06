// A fused elementwise program: a chain of unary/binary/where/cast steps (and constants) evaluated in
// one pass over an output shape, as torch.compile's code generation emits it. Backends may run it
// natively (`Backend.fused`: runtime-generated WebAssembly on the CPU, generated WGSL on WebGPU);
// `runComposed` runs the same program as the chain of primitive kernels, and is the reference: a
// native `fused` must give the same values (bit for bit on +-*/, casts, comparisons and selects).

import type { Backend, BinaryOp, BufferHandle, UnaryOp, View } from './backend.js';
import { BOOL_BINARY_OPS } from './backend.js';
import { itemSize, type DType, type RealDType } from '../dtype.js';
import { contiguousStrides } from '../shape.js';

/** One step of a fused program; operands are value numbers (inputs first, then steps in order). */
export type FusedStep =
  /** A unary primitive of the Backend (`out` dtype: bool for logicalNot/isnan/isinf, else the operand's). */
  | { kind: 'unary'; op: UnaryOp; a: number; dtype: DType }
  /** A binary primitive on two operands of one dtype (`dtype` is bool for comparisons and logical ops). */
  | { kind: 'binary'; op: BinaryOp; a: number; b: number; dtype: DType }
  /** cond ? a : b (cond bool, a and b of `dtype`). */
  | { kind: 'where'; cond: number; a: number; b: number; dtype: DType }
  /** A dtype conversion with the semantics of Backend.copy. */
  | { kind: 'cast'; a: number; dtype: DType }
  /** A constant of `dtype` (a folded fill). */
  | { kind: 'const'; value: number; dtype: DType };

/**
 * A fused elementwise kernel. It is independent of sizes and strides: every input is a strided View
 * broadcast (stride 0) to the output shape, every output a View of that shape, given at run time;
 * so one program serves every shape (dynamic dims) and backends cache compiled code by `key()`.
 */
export interface FusedProgram {
  /** Dtypes of the inputs (values 0..inputs.length-1). */
  readonly inputs: readonly DType[];
  /** Steps in dependency order; step i is value inputs.length + i. */
  readonly steps: readonly FusedStep[];
  /** The values written to the outputs, in output order (each output View has that value's dtype). */
  readonly outputs: readonly number[];
  /**
   * A reduction epilogue (an elementwise prologue fused into a reduction: softmax's sum of exp(x - max),
   * layer norm's variance): the last output value is reduced with Backend.reduce's `op` over the last
   * `nReduce` dims of the iteration shape (the inputs' broadcast shape, given by `ins[0].shape`: every
   * input View has the full iteration shape), into the last output, whose shape is the iteration
   * shape without those dims. Any outputs before it are side outputs: prologue values other kernels
   * also read (softmax's exp, read again to normalise), written whole as an elementwise program does.
   */
  readonly reduce?: { readonly op: 'sum' | 'prod' | 'max' | 'min'; readonly nReduce: number };
}

/** The dtype of value `v` of a program. */
export function valueDtype(p: FusedProgram, v: number): DType {
  return v < p.inputs.length ? p.inputs[v]! : p.steps[v - p.inputs.length]!.dtype;
}

/** A canonical string for a program (cache key for generated kernels). */
export function fusedKey(p: FusedProgram): string {
  const s = p.steps.map((st) => {
    switch (st.kind) {
      case 'unary': return `u:${st.op}:${st.a}:${st.dtype}`;
      case 'binary': return `b:${st.op}:${st.a}:${st.b}:${st.dtype}`;
      case 'where': return `w:${st.cond}:${st.a}:${st.b}:${st.dtype}`;
      case 'cast': return `c:${st.a}:${st.dtype}`;
      case 'const': return `k:${Object.is(st.value, -0) ? '-0' : st.value}:${st.dtype}`;
    }
  });
  return `${p.inputs.join(',')}|${s.join(';')}|${p.outputs.join(',')}${p.reduce ? `|r:${p.reduce.op}:${p.reduce.nReduce}` : ''}`;
}

/** Checks a program's typing (operands defined before use, operand dtypes as the primitives require). */
export function checkProgram(p: FusedProgram): void {
  const n = p.inputs.length;
  const dt = (v: number, at: number) => {
    if (!Number.isInteger(v) || v < 0 || v >= n + at) throw new Error(`fused program: step ${at} reads value ${v}, not defined before it`);
    return valueDtype(p, v);
  };
  p.steps.forEach((st, i) => {
    switch (st.kind) {
      case 'unary': dt(st.a, i); break;
      case 'binary': {
        const a = dt(st.a, i), b = dt(st.b, i);
        if (a !== b) throw new Error(`fused program: step ${i} (${st.op}) has operands of dtypes ${a} and ${b}`);
        if (BOOL_BINARY_OPS.has(st.op) !== (st.dtype === 'bool')) throw new Error(`fused program: step ${i} (${st.op}) cannot produce ${st.dtype}`);
        break;
      }
      case 'where':
        if (dt(st.cond, i) !== 'bool') throw new Error(`fused program: step ${i} (where) needs a bool condition`);
        if (dt(st.a, i) !== st.dtype || dt(st.b, i) !== st.dtype) throw new Error(`fused program: step ${i} (where) operands must be ${st.dtype}`);
        break;
      case 'cast': dt(st.a, i); break;
      case 'const': break;
    }
  });
  for (const o of p.outputs) dt(o, p.steps.length);
  if (p.reduce && p.outputs.length === 0) throw new Error('fused program: a reduction program has no output to reduce');
}

/**
 * Runs a program as the chain of primitive kernels it stands for (allocating one temporary per
 * step): the reference semantics, and what a backend without `fused` runs.
 */
export function runComposed(b: Backend, p: FusedProgram, ins: readonly View[], outs: readonly View[]): void {
  // The iteration shape: the outputs' (elementwise), or the inputs' full shape (reduction programs).
  const shape = p.reduce ? (ins[0]?.shape ?? outs[0]!.shape) : outs[0]!.shape, numel = shape.reduce((x, y) => x * y, 1);
  const temps: BufferHandle[] = [];
  const vals: View[] = [...ins];
  const tmp = (dtype: DType): View => {
    const buf = b.alloc(Math.max(numel, 1) * itemSize[dtype]);
    temps.push(buf);
    // Programs are built from recorded kernel calls, which are real: complex never reaches here.
    return { buf, dtype: dtype as RealDType, shape, strides: contiguousStrides(shape), offset: 0 };
  };
  try {
    for (const st of p.steps) {
      if (st.kind === 'const') {
        // A constant as the graph held it: one element broadcast (stride 0) over the shape, which
        // backends may special-case (the CPU's x ** 2 and x ** 3 by a broadcast exponent).
        const buf = b.alloc(itemSize[st.dtype]);
        temps.push(buf);
        b.fill({ buf, dtype: st.dtype as RealDType, shape: [], strides: [], offset: 0 }, st.value);
        vals.push({ buf, dtype: st.dtype as RealDType, shape, strides: shape.map(() => 0), offset: 0 });
        continue;
      }
      const out = tmp(st.dtype);
      switch (st.kind) {
        case 'unary': b.unary(st.op, vals[st.a]!, out); break;
        case 'binary': b.binary(st.op, vals[st.a]!, vals[st.b]!, out); break;
        case 'where': b.where(vals[st.cond]!, vals[st.a]!, vals[st.b]!, out); break;
        case 'cast': b.copy(vals[st.a]!, out); break;
      }
      vals.push(out);
    }
    // A reduction's side outputs are copied as an elementwise program's outputs; the last output is reduced.
    const nCopy = p.reduce ? p.outputs.length - 1 : p.outputs.length;
    for (let i = 0; i < nCopy; i++) b.copy(vals[p.outputs[i]!]!, outs[i]!);
    if (p.reduce) b.reduce(p.reduce.op, vals[p.outputs[nCopy]!]!, p.reduce.nReduce, outs[nCopy]!);
  } finally {
    for (const t of temps) b.free(t);
  }
}
