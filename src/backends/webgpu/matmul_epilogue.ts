// WGSL generation for the matmul epilogue (Backend.matmulEpilogue) on WebGPU: the fused program's
// steps (./fused.ts prologue, the same per-step code and rounding) as the tiled matmul kernels'
// store_c, program input 0 being the float32 product and the others strided [B,M,N] loads; so values
// are bit for bit matmul into a temporary followed by runComposed. Null where that cannot be kept.

import { valueDtype, fusedKey, type FusedProgram } from '../fused.js';
import type { DType } from '../../dtype.js';
import { cast, ctOf } from './codegen.js';
import { codeId, kernelCache, outputDeps, prologue, type FusedKernel, type FusedOutputDeps } from './fused.js';

/**
 * Metadata after the tiled kernel's 13 words: per output, then per bound input, [offset, s0, s1, s2]
 * from word 13; then the run-time zero and the constants' bits. Operands of the dispatch: outputs,
 * a, b, then the bound inputs (FusedKernel.inputs: program inputs other than the product).
 */
const kernels = kernelCache<FusedKernel>();

/** The epilogue kernel for `p` writing outputs of `outDtypes` (cached), or null when unsupported. */
export function epilogueKernel(p: FusedProgram, outDtypes: readonly DType[]): FusedKernel | null {
  return kernels(`${fusedKey(p)}>${outDtypes.join(',')}`, () => generate(p, outDtypes));
}

function generate(p: FusedProgram, outDtypes: readonly DType[]): FusedKernel | null {
  const nOut = p.outputs.length;
  if (p.inputs[0] !== 'float32' || outDtypes.includes('float64')) return null;
  // Bound input j (program input v): the product itself, pinned as if reloaded from the temporary,
  // or a strided load at table entry nOut + (its place among the bound inputs other than the product).
  const load = (j: number, v: number): string => (v === 0 ? 'pin(acc)' : `ld_in${j - 1}(eo(${nOut + j - 1}, bz, r, c))`);
  const pro = prologue(p, 0, load, (nIn) => String(13 + 4 * (nOut + nIn - 1)));
  // The product must be live (else there is no matmul to fuse) and bound first.
  if (!pro || pro.inputs[0] !== 0 || pro.check) return null;
  const ins = pro.inputs.slice(1);
  // Operand indices: bound input j is the product (a, b: operands nOut, nOut + 1) or operand nOut + 1 + j.
  const operand = (j: number): number[] => (j === 0 ? [nOut, nOut + 1] : [nOut + 1 + j]);
  const body = [`  fz = u32(md[${13 + 4 * (nOut + ins.length)}]);`, ...pro.body];
  const outs: FusedOutputDeps[] = [];
  for (let i = 0; i < nOut; i++) {
    const v = p.outputs[i]!, deps = outputDeps(pro, v);
    if (!deps) return null;
    outs.push({ from: deps.from.flatMap(operand), checked: false });
    body.push(`  st_out${i}(eo(${i}, bz, r, c), ${cast(`v${v}`, ctOf(valueDtype(p, v)), outDtypes[i]!)});`); // as the copy kernel
  }
  const STORE = `fn eo(k: i32, bz: i32, r: i32, c: i32) -> i32 { let q = 13 + 4 * k; return md[q] + bz * md[q + 1] + r * md[q + 2] + c * md[q + 3]; }
${pro.steps}
fn store_c(bz: i32, r: i32, c: i32, acc: f32) {
${body.join('\n')}
}`;
  return {
    key: `epi#${codeId(STORE)}`, subs: { STORE }, inputs: ins, check: null, outs,
    names: [...outDtypes.map((_, i) => `out${i}`), ...ins.map((_, j) => `in${j}`)],
    scalars: [0, ...pro.consts],
  };
}
