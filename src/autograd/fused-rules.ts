// Fused kernels for backward rules: where no graph is being built (backward without createGraph), a
// rule's elementwise chain runs as one Backend.fused kernel instead of a kernel per op, as PyTorch's
// dedicated kernels do (threshold_backward, layer norm's, gelu's, softmax's; the forwards of GELU,
// softmax, logSoftmax and layer/group norm too, recorded as one node by their ops). The composed
// ops run otherwise (createGraph, so higher orders see them; torch.compile's capture, whose Recorder
// has no `fused` and whose compiler fuses the chain itself; backends without `fused`); the kernel
// gives their bits.

import { isGradEnabled } from './grad-mode.js';
import type { FusedProgram, FusedStep } from '../backends/fused.js';
import type { DType } from '../dtype.js';
import { shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, type PrimAttrs } from '../ops/prim.js';
import { where } from '../ops/elementwise.js';

const programs = new Map<string, FusedProgram>();
/** The program cached under `key` (made once); also addmm's epilogue (ops/linalg.ts). */
export function program(key: string, make: () => FusedProgram): FusedProgram {
  let p = programs.get(key);
  if (!p) programs.set(key, (p = make()));
  return p;
}

/**
 * Runs program p over `ins` (broadcast to `shape`) into a fresh tensor, or returns null where it
 * cannot (the caller composes). A backward rule's (`rule`) only without a graph being built.
 */
function runFused(p: () => FusedProgram, ins: readonly Tensor[], shape: readonly number[], rule = true): Tensor | null {
  const x = ins[0]!, b = backendOf(x);
  if ((rule && isGradEnabled()) || !b.fused || !(x.dtype === 'float32' || x.dtype === 'float16') || ins.some((t) => t.dtype !== x.dtype || t.device !== x.device)) return null;
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

/**
 * ReLU's gradient: 0 where out <= 0, else g (PyTorch's threshold_backward), in one kernel when it can.
 * With a graph being built (createGraph) the zeros are out * 0: PyTorch's threshold_backward has a
 * (zero) derivative in its input, so a parameter reaching a gradient penalty only through a ReLU's
 * input gets a zero gradient there, not none (an optimizer steps a zero gradient, skips a missing one).
 */
export function thresholdBackward(out: Tensor, g: Tensor): Tensor {
  const fused = shapesEqual(out.shape, g.shape) ? runFused(() => thresholdProgram(out.dtype, g.dtype), [out, g], out.shape) : null;
  if (fused) return fused;
  const mask = out.le(0);
  return where(mask, isGradEnabled() && out.requiresGrad ? out.mul(0) : 0, g);
}

/** x - mean and 1 / sqrt(var + eps) over `dims` (biased variance): layer and group norm's statistics. */
export function centerAndRstd(x: Tensor, dims: readonly number[], eps: number): [Tensor, Tensor] {
  const xc = x.sub(x.mean([...dims], true));
  return [xc, xc.square().mean([...dims], true).add(eps).rsqrt()];
}

/** sum over the last nReduce dims of (x - m)^2 over inputs (x, m): the variance's sum. */
function squaredDeviationProgram(d: DType, nReduce: number): FusedProgram {
  return program(`sqdev>${d}>${nReduce}`, () => ({
    inputs: [d, d],
    steps: [
      { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: d }, // 2: x - m
      { kind: 'binary', op: 'mul', a: 2, b: 2, dtype: d }, // 3: its square
    ],
    outputs: [3],
    reduce: { op: 'sum', nReduce },
  }));
}

/** (x - m) r over inputs (x, m, r). */
function normalizeProgram(d: DType): FusedProgram {
  return program(`normalize>${d}`, () => ({
    inputs: [d, d, d],
    steps: [
      { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: d }, // 3
      { kind: 'binary', op: 'mul', a: 3, b: 2, dtype: d }, // 4
    ],
    outputs: [4],
  }));
}

/**
 * x̂ = (x - mean) rstd and rstd over `dims` (layer and group norm's forward, not recorded): the
 * squared deviations' sum and x̂ each one kernel where the backend fuses and `dims` are x's last
 * (3 passes over x where centerAndRstd's composition makes 5), the composition's bits.
 */
export function standardizeForward(x: Tensor, dims: readonly number[], eps: number): [Tensor, Tensor] {
  const b = backendOf(x), k = dims.length;
  const compose = (): [Tensor, Tensor] => { const [xc, r] = centerAndRstd(x, dims, eps); return [xc.mul(r), r]; };
  if (!b.fused || x.numel() === 0 || !(x.dtype === 'float32' || x.dtype === 'float16') || dims.some((d, i) => d !== x.ndim - k + i)) return compose();
  const n = dims.reduce((p, d) => p * x.shape[d]!, 1);
  const m = x.mean([...dims], true);
  const s = empty(x.shape.slice(0, x.ndim - k), x.dtype, x.device);
  if (!b.fused(squaredDeviationProgram(x.dtype, k), [x.view_(), m.expand([...x.shape]).view_()], [s.view_()])) {
    s.dispose(); m.dispose();
    return compose();
  }
  const r = s.reshape(m.shape).div(n).add(eps).rsqrt();
  s.dispose();
  return [runFused(() => normalizeProgram(x.dtype), [x, m, r], x.shape, false) ?? x.sub(m).mul(r), r];
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
  const rstd = isGradEnabled() ? centerAndRstd(x, a.dims, a.eps)[1] : rstdSaved;
  const s1 = g.sum(a.dims, true), s2 = g.mul(xhat).sum(a.dims, true);
  return runFused(() => layerNormProgram(g.dtype, k), [g, xhat, rstd, s1, s2], g.shape)
    ?? rstd.mul(g.sub(s1.mul(k)).sub(xhat.mul(s2.mul(k))));
}

const SQRT1_2 = Math.SQRT1_2, K_PDF = 1 / Math.sqrt(2 * Math.PI);

/** x * 0.5 * (erf(x / sqrt 2) + 1) (GELU, its composed order) over input x. */
function geluProgram(d: DType): FusedProgram {
  return program(`gelu>${d}`, () => ({
    inputs: [d],
    steps: [
      { kind: 'const', value: 0.5, dtype: d }, // 1
      { kind: 'binary', op: 'mul', a: 0, b: 1, dtype: d }, // 2: x 0.5
      { kind: 'const', value: SQRT1_2, dtype: d }, // 3
      { kind: 'binary', op: 'mul', a: 0, b: 3, dtype: d }, // 4
      { kind: 'unary', op: 'erf', a: 4, dtype: d }, // 5
      { kind: 'const', value: 1, dtype: d }, // 6
      { kind: 'binary', op: 'add', a: 5, b: 6, dtype: d }, // 7
      { kind: 'binary', op: 'mul', a: 2, b: 7, dtype: d }, // 8
    ],
    outputs: [8],
  }));
}

/** GELU's value (exact form), one kernel where the backend fuses (not recorded: F.gelu records it). */
export function geluForward(x: Tensor): Tensor {
  return runFused(() => geluProgram(x.dtype), [x], x.shape, false) ?? x.mul(0.5).mul(x.mul(SQRT1_2).erf().add(1));
}

/** g * (cdf + x pdf), cdf = (erf(x / sqrt 2) + 1) 0.5, pdf = exp(x x -0.5) / sqrt(2 pi) (PyTorch's gelu_backward) over (x, g). */
function geluBackwardProgram(d: DType): FusedProgram {
  return program(`geluBackward>${d}`, () => ({
    inputs: [d, d], // 0 x, 1 g
    steps: [
      { kind: 'const', value: SQRT1_2, dtype: d }, // 2
      { kind: 'binary', op: 'mul', a: 0, b: 2, dtype: d }, // 3
      { kind: 'unary', op: 'erf', a: 3, dtype: d }, // 4
      { kind: 'const', value: 1, dtype: d }, // 5
      { kind: 'binary', op: 'add', a: 4, b: 5, dtype: d }, // 6
      { kind: 'const', value: 0.5, dtype: d }, // 7
      { kind: 'binary', op: 'mul', a: 6, b: 7, dtype: d }, // 8: cdf
      { kind: 'binary', op: 'mul', a: 0, b: 0, dtype: d }, // 9: x x
      { kind: 'const', value: -0.5, dtype: d }, // 10
      { kind: 'binary', op: 'mul', a: 9, b: 10, dtype: d }, // 11
      { kind: 'unary', op: 'exp', a: 11, dtype: d }, // 12
      { kind: 'const', value: K_PDF, dtype: d }, // 13
      { kind: 'binary', op: 'mul', a: 12, b: 13, dtype: d }, // 14: pdf
      { kind: 'binary', op: 'mul', a: 0, b: 14, dtype: d }, // 15: x pdf
      { kind: 'binary', op: 'add', a: 8, b: 15, dtype: d }, // 16
      { kind: 'binary', op: 'mul', a: 1, b: 16, dtype: d }, // 17
    ],
    outputs: [17],
  }));
}

/** GELU's gradient (exact form; PyTorch's gelu_backward), one kernel without a graph. */
export function geluBackward(x: Tensor, g: Tensor): Tensor {
  return (shapesEqual(x.shape, g.shape) ? runFused(() => geluBackwardProgram(x.dtype), [x, g], x.shape) : null)
    ?? g.mul(x.mul(SQRT1_2).erf().add(1).mul(0.5).add(x.mul(x.mul(x).mul(-0.5).exp().mul(K_PDF))));
}

/** exp(x - m'), m' = where(isinf(m), 0, m) (logsumexp's guard) or m itself, over inputs (x, m). */
function expShiftedProgram(d: DType, guard: boolean): FusedProgram {
  return program(`expShifted>${d}>${guard}`, () => ({
    inputs: [d, d], // 0 x, 1 m
    steps: guard ? [
      { kind: 'unary', op: 'isinf', a: 1, dtype: 'bool' }, // 2
      { kind: 'const', value: 0, dtype: d }, // 3
      { kind: 'where', cond: 2, a: 3, b: 1, dtype: d }, // 4: m'
      { kind: 'binary', op: 'sub', a: 0, b: 4, dtype: d }, // 5
      { kind: 'unary', op: 'exp', a: 5, dtype: d }, // 6
    ] : [
      { kind: 'binary', op: 'sub', a: 0, b: 1, dtype: d }, // 2
      { kind: 'unary', op: 'exp', a: 2, dtype: d }, // 3
    ],
    outputs: [guard ? 6 : 3],
  }));
}

/**
 * exp(x - m) (softmax's numerator; with `guard`, logsumexp's exp(x - where(isinf(m), 0, m))), m
 * broadcasting to x: one kernel where the backend fuses (a forward's, not recorded).
 */
export function expShifted(x: Tensor, m: Tensor, guard: boolean): Tensor {
  return runFused(() => expShiftedProgram(x.dtype, guard), [x, m], x.shape, false)
    ?? (guard ? x.sub(where(m.isinf(), 0, m)) : x.sub(m)).exp();
}

/** x - (log(s) + where(isinf(m), 0, m)) over inputs (x, s, m): logSoftmax from logsumexp's parts. */
function logSoftmaxProgram(d: DType): FusedProgram {
  return program(`logSoftmax>${d}`, () => ({
    inputs: [d, d, d], // 0 x, 1 s, 2 m
    steps: [
      { kind: 'unary', op: 'isinf', a: 2, dtype: 'bool' }, // 3
      { kind: 'const', value: 0, dtype: d }, // 4
      { kind: 'where', cond: 3, a: 4, b: 2, dtype: d }, // 5: m'
      { kind: 'unary', op: 'log', a: 1, dtype: d }, // 6
      { kind: 'binary', op: 'add', a: 6, b: 5, dtype: d }, // 7: logsumexp
      { kind: 'binary', op: 'sub', a: 0, b: 7, dtype: d }, // 8
    ],
    outputs: [8],
  }));
}

/** logSoftmax's value x - (log(s) + m'), s = sum(exp(x - m')), from its parts: one kernel where the backend fuses. */
export function logSoftmaxFromParts(x: Tensor, s: Tensor, m: Tensor): Tensor {
  return runFused(() => logSoftmaxProgram(x.dtype), [x, s, m], x.shape, false) ?? x.sub(s.log().add(where(m.isinf(), 0, m)));
}

/** y (g - s) over inputs (y, g, s): softmax's gradient once s = sum(g y) is known. */
function softmaxBackwardProgram(d: DType): FusedProgram {
  return program(`softmaxBackward>${d}`, () => ({
    inputs: [d, d, d],
    steps: [
      { kind: 'binary', op: 'sub', a: 1, b: 2, dtype: d }, // 3: g - s
      { kind: 'binary', op: 'mul', a: 0, b: 3, dtype: d }, // 4
    ],
    outputs: [4],
  }));
}

/** softmax's gradient y (g - sum(g y)) along dim (PyTorch's softmax_backward_data), its last pass one kernel without a graph. */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number): Tensor {
  const s = g.mul(y).sum(dim, true);
  return (shapesEqual(y.shape, g.shape) ? runFused(() => softmaxBackwardProgram(g.dtype), [y, g, s], g.shape) : null) ?? y.mul(g.sub(s));
}

/** g - exp(y) s over inputs (g, y, s): logSoftmax's gradient once s = sum(g) is known. */
function logSoftmaxBackwardProgram(d: DType): FusedProgram {
  return program(`logSoftmaxBackward>${d}`, () => ({
    inputs: [d, d, d],
    steps: [
      { kind: 'unary', op: 'exp', a: 1, dtype: d }, // 3
      { kind: 'binary', op: 'mul', a: 3, b: 2, dtype: d }, // 4
      { kind: 'binary', op: 'sub', a: 0, b: 4, dtype: d }, // 5
    ],
    outputs: [5],
  }));
}

/** logSoftmax's gradient g - exp(y) sum(g) along dim (log_softmax_backward_data), its last pass one kernel without a graph. */
export function logSoftmaxBackward(g: Tensor, y: Tensor, dim: number): Tensor {
  const s = g.sum(dim, true);
  return (shapesEqual(y.shape, g.shape) ? runFused(() => logSoftmaxBackwardProgram(g.dtype), [g, y, s], g.shape) : null) ?? g.sub(y.exp().mul(s));
}

const K_BETA = Math.sqrt(2 / Math.PI), K_KAPPA = 0.044715;

/**
 * t = tanh(beta (x + kappa x x x)) for x = value 0, as steps numbered from `f`: f is x x, f + 5
 * beta, f + 7 t (GELU's tanh form and its gradient share them).
 */
function tanhInnerSteps(d: DType, f: number): FusedStep[] {
  return [
    { kind: 'binary', op: 'mul', a: 0, b: 0, dtype: d }, // f: x x
    { kind: 'binary', op: 'mul', a: f, b: 0, dtype: d }, // f + 1: x^3
    { kind: 'const', value: K_KAPPA, dtype: d }, // f + 2
    { kind: 'binary', op: 'mul', a: f + 1, b: f + 2, dtype: d }, // f + 3
    { kind: 'binary', op: 'add', a: 0, b: f + 3, dtype: d }, // f + 4
    { kind: 'const', value: K_BETA, dtype: d }, // f + 5
    { kind: 'binary', op: 'mul', a: f + 4, b: f + 5, dtype: d }, // f + 6: inner
    { kind: 'unary', op: 'tanh', a: f + 6, dtype: d }, // f + 7: t
  ];
}

/** 0.5 x (1 + tanh(beta (x + kappa x x x))) (GELU's tanh form, PyTorch's order) over input x. */
function geluTanhProgram(d: DType): FusedProgram {
  return program(`geluTanh>${d}`, () => ({
    inputs: [d],
    steps: [
      ...tanhInnerSteps(d, 1), // 1..8, t = 8
      { kind: 'const', value: 1, dtype: d }, // 9
      { kind: 'binary', op: 'add', a: 8, b: 9, dtype: d }, // 10
      { kind: 'const', value: 0.5, dtype: d }, // 11
      { kind: 'binary', op: 'mul', a: 0, b: 11, dtype: d }, // 12: 0.5 x
      { kind: 'binary', op: 'mul', a: 12, b: 10, dtype: d }, // 13
    ],
    outputs: [13],
  }));
}

/** tanh(beta (x + kappa x^3)) composed, x^3 as x x x (PyTorch's kernels). */
const geluTanhInner = (x: Tensor): Tensor => x.add(x.mul(x).mul(x).mul(K_KAPPA)).mul(K_BETA).tanh();

/** GELU's value, tanh form: one kernel where the backend fuses (not recorded: F.gelu records it). */
export function geluTanhForward(x: Tensor): Tensor {
  return runFused(() => geluTanhProgram(x.dtype), [x], x.shape, false) ?? x.mul(0.5).mul(geluTanhInner(x).add(1));
}

/**
 * g (0.5 (1 + t) + 0.5 x (1 - t t) beta (1 + 3 kappa x x)), t = tanh(beta (x + kappa x^3)) (PyTorch's
 * gelu_backward, tanh form) over (x, g).
 */
function geluTanhBackwardProgram(d: DType): FusedProgram {
  return program(`geluTanhBackward>${d}`, () => ({
    inputs: [d, d], // 0 x, 1 g
    steps: [
      ...tanhInnerSteps(d, 2), // 2..9: x x = 2, beta = 7, t = 9
      { kind: 'const', value: 1, dtype: d }, // 10
      { kind: 'binary', op: 'add', a: 9, b: 10, dtype: d }, // 11: 1 + t
      { kind: 'const', value: 0.5, dtype: d }, // 12
      { kind: 'binary', op: 'mul', a: 11, b: 12, dtype: d }, // 13: left derivative
      { kind: 'binary', op: 'mul', a: 0, b: 12, dtype: d }, // 14: 0.5 x
      { kind: 'binary', op: 'mul', a: 9, b: 9, dtype: d }, // 15: t t
      { kind: 'binary', op: 'sub', a: 10, b: 15, dtype: d }, // 16: 1 - t t
      { kind: 'binary', op: 'mul', a: 14, b: 16, dtype: d }, // 17
      { kind: 'binary', op: 'mul', a: 17, b: 7, dtype: d }, // 18
      { kind: 'const', value: 3 * K_KAPPA, dtype: d }, // 19
      { kind: 'binary', op: 'mul', a: 2, b: 19, dtype: d }, // 20
      { kind: 'binary', op: 'add', a: 10, b: 20, dtype: d }, // 21: 1 + 3 kappa x x
      { kind: 'binary', op: 'mul', a: 18, b: 21, dtype: d }, // 22: right derivative
      { kind: 'binary', op: 'add', a: 13, b: 22, dtype: d }, // 23
      { kind: 'binary', op: 'mul', a: 1, b: 23, dtype: d }, // 24
    ],
    outputs: [24],
  }));
}

/** GELU's gradient, tanh form (PyTorch's gelu_backward), one kernel without a graph; composed (differentiable) with one. */
export function geluTanhBackward(x: Tensor, g: Tensor): Tensor {
  const fused = shapesEqual(x.shape, g.shape) ? runFused(() => geluTanhBackwardProgram(x.dtype), [x, g], x.shape) : null;
  if (fused) return fused;
  const t = geluTanhInner(x), x2 = x.mul(x);
  const left = t.add(1).mul(0.5);
  const right = x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(K_BETA).mul(x2.mul(3 * K_KAPPA).add(1));
  return g.mul(left.add(right));
}
