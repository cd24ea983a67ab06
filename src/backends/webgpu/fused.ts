// WGSL generation for fused elementwise programs (Backend.fused, src/backends/fused.ts) on WebGPU:
// one shader per program (shaders/fused.wgsl), sizes/strides/offsets as run-time metadata so one
// pipeline serves every shape of a collapsed rank (the elementwise dispatch specialises offsets to
// it: rankedElementwise in ./index.ts). Contract: each step is the WGSL of the backend's own unary/binary/
// where/copy/fill kernel (codegen.ts), followed by what storing and reloading its dtype does, so
// values are bit for bit those of `runComposed` on this backend. Null where that cannot be kept.
// `prologue` is shared with programs that end in a reduction (./fused_reduce.ts).

import { valueDtype, fusedKey, checkProgram, type FusedProgram, type FusedStep } from '../fused.js';
import type { View } from '../backend.js';
import type { DType } from '../../dtype.js';
import { binaryCheck, binaryExpr, cast, ctOf, fromBits, scalarBits, stored, unaryExpr, zeroOf } from './codegen.js';

/** What one output of a multi-output dispatch is computed from: the read operands (indices among
 * the dispatch's operands) it inherits poison from, and whether the dispatch's check taints it. */
export interface FusedOutputDeps { readonly from: readonly number[]; readonly checked: boolean }

/** A generated kernel for one program and output dtypes. */
export interface FusedKernel {
  /** Dispatch key: one per distinct generated code (with the operands' dtypes, the source). */
  readonly key: string;
  /** Placeholders of shaders/fused.wgsl besides DECLS. */
  readonly subs: Readonly<Record<string, string>>;
  /** Binding names: out0.. then in<j> for each bound input. */
  readonly names: readonly string[];
  /** Program inputs bound after the outputs (inputs no output depends on are left out). */
  readonly inputs: readonly number[];
  /** Metadata after the operand table: the run-time zero, the constants' bits, then the check's slot. */
  readonly scalars: readonly number[];
  /** The message of the integer-error check (division by zero, negative power), or null. */
  readonly check: string | null;
  readonly outs: readonly FusedOutputDeps[];
}

const operands = (st: FusedStep): number[] =>
  st.kind === 'unary' || st.kind === 'cast' ? [st.a] : st.kind === 'binary' ? [st.a, st.b] : st.kind === 'where' ? [st.cond, st.a, st.b] : [];

/** A step's result as the next kernel would load it; float32 pinned (see pin in mathlib.wgsl). */
const settle = (v: string, d: DType): string => (d === 'float32' ? `pin(${v})` : stored(v, d));

/**
 * A cache of generated kernels by key (null: unsupported, also remembered), emptied when it reaches
 * 1024 entries: a compiled graph asks for its kernels every step.
 */
export function kernelCache<K>(): (key: string, make: () => K | null) => K | null {
  const m = new Map<string, K | null>();
  return (key, make) => {
    let k = m.get(key);
    if (k === undefined) {
      if (m.size >= 1024) m.clear();
      k = make();
      m.set(key, k);
    }
    return k;
  };
}

/** Generated kernels by program and output dtypes. */
const kernels = kernelCache<FusedKernel>();
/** Generated code -> pipeline key: programs that differ only in constants share one pipeline. */
const codeIds = new Map<string, number>();

/** The kernel for `p` writing outputs of `outDtypes` (cached), or null when unsupported. */
export function fusedKernel(p: FusedProgram, outDtypes: readonly DType[]): FusedKernel | null {
  return kernels(`${fusedKey(p)}>${outDtypes.join(',')}`, () => generate(p, outDtypes));
}

/** The loads and steps of a program's live values, shared by the elementwise, reduction and epilogue kernels. */
export interface Prologue {
  /** Statements: the bound inputs' loads (`let v<v>`), then each live step in order as a block setting `v<v>`. */
  readonly body: readonly string[];
  /** Program inputs bound (the live ones), in binding order. */
  readonly inputs: readonly number[];
  /** The constants' bits, in the order the steps read them after the run-time zero. */
  readonly consts: readonly number[];
  readonly check: string | null;
  /** Per live value: operand indices of the bound inputs, and the checked steps, it depends on. */
  readonly from: readonly Set<number>[];
  readonly checks: readonly Set<number>[];
}

/**
 * Generates what computes the program's `outputs` (null where unsupported). `firstIn`: the operand
 * index of the first bound input; `load(j, v)`: the expression loading bound input j (program input v) at this element;
 * `scalars(nIn)`: the metadata index of the scalars (run-time zero, constants, check slot).
 */
export function prologue(p: FusedProgram, firstIn: number, load: (j: number, v: number) => string, scalars: (nIn: number) => string): Prologue | null {
  checkProgram(p);
  const n = p.inputs.length, total = n + p.steps.length;
  const dt = (v: number): DType => valueDtype(p, v);
  for (let v = 0; v < total; v++) if (dt(v) === 'float64') return null;
  // Only what reaches an output is computed: a dead step's check would poison nothing in the chain.
  const live = new Array<boolean>(total).fill(false);
  for (const o of p.outputs) live[o] = true;
  for (let v = total - 1; v >= n; v--) if (live[v]) for (const a of operands(p.steps[v - n]!)) live[a] = true;
  const inputs = [...Array(n).keys()].filter((v) => live[v]);
  const base = scalars(inputs.length);
  const consts: number[] = [];
  let check: string | null = null;
  // Per value: the bound inputs (operand indices) and checked steps it depends on.
  const from: Set<number>[] = [], checks: Set<number>[] = [];
  inputs.forEach((v, j) => { from[v] = new Set([firstIn + j]); checks[v] = new Set(); });
  const body: string[] = [];
  inputs.forEach((v, j) => body.push(`  let v${v} = ${load(j, v)};`));
  for (let v = n; v < total; v++) {
    if (!live[v]) continue;
    const st = p.steps[v - n]!, d = st.dtype, T = ctOf(d);
    const args = operands(st);
    from[v] = new Set(args.flatMap((a) => [...from[a]!]));
    checks[v] = new Set(args.flatMap((a) => [...checks[a]!]));
    // The step as a block: its parameters bound to its operands, statements, the value it returns.
    let params: string[], stmts = '', ret: string;
    try {
      switch (st.kind) {
        case 'unary': {
          const { expr, t } = unaryExpr(st.op, dt(st.a));
          params = ['x'];
          stmts = `let r = ${expr}; `;
          ret = settle(cast('r', t, d), d);
          break;
        }
        case 'binary': {
          const da = dt(st.a), { expr, t } = binaryExpr(st.op, da), ck = binaryCheck(st.op, da);
          if (ck) {
            if (check !== null && check !== ck.msg) return null; // one check per dispatch
            check = ck.msg;
            checks[v]!.add(v);
            stmts = `if (${ck.test}) { flag(CHECK_SLOT, y); } `;
          }
          params = ['x', 'y'];
          stmts += `let r = ${expr}; `;
          ret = settle(cast('r', t, d), d);
          break;
        }
        case 'where': // as the where kernel: the selected operand unchanged (already a stored value)
          params = ['c', 'a', 'b'];
          ret = `select(b, a, c != ${zeroOf(ctOf(dt(st.cond)))})`;
          break;
        case 'cast': // as the copy kernel
          params = ['v'];
          ret = settle(cast('v', ctOf(dt(st.a)), d), d);
          break;
        case 'const': // as the fill kernel: the value's bits from the metadata
          consts.push(scalarBits(d, st.value));
          params = [];
          stmts = `let raw = md[${base} + ${consts.length}]; `;
          ret = settle(fromBits(T), d);
          break;
      }
    } catch (e) {
      if (e instanceof TypeError) return null; // an op the backend's kernels lack for this dtype
      throw e;
    }
    // Inline, not a function per step: SwiftShader's JIT keeps the calls, and a LayerNorm + GELU
    // program ran ~10% faster without them.
    const bind = params.map((q, k) => `let ${q} = v${args[k]!}; `).join('');
    body.push(`  var v${v}: ${T};`, `  { ${bind}${stmts}v${v} = ${ret}; }`);
  }
  const slot = `${base} + ${consts.length + 1}`;
  return { body: body.map((l) => l.split('CHECK_SLOT').join(slot)), inputs, consts, check, from, checks };
}

/** The dependencies of output value `v`; null where one check flag cannot stand for its checked steps. */
export function outputDeps(pro: Prologue, v: number): FusedOutputDeps | null {
  const nChecked = pro.checks.filter((c, w) => c.has(w)).length;
  // One check stands for every checked step: exact only when each output depends on all or none.
  const used = pro.checks[v]!.size;
  if (used !== 0 && used !== nChecked) return null;
  return { from: [...pro.from[v]!].sort((a, b) => a - b), checked: used > 0 };
}

/** A pipeline key per distinct generated code: programs that differ only in constants share one. */
export function codeId(code: string): number {
  let id = codeIds.get(code);
  if (id === undefined) { id = codeIds.size; codeIds.set(code, id); }
  return id;
}

function generate(p: FusedProgram, outDtypes: readonly DType[]): FusedKernel | null {
  const nOut = p.outputs.length;
  const pro = prologue(p, nOut, (j) => `ld_in${j}(op_off(${nOut + j}, i))`, (nIn) => `scalar_slot(${nOut + nIn})`);
  if (!pro || outDtypes.includes('float64')) return null;
  const { inputs, consts, check } = pro;
  const body = [`  fz = u32(md[scalar_slot(${nOut + inputs.length})]);`, ...pro.body];
  const outs: FusedOutputDeps[] = [];
  for (let i = 0; i < nOut; i++) {
    const v = p.outputs[i]!, deps = outputDeps(pro, v);
    if (!deps) return null;
    outs.push(deps);
    body.push(`  st_out${i}(op_off(${i}, i), ${cast(`v${v}`, ctOf(valueDtype(p, v)), outDtypes[i]!)});`); // as the copy kernel
  }
  const subs = { BODY: body.join('\n') };
  return {
    key: `fused#${codeId(subs.BODY)}`, subs, inputs, check, outs,
    names: [...outDtypes.map((_, i) => `out${i}`), ...inputs.map((_, j) => `in${j}`)],
    scalars: [0, ...consts, ...(check ? [0] : [])],
  };
}

/**
 * Whether the views fit the program and can be run by one dispatch as runComposed would: dtypes as
 * declared, every view of the output shape, no two outputs in one buffer (their writes would race),
 * no output that passes an input through from a buffer an output writes, bindings within `max`.
 */
export function fusedViewsOk(p: FusedProgram, k: FusedKernel, ins: readonly View[], outs: readonly View[], maxBindings: number): boolean {
  if (ins.length !== p.inputs.length || outs.length !== p.outputs.length || outs.length === 0) return false;
  const shape = outs[0]!.shape;
  const fits = (v: View) => v.shape.length === shape.length && v.strides.length === shape.length && v.shape.every((s, d) => s === shape[d]);
  if (!ins.every((v, i) => v.dtype === p.inputs[i] && fits(v)) || !outs.every(fits)) return false;
  const written = new Set(outs.map((o) => o.buf));
  if (written.size !== outs.length) return false;
  if (p.outputs.some((v) => v < ins.length && written.has(ins[v]!.buf))) return false;
  return 1 + outs.length + k.inputs.length + (k.check ? 1 : 0) <= maxBindings;
}
