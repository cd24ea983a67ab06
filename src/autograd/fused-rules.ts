// Fused kernels for backward rules: where no graph is being built (backward without createGraph), a
// rule's elementwise chain runs as one Backend.fused kernel instead of a kernel per op, as PyTorch's
// dedicated backward kernels do (threshold_backward, layer norm's). The composed ops run otherwise
// (createGraph, so higher orders see them; torch.compile's capture, whose Recorder has no `fused`
// and whose compiler fuses the chain itself; backends without `fused`); the kernel gives their bits.

import { isGradEnabled } from './grad-mode.js';
import type { FusedProgram } from '../backends/fused.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, type PrimAttrs } from '../ops/prim.js';
import { where } from '../ops/elementwise.js';

const programs = new Map<string, FusedProgram>();
/** The program cached under `key` (made once). */
function program(key: string, make: () => FusedProgram): FusedProgram {
  let p = programs.get(key);
  if (!p) programs.set(key, (p = make()));
  return p;
}

/** Runs program p over `ins` (broadcast to `shape`) into a fresh tensor, or returns null where it cannot (the caller composes). */
function runFused(p: () => FusedProgram, ins: readonly Tensor[], shape: readonly number[]): Tensor | null {
  const x = ins[0]!, b = backendOf(x);
  if (isGradEnabled() || !b.fused || !(x.dtype === 'float32' || x.dtype === 'float16') || ins.some((t) => t.dtype !== x.dtype || t.device !== x.device)) return null;
  const r = empty(shape, x.dtype, x.device);
  if (r.numel() === 0 || b.fused(p(), ins.map((t) => t.expand([...shape]).view_()), [r.view_()])) return r;
  r.dispose();
  return null;
}

/** where(out <= 0, 0, g) (ReLU's gradient from its output) over inputs (out, g). */
function thresholdProgram(outDtype: DType, gDtype: DType): FusedProgram {
  return program(`relu>${outDtype}>${gDtype}`, () => ({
    inputs: [outDtype, gDtype],
    steps: [
      { kind: 'const', value: 0, dtype: outDtype }, // 2
      { kind: 'binary', op: 'le', a: 0, b: 2, dtype: 'bool' }, // 3: out <= 0
      { kind: 'const', value: 0, dtype: gDtype }, // 4
      { kind: 'where', cond: 3, a: 4, b: 1, dtype: gDtype }, // 5
    ],
    outputs: [5],
  }));
}

/** ReLU's gradient: 0 where out <= 0, else g (PyTorch's threshold_backward), in one kernel when it can. */
export function thresholdBackward(out: Tensor, g: Tensor): Tensor {
  const same = out.shape.length === g.shape.length && out.shape.every((d, i) => d === g.shape[i]);
  return (same ? runFused(() => thresholdProgram(out.dtype, g.dtype), [out, g], out.shape) : null) ?? where(out.le(0), 0, g);
}

/** rstd * ((g - s1 * k) - x̂ * (s2 * k)) over inputs (g, x̂, rstd, s1, s2), k a constant. */
function layerNormProgram(d: DType, k: number): FusedProgram {
  return program(`ln>${d}>${k}`, () => ({
    inputs: [d, d, d, d, d], // 0 g, 1 x̂, 2 rstd, 3 s1, 4 s2
    steps: [
      { kind: 'const', value: k, dtype: d }, // 5
      { kind: 'binary', op: 'mul', a: 3, b: 5, dtype: d }, // 6: s1 k
      { kind: 'binary', op: 'sub', a: 0, b: 6, dtype: d }, // 7: g - s1 k
      { kind: 'binary', op: 'mul', a: 4, b: 5, dtype: d }, // 8: s2 k
      { kind: 'binary', op: 'mul', a: 1, b: 8, dtype: d }, // 9: x̂ s2 k
      { kind: 'binary', op: 'sub', a: 7, b: 9, dtype: d }, // 10
      { kind: 'binary', op: 'mul', a: 2, b: 10, dtype: d }, // 11: rstd (...)
    ],
    outputs: [11],
  }));
}

/**
 * x's gradient through x̂ = (x - mean) rstd over `dims` (PyTorch's layer-norm backward): rstd (g -
 * mean(g) - x̂ mean(g x̂)), the means as sums times 1/n. Without a graph rstd is the saved one and the
 * last chain one kernel; with one (createGraph) rstd is recomputed from x, so higher orders see its
 * dependence on x.
 */
export function standardizeBackward(g: Tensor, x: Tensor, xhat: Tensor, rstdSaved: Tensor, a: PrimAttrs['standardize']): Tensor {
  const n = a.dims.reduce((m, d) => m * x.shape[d]!, 1), k = 1 / n;
  const rstd = isGradEnabled() ? x.sub(x.mean(a.dims, true)).square().mean(a.dims, true).add(a.eps).rsqrt() : rstdSaved;
  const s1 = g.sum(a.dims, true), s2 = g.mul(xhat).sum(a.dims, true);
  return runFused(() => layerNormProgram(g.dtype, k), [g, xhat, rstd, s1, s2], g.shape)
    ?? rstd.mul(g.sub(s1.mul(k)).sub(xhat.mul(s2.mul(k))));
}
