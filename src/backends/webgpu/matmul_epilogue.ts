// WGSL generation for the matmul epilogue (Backend.matmulEpilogue) on WebGPU: the fused program's
// steps (./fused.ts prologue, the same per-step code and rounding) as the tiled matmul kernels'
// store_c, program input 0 being the float32 product, the others strided [B,M,N] loads or scalars
// in the metadata; so values are bit for bit matmul into a temporary followed by runComposed. Null
// where that cannot be kept.

import { valueDtype, fusedKey, type FusedProgram } from '../fused.js';
import type { DType } from '../../dtype.js';
import { cast, ctOf } from './codegen.js';
import { codeId, kernelCache, outputDeps, prologue, type FusedKernel, type FusedOutputDeps } from './fused.js';

/**
 * Metadata after the tiled kernel's 13 words: per output, then per bound input, [offset, s0, s1, s2]
 * from word 13; the scalar inputs passed in the metadata (one word each, copied there on the device);
 * then the run-time zero and the constants' bits. Operands of the dispatch: outputs, a, b, then the
 * bound inputs (FusedKernel.inputs: program inputs other than the product and the metadata scalars).
 */
export interface EpilogueKernel extends FusedKernel {
  /** Program inputs read from the metadata, from word `metaWord` on. */
  readonly metaInputs: readonly number[];
  readonly metaWord: number;
  /** Per output: the metadata scalars (indices into metaInputs) it depends on. */
  readonly metaDeps: readonly (readonly number[])[];
}

const kernels = kernelCache<EpilogueKernel>();

/**
 * The epilogue kernel for `p` writing outputs of `outDtypes` (cached), or null when unsupported.
 * inMeta[v]: program input v (a float32 or int32 scalar) is passed in the metadata, not bound.
 */
export function epilogueKernel(p: FusedProgram, outDtypes: readonly DType[], inMeta: readonly boolean[]): EpilogueKernel | null {
  return kernels(`${fusedKey(p)}>${outDtypes.join(',')}>${inMeta.map(Number).join('')}`, () => generate(p, outDtypes, inMeta));
}

function generate(p: FusedProgram, outDtypes: readonly DType[], inMeta: readonly boolean[]): EpilogueKernel | null {
  const nOut = p.outputs.length;
  if (p.inputs[0] !== 'float32' || outDtypes.includes('float64')) return null;
  // Loads and the scalars' base are placeholders until the live inputs are known.
  const pro = prologue(p, 0, (_j, v) => `@LD${v}@`, () => '@BASE@');
  // The product must be live (else there is no matmul to fuse) and bound first.
  if (!pro || pro.inputs[0] !== 0 || pro.check) return null;
  const ins = pro.inputs.slice(1).filter((v) => !inMeta[v]), metaInputs = pro.inputs.slice(1).filter((v) => inMeta[v]);
  const metaWord = 13 + 4 * (nOut + ins.length), base = metaWord + metaInputs.length;
  // The product, pinned as if reloaded from the temporary; a strided load at table entry nOut + i;
  // a metadata word, as the load of its 4 bytes.
  const load = (v: number): string => {
    if (v === 0) return 'pin(acc)';
    const q = metaInputs.indexOf(v);
    if (q >= 0) return p.inputs[v] === 'float32' ? `bitcast<f32>(md[${metaWord + q}])` : `md[${metaWord + q}]`;
    const i = ins.indexOf(v);
    return `ld_in${i}(eo(${nOut + i}, bz, r, c))`;
  };
  const fill = (code: string): string => code.replace(/@LD(\d+)@/g, (_m, v: string) => load(Number(v))).split('@BASE@').join(String(base));
  // Operand indices: the product is a and b (operands nOut, nOut + 1), bound input i operand nOut + 2 + i.
  const operand = (j: number): number[] => {
    const v = pro.inputs[j]!;
    return v === 0 ? [nOut, nOut + 1] : inMeta[v] ? [] : [nOut + 2 + ins.indexOf(v)];
  };
  const body = [`  fz = u32(md[${base}]);`, ...pro.body];
  const outs: FusedOutputDeps[] = [], metaDeps: number[][] = [];
  for (let i = 0; i < nOut; i++) {
    const v = p.outputs[i]!, deps = outputDeps(pro, v);
    if (!deps) return null;
    outs.push({ from: deps.from.flatMap(operand), checked: false });
    metaDeps.push(deps.from.map((j) => metaInputs.indexOf(pro.inputs[j]!)).filter((q) => q >= 0));
    body.push(`  st_out${i}(eo(${i}, bz, r, c), ${cast(`v${v}`, ctOf(valueDtype(p, v)), outDtypes[i]!)});`); // as the copy kernel
  }
  const STORE = fill(`fn eo(k: i32, bz: i32, r: i32, c: i32) -> i32 { let q = 13 + 4 * k; return md[q] + bz * md[q + 1] + r * md[q + 2] + c * md[q + 3]; }
fn store_c(bz: i32, r: i32, c: i32, acc: f32) {
${body.join('\n')}
}`);
  return {
    key: `epi#${codeId(STORE)}`, subs: { STORE }, inputs: ins, check: null, outs, metaInputs, metaWord, metaDeps,
    names: [...outDtypes.map((_, i) => `out${i}`), ...ins.map((_, j) => `in${j}`)],
    scalars: [0, ...pro.consts],
  };
}
