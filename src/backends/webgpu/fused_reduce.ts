// WGSL generation for fused programs with a reduction (FusedProgram.reduce): the elementwise prologue
// (./fused.ts, the same step code and per-step rounding) evaluated where Backend.reduce's
// kernels load an element (shaders/fused_reduce.wgsl), with their strategies and accumulation order:
// R <= 32 (on CPU adapters more: WebGPUBackend.rowsReduce decides for both) one invocation per
// output in index order (reduce_rows.wgsl), else one workgroup per output
// folding r = lid (mod 64) then a 64-wide tree (reduce.wgsl). So values are bit for bit those of
// runComposed (prologue into a temporary, then reduce). Side outputs (the outputs before the reduced
// one) are stored where their element is computed: each element is visited by exactly one invocation,
// their views walked like the inputs' (operand table entries after them). Null / false where that
// cannot be kept.

import { fusedKey, valueDtype, type FusedProgram } from '../fused.js';
import type { View } from '../backend.js';
import type { DType } from '../../dtype.js';
import { isContiguous } from '../../shape.js';
import { collapse } from '../../shape.js';
import { cast, ctOf, reduceParts, type CT } from './codegen.js';
import { codeId, kernelCache, outputDeps, prologue, type FusedOutputDeps } from './fused.js';

/** Reductions up to this length run one invocation per output: reduce()'s threshold, same order. */
export const ROWS_MAX = 32;

/** A generated reduction kernel for one program and output dtype. */
export interface FusedReduceKernel {
  /** Dispatch key: one per distinct generated code (the operands' dtypes are added by the dispatch). */
  readonly key: string;
  /** Placeholders of shaders/fused_reduce.wgsl besides DECLS. */
  readonly subs: Readonly<Record<string, string>>;
  /** Program inputs bound after the output (those the outputs depend on), as in<j>; then the side outputs, as side<k>. */
  readonly inputs: readonly number[];
  /** What each side output inherits poison from (as `deps`). */
  readonly sides: readonly FusedOutputDeps[];
  /** Metadata after outOffset: the run-time zero, the constants' bits, then the check's slot. */
  readonly scalars: readonly number[];
  /** The message of the integer-error check, or null. */
  readonly check: string | null;
  /** What the output inherits poison from (operand 0 is the output, bound input j is operand 1 + j). */
  readonly deps: FusedOutputDeps;
  /** The compute type of the reduced value (a chunked dispatch's partials). */
  readonly t: CT;
  /** Operands walked per reduced element: the bound inputs, then the side outputs (NIN). */
  readonly walked: number;
}

const kernels = kernelCache<FusedReduceKernel>();

/**
 * The kernel for reduction program `p` writing outputs of `outDtypes` (the side outputs', then the
 * reduced output's; cached), or null when unsupported.
 */
export function fusedReduceKernel(p: FusedProgram, outDtypes: readonly DType[]): FusedReduceKernel | null {
  return kernels(`${fusedKey(p)}>${outDtypes.join(',')}`, () => generate(p, outDtypes));
}

function generate(p: FusedProgram, outDtypes: readonly DType[]): FusedReduceKernel | null {
  const red = p.reduce, nSide = p.outputs.length - 1, outDtype = outDtypes.at(-1)!;
  if (!red || nSide < 0 || outDtypes.length !== p.outputs.length || outDtypes.includes('float64')) return null;
  // The table holds the bound inputs, then the side outputs; the output's offset and the scalars follow.
  const pro = prologue(p, 1, (j) => `ld_in${j}(at${j}(r))`, (nIn) => `in_op(${nIn + nSide}) + 3`);
  if (!pro) return null;
  const v = p.outputs.at(-1)!, deps = outputDeps(pro, v);
  if (!deps) return null;
  const nIn = pro.inputs.length, t = ctOf(valueDtype(p, v)), parts = reduceParts(red.op, t);
  const sides: FusedOutputDeps[] = [], stores: string[] = [];
  for (let k = 0; k < nSide; k++) {
    const w = p.outputs[k]!, d = outputDeps(pro, w);
    if (!d) return null;
    sides.push(d);
    // As the copy kernel stores it (runComposed copies each side value into its output).
    stores.push(`  st_side${k}(at${nIn + k}(r), ${cast(`v${w}`, ctOf(valueDtype(p, w)), outDtypes[k]!)});`);
  }
  const walked = nIn + nSide;
  const subs = {
    BODY: ['  set_r(r);', ...pro.body, ...stores, `  return v${v};`].join('\n'), NIN: String(walked), T: t,
    COMBINE: parts.combine, IDENT: parts.ident, FINAL: `let r = res.${parts.result};`, CAST: cast('r', t, outDtype),
  };
  const code = Object.entries(subs).map(([name, s]) => `${name}=${s}`).join('\n');
  return { key: `fused_reduce#${codeId(code)}`, subs, t, walked, inputs: pro.inputs, sides, check: pro.check, deps, scalars: [0, ...pro.consts, ...(pro.check ? [0] : [])] };
}

/**
 * <RANKED> for `walked` operands and the dispatch's collapsed outer and reduced ranks kd, md: each
 * operand's offset at the current output (base<j>) and strides along the reduced dims, read once
 * per output by set_bases; set_r(r), called once per element, the reduced element's coordinates
 * (md - 1 divisions, none for the usual single reduced dim); at<j>(r), operand j's element.
 * SwiftShader loads a metadata word per lane and use, and divided again per operand before.
 */
export function fusedReduceRanked(walked: number, kd: number, md: number): string {
  const ops = [...Array(walked).keys()], dims = [...Array(md).keys()];
  const decl = (names: string[]) => names.map((x) => `var<private> ${x}: i32;`).join('\n');
  const stride = (j: number, d: number) => `rs${j}_${d}`;
  const lines = [decl(ops.map((j) => `base${j}`)), decl(ops.flatMap((j) => dims.map((d) => stride(j, d))))];
  if (md > 1) lines.push(decl(dims.map((d) => `rn${d}`)), decl(dims.map((d) => `rc${d}`)));
  lines.push('fn set_bases(o: i32) {',
    ...ops.map((j) => `  base${j} = strided(o, md[1], 4, in_op(${j}));`),
    ...ops.flatMap((j) => dims.map((d) => `  ${stride(j, d)} = md[in_op(${j}) + ${2 + kd + d}];`)),
    ...(md > 1 ? dims.map((d) => `  rn${d} = md[${4 + kd + d}];`) : []), '}');
  if (md > 1) {
    lines.push('fn set_r(r: i32) {', '  var rem = r;',
      ...dims.slice(1).reverse().map((d) => `  rc${d} = rem % rn${d}; rem = rem / rn${d};`), '  rc0 = rem;', '}');
  } else lines.push('fn set_r(r: i32) {}');
  for (const j of ops) {
    const terms = md > 1 ? dims.map((d) => ` + rc${d} * ${stride(j, d)}`).join('') : md === 1 ? ` + r * ${stride(j, 0)}` : '';
    lines.push(`fn at${j}(r: i32) -> i32 { return base${j}${terms}; }`);
  }
  return lines.join('\n');
}

/**
 * finish() for a dispatch chunked (G > 1 workgroups per output, WebGPUBackend.reduceChunks: the
 * chunk's partial for reduce_parts.wgsl, chunkFinish) or not (the output stored).
 */
export function fusedReduceFinish(k: FusedReduceKernel, chunked: boolean): string {
  return chunked ? chunkFinish('')
    : `fn finish(res: V, o: i32) {\n  ${k.subs.FINAL}\n  st_out(md[in_op(${k.walked})] + o, ${k.subs.CAST});\n}`;
}

/** finish() of a chunked reduction's first pass (reduce.wgsl, fused_reduce.wgsl): workgroup w's (value bits, index) at words 2w, 2w + 1 of `partials`. */
export function chunkFinish(extraParams: string): string {
  return `fn finish(res: V, w: i32${extraParams}) {\n  st_partials(2 * w, bitcast<i32>(res.v));\n  st_partials(2 * w + 1, res.i);\n}`;
}

/**
 * Whether the views fit the program as runComposed runs it: inputs of the declared dtypes all of the
 * iteration shape (ins[0]'s), side outputs of that shape in buffers of their own (no stride 0: an
 * element written twice), an output of that shape without the last nReduce dims and contiguous (the
 * reduce kernels write outOffset + o), a non-empty reduction (an empty one throws for max/min: left
 * to runComposed), bindings within `max`.
 */
export function fusedReduceViewsOk(p: FusedProgram, k: FusedReduceKernel, ins: readonly View[], outs: readonly View[], maxBindings: number): boolean {
  const nr = p.reduce?.nReduce;
  if (nr === undefined || ins.length !== p.inputs.length || ins.length === 0 || outs.length !== p.outputs.length) return false;
  const shape = ins[0]!.shape, nd = shape.length;
  if (!Number.isInteger(nr) || nr < 0 || nr > nd) return false;
  const same = (v: View, s: readonly number[]) => v.shape.length === s.length && v.strides.length === s.length && v.shape.every((x, d) => x === s[d]);
  if (!ins.every((v, i) => v.dtype === p.inputs[i] && same(v, shape))) return false;
  const out = outs.at(-1)!, sides = outs.slice(0, -1);
  if (!same(out, shape.slice(0, nd - nr)) || !isContiguous(out.shape, out.strides)) return false;
  if (new Set(outs.map((o) => o.buf)).size !== outs.length || sides.some((o) => ins.some((v) => v.buf === o.buf))) return false;
  if (!sides.every((o) => same(o, shape) && o.strides.every((x, d) => x !== 0 || shape[d] === 1))) return false;
  if (shape.slice(nd - nr).includes(0)) return false;
  return 1 + 1 + k.inputs.length + sides.length + (k.check ? 1 : 0) <= maxBindings;
}

/**
 * The dispatch's metadata (see shaders/fused_reduce.wgsl) over the iteration shape and the bound
 * views (inputs, then side outputs), with the outer and the reduced dims each collapsed across all
 * of them (collapsing changes offsets, not the order).
 */
export function fusedReduceMeta(k: FusedReduceKernel, shape: readonly number[], nReduce: number, bound: readonly View[], out: View): { meta: number[]; nOut: number; R: number; chunkAt: number } {
  const kd = shape.length - nReduce;
  const o = collapse(shape.slice(0, kd), bound.map((v) => v.strides.slice(0, kd)));
  const r = collapse(shape.slice(kd), bound.map((v) => v.strides.slice(kd)));
  const nOut = o.shape.reduce((a, b) => a * b, 1), R = r.shape.reduce((a, b) => a * b, 1);
  const meta = [nOut, o.shape.length, R, r.shape.length, ...o.shape, ...r.shape];
  bound.forEach((v, j) => meta.push(v.offset, ...o.strides[j]!, 0, ...r.strides[j]!));
  // G = 1 chunk of L = R elements per output, unless the dispatch chunks the reduction (chunkAt: G's word).
  const chunkAt = meta.length + 1;
  meta.push(out.offset, 1, R, ...k.scalars);
  return { meta, nOut, R, chunkAt };
}
