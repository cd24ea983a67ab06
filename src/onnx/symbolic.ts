// The ONNX mapping table (opset 17): for each public op (by its API name: 'relu', 'Tensor.view',
// 'crossEntropy'...) and each built-in module kept whole (Linear, Conv2d, LSTM, TransformerEncoderLayer...),
// the ONNX nodes it becomes. A mapping reads the traced call's arguments and result and binds the
// result's ONNX value. Anything not listed is an export error naming the op and the opset.

import { resultType, type DType } from '../dtype.js';
import { state } from '../state.js';
import { isTensor, type Tensor } from '../tensor.js';
import type { Module } from '../nn/module.js';
import { Identity, Linear } from '../nn/modules/linear.js';
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, Conv1d, Conv2d, Conv3d } from '../nn/modules/conv.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm, RMSNorm } from '../nn/modules/normalization.js';
import { InstanceNorm1d, InstanceNorm2d } from '../nn/modules/misc.js';
import {
  AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
} from '../nn/modules/pooling.js';
import {
  ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh,
} from '../nn/modules/activation.js';
import { Dropout, Dropout1d, Dropout2d, Dropout3d } from '../nn/modules/dropout.js';
import { Flatten, Unflatten } from '../nn/modules/flatten.js';
import { Embedding } from '../nn/modules/sparse.js';
import { GRU, LSTM, RNN } from '../nn/modules/rnn.js';
import { MultiheadAttention, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer } from '../nn/modules/transformer.js';
import { CrossEntropyLoss, MSELoss, NLLLoss, L1Loss } from '../nn/modules/loss.js';
import { PackedSequence } from '../nn/utils.js';
import { OnnxExportError, type ExportContext } from './context.js';
import type { Attr } from './proto.js';

type Ctx = ExportContext;
type OpMap = (c: Ctx, a: unknown[], out: unknown) => void;
type ModuleMap<M> = (c: Ctx, m: M, a: unknown[], out: unknown) => void;

const t = (x: unknown, what = 'argument'): Tensor => {
  if (!isTensor(x)) throw new OnnxExportError(`expected a tensor as ${what}, got ${typeof x}`);
  return x;
};
const norm = (d: number, n: number) => (d < 0 ? d + n : d);
const list = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : [v as number]);
const tuple = (v: unknown, n: number): number[] => (Array.isArray(v) ? (v as number[]) : Array<number>(n).fill(v as number));
const I = (i: number) => ({ i }), Fl = (f: number) => ({ f }), Is = (ints: readonly number[]) => ({ ints });

/** A tensor or scalar operand as a value of dtype. */
function operand(c: Ctx, x: unknown, dtype: DType): string {
  if (isTensor(x)) return c.as(x, dtype);
  if (typeof x === 'number' || typeof x === 'boolean') return c.scalar(Number(x), dtype);
  throw new OnnxExportError(`${c.current}: unsupported operand ${String(x)}`);
}

// ---------------------------------------------------------------- elementwise
const unary = (op: string): OpMap => (c, [x], out) => c.bind(t(out), c.op(op, [c.v(t(x))]));
function arith(op: string, alphaOn = false): OpMap {
  return (c, [a, b, opts], out) => {
    const o = t(out);
    let bb = operand(c, b, o.dtype);
    const alpha = alphaOn ? (opts as { alpha?: number } | undefined)?.alpha : undefined;
    if (alpha !== undefined && alpha !== 1) bb = c.op('Mul', [bb, c.scalar(alpha, o.dtype)]);
    c.bind(o, c.op(op, [operand(c, a, o.dtype), bb]));
  };
}
function compare(op: string, negate = false): OpMap {
  return (c, [a, b], out) => {
    const d = resultType([a as Tensor, b as Tensor], state.defaultDtype);
    const r = c.op(op, [operand(c, a, d), operand(c, b, d)]);
    c.bind(t(out), negate ? c.op('Not', [r]) : r);
  };
}
function gelu(c: Ctx, x: string, dtype: DType, approximate: string): string {
  const s = (v: number) => c.scalar(v, dtype);
  if (approximate === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const inner = c.op('Mul', [s(Math.sqrt(2 / Math.PI)), c.op('Add', [x, c.op('Mul', [s(0.044715), c.op('Mul', [x, c.op('Mul', [x, x])])])])]);
    return c.op('Mul', [c.op('Mul', [x, s(0.5)]), c.op('Add', [s(1), c.op('Tanh', [inner])])]);
  }
  // The Erf form PyTorch's exporter writes at opset 17: x * (erf(x / sqrt(2)) + 1) * 0.5
  return c.op('Mul', [c.op('Mul', [x, c.op('Add', [c.op('Erf', [c.op('Div', [x, s(Math.SQRT2)])]), s(1)])]), s(0.5)]);
}
const geluOpt = (o: unknown): string => (typeof o === 'string' ? o : ((o as { approximate?: string } | undefined)?.approximate ?? 'none'));
function softplus(c: Ctx, x: string, dtype: DType, beta: number, threshold: number): string {
  const bx = beta === 1 ? x : c.op('Mul', [x, c.scalar(beta, dtype)]);
  let sp = c.op('Softplus', [bx]);
  if (beta !== 1) sp = c.op('Div', [sp, c.scalar(beta, dtype)]);
  return c.op('Where', [c.op('Greater', [bx, c.scalar(threshold, dtype)]), x, sp]);
}
const numOpt = (v: unknown, key: string, dflt: number): number =>
  (typeof v === 'number' ? v : ((v as Record<string, number | undefined> | undefined)?.[key] ?? dflt));
const activation = (f: (c: Ctx, x: string, dtype: DType, a: unknown[]) => string): OpMap =>
  (c, a, out) => c.bind(t(out), f(c, c.v(t(a[0])), t(out).dtype, a));

const ACTIVATIONS: Record<string, (c: Ctx, x: string, dtype: DType, a: unknown[]) => string> = {
  relu: (c, x) => c.op('Relu', [x]),
  sigmoid: (c, x) => c.op('Sigmoid', [x]),
  tanh: (c, x) => c.op('Tanh', [x]),
  gelu: (c, x, d, a) => gelu(c, x, d, geluOpt(a[1])),
  silu: (c, x) => c.op('Mul', [x, c.op('Sigmoid', [x])]),
  mish: (c, x, d) => c.op('Mul', [x, c.op('Tanh', [softplus(c, x, d, 1, 20)])]),
  softplus: (c, x, d, a) => softplus(c, x, d, numOpt(a[1], 'beta', 1), typeof a[2] === 'number' ? a[2] : numOpt(a[1], 'threshold', 20)),
  leakyRelu: (c, x, _d, a) => c.op('LeakyRelu', [x], { alpha: Fl(numOpt(a[1], 'negativeSlope', 0.01)) }),
  elu: (c, x, _d, a) => c.op('Elu', [x], { alpha: Fl(numOpt(a[1], 'alpha', 1)) }),
  relu6: (c, x, d) => c.op('Clip', [x, c.scalar(0, d), c.scalar(6, d)]),
  hardtanh: (c, x, d, a) => c.op('Clip', [x, c.scalar(numOpt(a[1], 'minVal', -1), d), c.scalar(typeof a[2] === 'number' ? a[2] : numOpt(a[1], 'maxVal', 1), d)]),
  hardsigmoid: (c, x) => c.op('HardSigmoid', [x], { alpha: Fl(1 / 6), beta: Fl(0.5) }),
  hardswish: (c, x) => c.op('HardSwish', [x]),
  logsigmoid: (c, x, d) => c.op('Neg', [softplus(c, c.op('Neg', [x]), d, 1, 20)]),
};

// ---------------------------------------------------------------- shapes
const toShape: OpMap = (c, [x], out) => c.bind(t(out), c.reshape(c.v(t(x)), t(x), t(out)));
const identity: OpMap = (c, [x], out) => c.bind(t(out), c.v(t(x)));
function permuteMap(c: Ctx, x: Tensor, perm: number[], out: Tensor): void { c.bind(out, c.op('Transpose', [c.v(x)], { perm: Is(perm) })); }
const castTo = (c: Ctx, x: Tensor, out: Tensor) => c.bind(out, c.as(x, out.dtype));

function reduceDims(a: unknown[], x: Tensor): { axes: number[]; keepdim: boolean } {
  const [, dim, keepdim] = a;
  const axes = dim === undefined || dim === null || (typeof dim === 'object' && !Array.isArray(dim))
    ? x.shape.map((_, i) => i) : list(dim).map((d) => norm(d, x.ndim));
  return { axes, keepdim: keepdim === true };
}
function reduce(op: string): OpMap {
  return (c, a, out) => {
    const x = t(a[0]), { axes, keepdim } = reduceDims(a, x);
    const xv = c.as(x, t(out).dtype);
    // opset 17: ReduceSum takes axes as an input, the others as an attribute (until opset 18).
    const r = op === 'ReduceSum'
      ? c.op(op, [xv, c.i64(axes)], { keepdims: I(keepdim ? 1 : 0) })
      : c.op(op, [xv], { axes: Is(axes), keepdims: I(keepdim ? 1 : 0) });
    c.bind(t(out), r);
  };
}
const softmaxLike = (op: string): OpMap => (c, [x, dim], out) => {
  const d = typeof dim === 'number' ? dim : (dim as { dim: number }).dim;
  c.bind(t(out), c.op(op, [c.as(t(x), t(out).dtype)], { axis: I(norm(d, t(x).ndim)) }));
};

function slice(c: Ctx, x: Tensor, dim: number, start: number, end: number, out: Tensor): void {
  c.bind(out, c.op('Slice', [c.v(x), c.i64([start]), c.i64([end]), c.i64([norm(dim, x.ndim)])]));
}

// ---------------------------------------------------------------- losses
function reduction(c: Ctx, v: string, r: string | undefined): string {
  if (r === 'none') return v;
  return c.op(r === 'sum' ? 'ReduceSum' : 'ReduceMean', [v], { keepdims: I(0) });
}
function crossEntropy(c: Ctx, input: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: string; labelSmoothing?: number }, out: Tensor): void {
  if (!target.dtype.startsWith('int')) throw new OnnxExportError('crossEntropy with class-probability targets has no ONNX mapping at opset 17');
  if ((opts.labelSmoothing ?? 0) !== 0) throw new OnnxExportError('crossEntropy with labelSmoothing has no ONNX mapping at opset 17');
  const ins = [c.v(input), c.v(target)];
  if (opts.weight) ins.push(c.v(opts.weight));
  c.bind(out, c.op('SoftmaxCrossEntropyLoss', ins, { reduction: { s: opts.reduction ?? 'mean' }, ignore_index: I(opts.ignoreIndex ?? -100) }));
}
function nllLoss(c: Ctx, input: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: string }, out: Tensor): void {
  const ins = [c.v(input), c.v(target)];
  if (opts.weight) ins.push(c.v(opts.weight));
  c.bind(out, c.op('NegativeLogLikelihoodLoss', ins, { reduction: { s: opts.reduction ?? 'mean' }, ignore_index: I(opts.ignoreIndex ?? -100) }));
}
function pointLoss(c: Ctx, input: Tensor, target: Tensor, r: string | undefined, square: boolean, out: Tensor): void {
  const d = c.op('Sub', [c.v(input), c.v(target)]);
  c.bind(out, reduction(c, square ? c.op('Mul', [d, d]) : c.op('Abs', [d]), r));
}

/** Public ops by API name (Tensor methods without their 'Tensor.' prefix; self is the first argument). */
export const OPS: Record<string, OpMap> = {
  neg: unary('Neg'), abs: unary('Abs'), exp: unary('Exp'), log: unary('Log'), sqrt: unary('Sqrt'), sin: unary('Sin'), cos: unary('Cos'),
  erf: unary('Erf'), floor: unary('Floor'), ceil: unary('Ceil'), reciprocal: unary('Reciprocal'), sign: unary('Sign'),
  logicalNot: unary('Not'), isnan: unary('IsNaN'),
  rsqrt: (c, [x], out) => c.bind(t(out), c.op('Reciprocal', [c.op('Sqrt', [c.v(t(x))])])),
  square: (c, [x], out) => { const v = c.v(t(x)); c.bind(t(out), c.op('Mul', [v, v])); },
  ...Object.fromEntries(Object.entries(ACTIVATIONS).map(([k, f]) => [k, activation(f)])),
  add: arith('Add', true), sub: arith('Sub', true), mul: arith('Mul'), div: arith('Div'), pow: arith('Pow'),
  maximum: arith('Max'), minimum: arith('Min'),
  eq: compare('Equal'), ne: compare('Equal', true), lt: compare('Less'), le: compare('LessOrEqual'), gt: compare('Greater'), ge: compare('GreaterOrEqual'),
  logicalAnd: (c, [a, b], out) => c.bind(t(out), c.op('And', [c.as(t(a), 'bool'), c.as(t(b), 'bool')])),
  logicalOr: (c, [a, b], out) => c.bind(t(out), c.op('Or', [c.as(t(a), 'bool'), c.as(t(b), 'bool')])),
  where: (c, [cond, a, b], out) => c.bind(t(out), c.op('Where', [c.as(t(cond), 'bool'), operand(c, a, t(out).dtype), operand(c, b, t(out).dtype)])),
  maskedFill: (c, [x, mask, v], out) => c.bind(t(out), c.op('Where', [c.as(t(mask), 'bool'), operand(c, v, t(out).dtype), c.v(t(x))])),
  clamp: (c, [x, lo, hi], out) => {
    const o = t(out);
    const bound = (v: unknown) => (v === null || v === undefined ? '' : operand(c, v, o.dtype));
    const opts = lo !== null && typeof lo === 'object' && !isTensor(lo) ? lo as { min?: number | null; max?: number | null } : null;
    c.bind(o, c.op('Clip', [c.v(t(x)), bound(opts ? opts.min : lo), bound(opts ? opts.max : hi)]));
  },
  triu: (c, [x, k], out) => c.bind(t(out), c.op('Trilu', [c.v(t(x)), c.constant([(k as number | undefined) ?? 0], [], 'int64')], { upper: I(1) })),
  tril: (c, [x, k], out) => c.bind(t(out), c.op('Trilu', [c.v(t(x)), c.constant([(k as number | undefined) ?? 0], [], 'int64')], { upper: I(0) })),
  matmul: (c, [a, b], out) => c.bind(t(out), c.op('MatMul', [c.v(t(a)), c.v(t(b))])),
  linear: (c, [x, w, b], out) => c.bind(t(out), linear(c, c.v(t(x)), t(w), isTensor(b) ? b : null)),
  // shapes: the result's shape says it all for the pure reshapes
  view: toShape, reshape: toShape, flatten: toShape, unflatten: toShape, squeeze: toShape, unsqueeze: toShape, viewAs: toShape, reshapeAs: toShape,
  contiguous: identity, clone: identity, detach: identity,
  t: (c, [x], out) => permuteMap(c, t(x), t(x).ndim < 2 ? [0] : [1, 0], t(out)),
  transpose: (c, [x, d0, d1], out) => {
    const n = t(x).ndim, perm = [...Array(n).keys()], i = norm(d0 as number, n), j = norm(d1 as number, n);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    permuteMap(c, t(x), perm, t(out));
  },
  permute: (c, [x, ...rest], out) => permuteMap(c, t(x), (Array.isArray(rest[0]) ? rest[0] as number[] : rest as number[]).map((d) => norm(d, t(x).ndim)), t(out)),
  narrow: (c, [x, dim, start, len], out) => slice(c, t(x), dim as number, start as number, (start as number) + (len as number), t(out)),
  select: (c, [x, dim, index], out) => {
    const d = norm(dim as number, t(x).ndim);
    c.bind(t(out), c.op('Gather', [c.v(t(x)), c.constant([norm(index as number, t(x).shape[d]!)], [], 'int64')], { axis: I(d) }));
  },
  cat: (c, [ts, dim], out) => c.bind(t(out), c.op('Concat', (ts as Tensor[]).map((x) => c.as(x, t(out).dtype)), { axis: I(norm((dim as number | undefined) ?? 0, t(out).ndim)) })),
  stack: (c, [ts, dim], out) => {
    const d = norm((dim as number | undefined) ?? 0, t(out).ndim);
    c.bind(t(out), c.op('Concat', (ts as Tensor[]).map((x) => c.op('Unsqueeze', [c.as(x, t(out).dtype), c.i64([d])])), { axis: I(d) }));
  },
  expand: (c, [x], out) => c.bind(t(out), c.op('Expand', [c.v(t(x)), c.shape(t(out))])),
  expandAs: (c, [x], out) => c.bind(t(out), c.op('Expand', [c.v(t(x)), c.shape(t(out))])),
  to: (c, [x], out) => castTo(c, t(x), t(out)),
  float: (c, [x], out) => castTo(c, t(x), t(out)), double: (c, [x], out) => castTo(c, t(x), t(out)), half: (c, [x], out) => castTo(c, t(x), t(out)),
  int: (c, [x], out) => castTo(c, t(x), t(out)), long: (c, [x], out) => castTo(c, t(x), t(out)), bool: (c, [x], out) => castTo(c, t(x), t(out)),
  type: (c, [x], out) => castTo(c, t(x), t(out)),
  sum: reduce('ReduceSum'), mean: reduce('ReduceMean'), amax: reduce('ReduceMax'), amin: reduce('ReduceMin'),
  argmax: (c, [x, dim, keepdim], out) => {
    if (dim === undefined || dim === null) {
      c.bind(t(out), c.op('ArgMax', [c.reshape(c.v(t(x)), t(x), t(out).reshape([-1]).expand([t(x).numel()]))], { axis: I(0), keepdims: I(0) }));
      return;
    }
    c.bind(t(out), c.cast(c.op('ArgMax', [c.v(t(x))], { axis: I(norm(dim as number, t(x).ndim)), keepdims: I(keepdim ? 1 : 0) }), t(out).dtype));
  },
  softmax: softmaxLike('Softmax'), logSoftmax: softmaxLike('LogSoftmax'),
  dropout: identity, dropout1d: identity, dropout2d: identity, dropout3d: identity, alphaDropout: identity, featureAlphaDropout: identity,
  embedding: (c, [idx, w], out) => c.bind(t(out), c.op('Gather', [c.v(t(w)), c.v(t(idx))], { axis: I(0) })),
  layerNorm: (c, [x, shape, w, b, eps], out) => {
    const opts = w !== null && typeof w === 'object' && !isTensor(w) ? w as { weight?: Tensor | null; bias?: Tensor | null; eps?: number } : null;
    const weight = opts ? opts.weight ?? null : (w as Tensor | null | undefined) ?? null;
    const bias = opts ? opts.bias ?? null : (b as Tensor | null | undefined) ?? null;
    c.bind(t(out), layerNorm(c, c.v(t(x)), list(shape), t(x).dtype, weight, bias, opts ? opts.eps ?? 1e-5 : (eps as number | undefined) ?? 1e-5));
  },
  // The recurrent module it feeds reads what it packed (PackedSequence.source_): nothing to emit.
  'rnn.packPaddedSequence': () => undefined,
  crossEntropy: (c, [x, y, o], out) => crossEntropy(c, t(x), t(y), (o ?? {}) as object, t(out)),
  nllLoss: (c, [x, y, o], out) => nllLoss(c, t(x), t(y), (o ?? {}) as object, t(out)),
  mseLoss: (c, [x, y, o], out) => pointLoss(c, t(x), t(y), (o as { reduction?: string } | undefined)?.reduction, true, t(out)),
  l1Loss: (c, [x, y, o], out) => pointLoss(c, t(x), t(y), (o as { reduction?: string } | undefined)?.reduction, false, t(out)),
};

// ---------------------------------------------------------------- modules kept whole
function linear(c: Ctx, x: string, w: Tensor, b: Tensor | null): string {
  const y = c.op('MatMul', [x, c.op('Transpose', [c.v(w)], { perm: Is([1, 0]) })]);
  return b ? c.op('Add', [y, c.v(b)]) : y;
}
/** A 1-D constant of n copies of v (a missing scale is 1, a missing bias 0). */
function filled(c: Ctx, n: number, dtype: DType, v: number): string { return c.constant(Array<number>(n).fill(v), [n], dtype === 'float64' ? 'float64' : 'float32'); }
/** LayerNormalization of the value x over its trailing `shape` (scale 1 / bias 0 where the module has none). */
function layerNorm(c: Ctx, x: string, shape: readonly number[], dtype: DType, w: Tensor | null, b: Tensor | null, eps: number): string {
  const n = shape.reduce((p, s) => p * s, 1);
  const scale = w ? c.v(w) : c.op('Reshape', [filled(c, n, dtype, 1), c.i64(shape)]);
  const bias = b ? c.v(b) : c.op('Reshape', [filled(c, n, dtype, 0), c.i64(shape)]);
  return c.op('LayerNormalization', [x, scale, bias], { axis: I(-shape.length), epsilon: Fl(eps) });
}
const lnModule = (c: Ctx, n: LayerNorm, x: string, dtype: DType) => layerNorm(c, x, n.normalizedShape, dtype, n.weight, n.bias, n.eps);
function convLike(c: Ctx, m: Conv1d | Conv2d | Conv3d | ConvTranspose1d | ConvTranspose2d | ConvTranspose3d, x: Tensor): string {
  if (m.paddingMode !== 'zeros') throw new OnnxExportError(`${m.constructor.name} with paddingMode '${m.paddingMode}' has no ONNX mapping at opset ${c.opset}`);
  const k = m.kernelSize, n = k.length;
  let pads: number[];
  if (m.padding === 'valid') pads = Array<number>(2 * n).fill(0);
  else if (m.padding === 'same') {
    const total = k.map((s, i) => m.dilation[i]! * (s - 1));
    pads = [...total.map((p) => Math.floor(p / 2)), ...total.map((p) => p - Math.floor(p / 2))];
  } else pads = [...m.padding, ...m.padding];
  const attrs: Record<string, { ints: readonly number[] } | { i: number }> = {
    kernel_shape: Is(k), strides: Is(m.stride), pads: Is(pads), dilations: Is(m.dilation), group: I(m.groups),
  };
  if (m.transposed) attrs.output_padding = Is(m.outputPadding);
  const unbatched = x.ndim === n + 1;
  const xv = unbatched ? c.op('Unsqueeze', [c.v(x), c.i64([0])]) : c.v(x);
  const ins = [xv, c.v(m.weight)];
  if (m.bias) ins.push(c.v(m.bias));
  const y = c.op(m.transposed ? 'ConvTranspose' : 'Conv', ins, attrs);
  return unbatched ? c.op('Squeeze', [y, c.i64([0])]) : y;
}
function channelParam(c: Ctx, p: Tensor | null, n: number, dtype: DType, v: number): string { return p ? c.v(p) : filled(c, n, dtype, v); }
/** Reshapes a per-channel [C] value to broadcast over [N, C, *spatial]. */
const perChannel = (c: Ctx, v: string, spatial: number) => c.op('Unsqueeze', [v, c.i64(Array.from({ length: spatial }, (_, i) => i + 1))]);

function pool(c: Ctx, m: MaxPool1d | MaxPool2d | AvgPool1d | AvgPool2d, x: Tensor, n: number): string {
  const k = tuple(m.kernelSize, n), s = m.stride === null || m.stride === undefined ? k : tuple(m.stride, n), p = tuple(m.padding, n);
  const attrs: Record<string, { ints: readonly number[] } | { i: number }> = { kernel_shape: Is(k), strides: Is(s), pads: Is([...p, ...p]), ceil_mode: I(m.ceilMode ? 1 : 0) };
  const unbatched = x.ndim === n + 1;
  const xv = unbatched ? c.op('Unsqueeze', [c.v(x), c.i64([0])]) : c.v(x);
  let y: string;
  if (m instanceof MaxPool1d || m instanceof MaxPool2d) {
    if (m.returnIndices) throw new OnnxExportError(`${m.constructor.name} with returnIndices has no ONNX mapping in this exporter`);
    y = c.op('MaxPool', [xv], { ...attrs, dilations: Is(tuple(m.dilation, n)) });
  } else {
    if (m.divisorOverride !== null) throw new OnnxExportError(`${m.constructor.name} with divisorOverride has no ONNX mapping at opset ${c.opset}`);
    y = c.op('AveragePool', [xv], { ...attrs, count_include_pad: I(m.countIncludePad ? 1 : 0) });
  }
  return unbatched ? c.op('Squeeze', [y, c.i64([0])]) : y;
}
function adaptive(c: Ctx, m: { outputSize: number | readonly (number | null)[] }, x: Tensor, n: number, max: boolean): string {
  const spatial = x.shape.slice(-n);
  const outSize = tuple(m.outputSize, n).map((s, i) => s ?? spatial[i]!);
  if (x.ndim !== n + 2) throw new OnnxExportError(`adaptive pooling export expects a batched input [N, C, ...], got ${x.ndim}D`);
  if (outSize.every((s) => s === 1)) return c.op(max ? 'GlobalMaxPool' : 'GlobalAveragePool', [c.v(x)]);
  if (spatial.some((s, i) => s % outSize[i]! !== 0)) {
    throw new OnnxExportError(`adaptive pooling from ${spatial.join('x')} to ${outSize.join('x')} has no ONNX mapping at opset ${c.opset} (only output size 1 or an exact divisor of the input size)`);
  }
  const k = spatial.map((s, i) => s / outSize[i]!);
  return c.op(max ? 'MaxPool' : 'AveragePool', [c.v(x)], { kernel_shape: Is(k), strides: Is(k) });
}

/** LSTM / GRU / RNN as ONNX's recurrent ops, one node per layer (ONNX has no multi-layer form). */
function recurrent(c: Ctx, m: LSTM | GRU | RNN, a: unknown[], out: unknown): void {
  if (m.projSize > 0) throw new OnnxExportError(`LSTM with projSize has no ONNX mapping at opset ${c.opset}`);
  const input = a[0];
  const packed = input instanceof PackedSequence ? input : null;
  const src = packed ? packed.source_ : null;
  if (packed && !src) throw new OnnxExportError(`${m.constructor.name}: a PackedSequence is exported only when made by nn.utils.rnn.packPaddedSequence inside forward`);
  const x = packed ? src!.input : t(input);
  const batchFirst = packed ? src!.batchFirst : m.batchFirst;
  if (x.ndim !== 3) throw new OnnxExportError(`${m.constructor.name}: export needs a batched 3D input, got ${x.ndim}D`);
  const H = m.hiddenSize, dirs = m.bidirectional ? 2 : 1;
  const isLSTM = m instanceof LSTM, isGRU = m instanceof GRU;
  const gates = isLSTM ? 4 : isGRU ? 3 : 1;
  // ONNX's gate order: LSTM iofc (PyTorch ifgo), GRU zrh (PyTorch rzn).
  const order = isLSTM ? [0, 3, 1, 2] : isGRU ? [1, 0, 2] : [0];
  const reorder = (v: string, axis: number) => {
    if (gates === 1) return v;
    const parts = c.node('Split', [v, c.i64(Array<number>(gates).fill(H))], { axis: I(axis) }, gates);
    return c.op('Concat', order.map((i) => parts[i]!), { axis: I(axis) });
  };
  const hx = a[1];
  const h0 = isLSTM ? (Array.isArray(hx) ? t(hx[0]) : null) : (isTensor(hx) ? hx : null);
  const c0 = isLSTM && Array.isArray(hx) ? t(hx[1]) : null;
  let seq = batchFirst ? c.op('Transpose', [c.v(x)], { perm: Is([1, 0, 2]) }) : c.v(x);
  const lens = src?.lengths;
  const seqLens = lens === undefined ? '' : isTensor(lens) ? c.as(lens, 'int32') : c.constant([...lens], [lens.length], 'int32');
  const param = (name: string): Tensor | null => ((m as unknown as Record<string, Tensor | null | undefined>)[name]) ?? null;
  const hs: string[] = [], cs: string[] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const W: string[] = [], R: string[] = [], B: string[] = [];
    for (let d = 0; d < dirs; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const unsq = (v: string) => c.op('Unsqueeze', [v, c.i64([0])]);
      W.push(unsq(reorder(c.v(param(`weight_ih${sfx}`)!), 0)));
      R.push(unsq(reorder(c.v(param(`weight_hh${sfx}`)!), 0)));
      if (m.bias) B.push(unsq(c.op('Concat', [reorder(c.v(param(`bias_ih${sfx}`)!), 0), reorder(c.v(param(`bias_hh${sfx}`)!), 0)], { axis: I(0) })));
    }
    const cat0 = (vs: string[]) => (vs.length === 1 ? vs[0]! : c.op('Concat', vs, { axis: I(0) }));
    const layerState = (s: Tensor | null) => (s ? c.op('Slice', [c.v(s), c.i64([l * dirs]), c.i64([(l + 1) * dirs]), c.i64([0])]) : '');
    const ins = [seq, cat0(W), cat0(R), m.bias ? cat0(B) : '', seqLens, layerState(h0)];
    if (isLSTM) ins.push(layerState(c0));
    while (ins.length && ins[ins.length - 1] === '') ins.pop();
    const attrs: Record<string, Attr> = { hidden_size: I(H), direction: { s: dirs === 2 ? 'bidirectional' : 'forward' } };
    if (isGRU) attrs.linear_before_reset = I(1);
    if (m instanceof RNN) attrs.activations = { strings: Array<string>(dirs).fill(m.nonlinearity === 'relu' ? 'Relu' : 'Tanh') };
    const node = c.node(isLSTM ? 'LSTM' : isGRU ? 'GRU' : 'RNN', ins, attrs, isLSTM ? 3 : 2);
    // Y: [T, dirs, N, H] -> [T, N, dirs * H]
    seq = c.op('Reshape', [c.op('Transpose', [node[0]!], { perm: Is([0, 2, 1, 3]) }), c.i64([0, 0, dirs * H])]);
    hs.push(node[1]!);
    if (isLSTM) cs.push(node[2]!);
  }
  const stackStates = (vs: string[]) => (vs.length === 1 ? vs[0]! : c.op('Concat', vs, { axis: I(0) }));
  const [o, state] = out as [unknown, unknown];
  if (isTensor(o)) c.bind(o, batchFirst ? c.op('Transpose', [seq], { perm: Is([1, 0, 2]) }) : seq);
  if (isLSTM) {
    const [hn, cn] = state as [Tensor, Tensor];
    c.bind(hn, stackStates(hs)); c.bind(cn, stackStates(cs));
  } else c.bind(t(state), stackStates(hs));
}

interface AttnOpts { attnMask?: Tensor | null; keyPaddingMask?: Tensor | null; isCausal?: boolean }
/**
 * Multi-head attention as MatMul / Softmax over the values q, k, v (3D, in the module's layout;
 * batch-first inside); `like` is a tensor shaped as the query (for its dtype and length).
 */
function attention(c: Ctx, m: MultiheadAttention, q: string, k: string, v: string, like: Tensor, opts: AttnOpts): string {
  if (!m.inProjWeight) throw new OnnxExportError('MultiheadAttention with separate kdim/vdim projections has no mapping in this exporter');
  if (m.addZeroAttn || (m as unknown as { bias_k: Tensor | null }).bias_k) throw new OnnxExportError('MultiheadAttention with addBiasKv or addZeroAttn has no mapping in this exporter');
  if (like.ndim !== 3) throw new OnnxExportError('MultiheadAttention export needs batched 3D inputs');
  const E = m.embedDim, Hn = m.numHeads, hd = m.headDim, dtype = like.dtype;
  const bf = (x: string) => (m.batchFirst ? x : c.op('Transpose', [x], { perm: Is([1, 0, 2]) }));
  const w = c.v(m.inProjWeight), b = m.inProjBias ? c.v(m.inProjBias) : '';
  const [wq, wk, wv] = c.node('Split', [w, c.i64([E, E, E])], { axis: I(0) }, 3);
  const [bq, bk, bv] = b ? c.node('Split', [b, c.i64([E, E, E])], { axis: I(0) }, 3) : ['', '', ''];
  const proj = (x: string, wi: string, bi: string) => {
    const y = c.op('MatMul', [x, c.op('Transpose', [wi], { perm: Is([1, 0]) })]);
    const yb = bi ? c.op('Add', [y, bi]) : y;
    // [N, L, E] -> [N, heads, L, hd]
    return c.op('Transpose', [c.op('Reshape', [yb, c.i64([0, 0, Hn, hd])])], { perm: Is([0, 2, 1, 3]) });
  };
  const Q = proj(bf(q), wq!, bq!), K = proj(bf(k), wk!, bk!), V = proj(bf(v), wv!, bv!);
  let scores = c.op('Div', [c.op('MatMul', [Q, c.op('Transpose', [K], { perm: Is([0, 1, 3, 2]) })]), c.scalar(Math.sqrt(hd), dtype)]);
  const negInf = c.scalar(-Infinity, dtype), zero = c.scalar(0, dtype);
  const additive = (mask: Tensor) => (mask.dtype === 'bool' ? c.op('Where', [c.v(mask), negInf, zero]) : c.v(mask));
  if (opts.attnMask) {
    const am = additive(opts.attnMask);
    // [L, S] broadcasts; [N*heads, L, S] is reshaped to [N, heads, L, S]
    scores = c.op('Add', [scores, opts.attnMask.ndim === 3 ? c.op('Reshape', [am, c.i64([-1, Hn, opts.attnMask.shape[1]!, opts.attnMask.shape[2]!])]) : am]);
  } else if (opts.isCausal) {
    const L = like.shape[m.batchFirst ? 1 : 0]!;
    const vals: number[] = [];
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) vals.push(j > i ? -Infinity : 0);
    scores = c.op('Add', [scores, c.constant(vals, [L, L], dtype === 'float64' ? 'float64' : 'float32')]);
  }
  if (opts.keyPaddingMask) {
    scores = c.op('Add', [scores, c.op('Unsqueeze', [additive(opts.keyPaddingMask), c.i64([1, 2])])]);
  }
  const attn = c.op('MatMul', [c.op('Softmax', [scores], { axis: I(-1) }), V]);
  const merged = c.op('Reshape', [c.op('Transpose', [attn], { perm: Is([0, 2, 1, 3]) }), c.i64([0, 0, E])]);
  const o = linear(c, merged, m.outProj.weight, m.outProj.bias);
  return m.batchFirst ? o : c.op('Transpose', [o], { perm: Is([1, 0, 2]) });
}
function activationOf(c: Ctx, f: (x: Tensor) => Tensor, x: string, dtype: DType, where: string): string {
  const name = f.name.replace(/^bound /, '');
  if (name === 'relu') return c.op('Relu', [x]);
  if (name === 'geluActivation' || name === 'gelu') return gelu(c, x, dtype, 'none');
  throw new OnnxExportError(`${where}: a custom activation function (${name || 'anonymous'}) has no ONNX mapping; use 'relu' or 'gelu'`);
}
/** A Transformer layer's blocks in order (each x -> x + block(norm(x)), or norm(x + block(x)) post-norm). */
function residualBlocks(c: Ctx, normFirst: boolean, norms: LayerNorm[], blocks: ((v: string) => string)[], xv: string, dtype: DType): string {
  let x = xv;
  blocks.forEach((block, i) => {
    x = normFirst ? c.op('Add', [x, block(lnModule(c, norms[i]!, x, dtype))]) : lnModule(c, norms[i]!, c.op('Add', [x, block(x)]), dtype);
  });
  return x;
}
function feedForward(c: Ctx, m: TransformerEncoderLayer | TransformerDecoderLayer, dtype: DType): (v: string) => string {
  return (v) => linear(c, activationOf(c, m.activation, linear(c, v, m.linear1.weight, m.linear1.bias), dtype, m.constructor.name), m.linear2.weight, m.linear2.bias);
}
function encoderLayer(c: Ctx, m: TransformerEncoderLayer, x: Tensor, xv: string, opts: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean }): string {
  const sa = (v: string) => attention(c, m.selfAttn, v, v, v, x, { attnMask: opts.srcMask ?? null, keyPaddingMask: opts.srcKeyPaddingMask ?? null, isCausal: opts.isCausal });
  return residualBlocks(c, m.normFirst, [m.norm1 as LayerNorm, m.norm2 as LayerNorm], [sa, feedForward(c, m, x.dtype)], xv, x.dtype);
}
interface DecoderOpts {
  tgtMask?: Tensor | null; memoryMask?: Tensor | null; tgtKeyPaddingMask?: Tensor | null; memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean; memoryIsCausal?: boolean;
}
function decoderLayer(c: Ctx, m: TransformerDecoderLayer, x: Tensor, memory: Tensor, o: DecoderOpts): string {
  const mem = c.v(memory);
  const sa = (v: string) => attention(c, m.self_attn, v, v, v, x, { attnMask: o.tgtMask ?? null, keyPaddingMask: o.tgtKeyPaddingMask ?? null, isCausal: o.tgtIsCausal });
  const ca = (v: string) => attention(c, m.multihead_attn, v, mem, mem, x, { attnMask: o.memoryMask ?? null, keyPaddingMask: o.memoryKeyPaddingMask ?? null, isCausal: o.memoryIsCausal });
  return residualBlocks(c, m.normFirst, [m.norm1, m.norm2, m.norm3] as LayerNorm[], [sa, ca, feedForward(c, m, x.dtype)], c.v(x), x.dtype);
}

const bnLike = (c: Ctx, x: Tensor, m: { weight: Tensor | null; bias: Tensor | null; eps: number; momentum: number | null }, mean: Tensor, vr: Tensor, n: number) =>
  c.op('BatchNormalization', [c.v(x), channelParam(c, m.weight, n, x.dtype, 1), channelParam(c, m.bias, n, x.dtype, 0), c.v(mean), c.v(vr)],
    { epsilon: Fl(m.eps), momentum: Fl(1 - (m.momentum ?? 0.1)) });

/** Built-in modules kept whole, most specific first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const MODULES: [abstract new (...args: any[]) => Module, ModuleMap<any>][] = [
  [Linear, (c, m: Linear, [x], out) => c.bind(t(out), linear(c, c.v(t(x)), m.weight, m.bias))],
  [Identity, (c, _m, [x], out) => c.bind(t(out), c.v(t(x)))],
  [Conv1d, (c, m: Conv1d, [x], out) => c.bind(t(out), convLike(c, m, t(x)))],
  [Conv2d, (c, m: Conv2d, [x], out) => c.bind(t(out), convLike(c, m, t(x)))],
  [Conv3d, (c, m: Conv3d, [x], out) => c.bind(t(out), convLike(c, m, t(x)))],
  [ConvTranspose1d, (c, m: ConvTranspose1d, [x], out) => c.bind(t(out), convLike(c, m, t(x)))],
  [ConvTranspose2d, (c, m: ConvTranspose2d, [x], out) => c.bind(t(out), convLike(c, m, t(x)))],
  [ConvTranspose3d, (c, m: ConvTranspose3d, [x], out) => c.bind(t(out), convLike(c, m, t(x)))],
  ...[BatchNorm1d, BatchNorm2d, BatchNorm3d].map((cls) => [cls, (c: Ctx, m: BatchNorm2d, [x]: unknown[], out: unknown) => {
    const rm = (m as unknown as { running_mean: Tensor | null }).running_mean, rv = (m as unknown as { running_var: Tensor | null }).running_var;
    if (!rm || !rv) throw new OnnxExportError(`${m.constructor.name} without running statistics (trackRunningStats: false) has no ONNX mapping in eval mode`);
    const xt = t(x), unb = m instanceof BatchNorm1d && xt.ndim === 2;
    c.bind(t(out), bnLike(c, xt, m, rm, rv, m.numFeatures));
    void unb;
  }] as [typeof BatchNorm1d, ModuleMap<BatchNorm2d>]),
  ...[InstanceNorm1d, InstanceNorm2d].map((cls) => [cls, (c: Ctx, m: InstanceNorm2d, [x]: unknown[], out: unknown) => {
    const xt = t(x), n = m.numFeatures;
    if (m.trackRunningStats) { c.bind(t(out), bnLike(c, xt, m, m.running_mean!, m.running_var!, n)); return; }
    c.bind(t(out), c.op('InstanceNormalization', [c.v(xt), channelParam(c, m.weight, n, xt.dtype, 1), channelParam(c, m.bias, n, xt.dtype, 0)], { epsilon: Fl(m.eps) }));
  }] as [typeof InstanceNorm1d, ModuleMap<InstanceNorm2d>]),
  [LayerNorm, (c, m: LayerNorm, [x], out) => c.bind(t(out), lnModule(c, m, c.v(t(x)), t(x).dtype))],
  [GroupNorm, (c, m: GroupNorm, [x], out) => {
    // (x - mean) / sqrt(var + eps) over each group, then the per-channel affine.
    const xt = t(x), d = xt.dtype, g = c.op('Reshape', [c.v(xt), c.i64([0, m.numGroups, -1])]);
    const mean = c.op('ReduceMean', [g], { axes: Is([2]), keepdims: I(1) });
    const diff = c.op('Sub', [g, mean]);
    const vr = c.op('ReduceMean', [c.op('Mul', [diff, diff])], { axes: Is([2]), keepdims: I(1) });
    const y = c.op('Reshape', [c.op('Div', [diff, c.op('Sqrt', [c.op('Add', [vr, c.scalar(m.eps, d)])])]), c.op('Shape', [c.v(xt)])]);
    const sp = xt.ndim - 2;
    c.bind(t(out), m.weight && m.bias ? c.op('Add', [c.op('Mul', [y, perChannel(c, c.v(m.weight), sp)]), perChannel(c, c.v(m.bias), sp)]) : y);
  }],
  [RMSNorm, (c, m: RMSNorm, [x], out) => {
    const xt = t(x), d = xt.dtype, axes = m.normalizedShape.map((_, i) => -1 - i);
    const eps = m.eps ?? (d === 'float64' ? 2.220446049250313e-16 : d === 'float16' ? 0.0009765625 : 1.1920928955078125e-7);
    const ms = c.op('ReduceMean', [c.op('Mul', [c.v(xt), c.v(xt)])], { axes: Is(axes), keepdims: I(1) });
    const y = c.op('Mul', [c.v(xt), c.op('Reciprocal', [c.op('Sqrt', [c.op('Add', [ms, c.scalar(eps, d)])])])]);
    c.bind(t(out), m.weight ? c.op('Mul', [y, c.v(m.weight)]) : y);
  }],
  [MaxPool1d, (c, m: MaxPool1d, [x], out) => c.bind(t(out), pool(c, m, t(x), 1))],
  [MaxPool2d, (c, m: MaxPool2d, [x], out) => c.bind(t(out), pool(c, m, t(x), 2))],
  [AvgPool1d, (c, m: AvgPool1d, [x], out) => c.bind(t(out), pool(c, m, t(x), 1))],
  [AvgPool2d, (c, m: AvgPool2d, [x], out) => c.bind(t(out), pool(c, m, t(x), 2))],
  [AdaptiveAvgPool1d, (c, m: AdaptiveAvgPool1d, [x], out) => c.bind(t(out), adaptive(c, m, t(x), 1, false))],
  [AdaptiveAvgPool2d, (c, m: AdaptiveAvgPool2d, [x], out) => c.bind(t(out), adaptive(c, m, t(x), 2, false))],
  [AdaptiveMaxPool1d, (c, m: AdaptiveMaxPool1d, [x], out) => c.bind(t(out), adaptive(c, m, t(x), 1, true))],
  [AdaptiveMaxPool2d, (c, m: AdaptiveMaxPool2d, [x], out) => c.bind(t(out), adaptive(c, m, t(x), 2, true))],
  [Flatten, (c, _m, [x], out) => c.bind(t(out), c.reshape(c.v(t(x)), t(x), t(out)))],
  [Unflatten, (c, _m, [x], out) => c.bind(t(out), c.reshape(c.v(t(x)), t(x), t(out)))],
  ...[Dropout, Dropout1d, Dropout2d, Dropout3d].map((cls) => [cls, (c: Ctx, _m: Module, [x]: unknown[], out: unknown) => c.bind(t(out), c.v(t(x)))] as [typeof Dropout, ModuleMap<Module>]),
  [ReLU, (c, _m, [x], out) => c.bind(t(out), ACTIVATIONS.relu!(c, c.v(t(x)), t(out).dtype, []))],
  [ReLU6, (c, _m, [x], out) => c.bind(t(out), ACTIVATIONS.relu6!(c, c.v(t(x)), t(out).dtype, []))],
  [Sigmoid, (c, _m, [x], out) => c.bind(t(out), c.op('Sigmoid', [c.v(t(x))]))],
  [Tanh, (c, _m, [x], out) => c.bind(t(out), c.op('Tanh', [c.v(t(x))]))],
  [SiLU, (c, _m, [x], out) => c.bind(t(out), ACTIVATIONS.silu!(c, c.v(t(x)), t(out).dtype, []))],
  [Mish, (c, _m, [x], out) => c.bind(t(out), ACTIVATIONS.mish!(c, c.v(t(x)), t(out).dtype, []))],
  [GELU, (c, m: GELU, [x], out) => c.bind(t(out), gelu(c, c.v(t(x)), t(out).dtype, m.approximate))],
  [LeakyReLU, (c, m: LeakyReLU, [x], out) => c.bind(t(out), c.op('LeakyRelu', [c.v(t(x))], { alpha: Fl(m.negativeSlope) }))],
  [ELU, (c, m: ELU, [x], out) => c.bind(t(out), c.op('Elu', [c.v(t(x))], { alpha: Fl(m.alpha) }))],
  [Softplus, (c, m: Softplus, [x], out) => c.bind(t(out), softplus(c, c.v(t(x)), t(out).dtype, m.beta, m.threshold))],
  [Hardtanh, (c, m: Hardtanh, [x], out) => c.bind(t(out), c.op('Clip', [c.v(t(x)), c.scalar(m.minVal, t(out).dtype), c.scalar(m.maxVal, t(out).dtype)]))],
  [Hardswish, (c, _m, [x], out) => c.bind(t(out), c.op('HardSwish', [c.v(t(x))]))],
  [Hardsigmoid, (c, _m, [x], out) => c.bind(t(out), ACTIVATIONS.hardsigmoid!(c, c.v(t(x)), t(out).dtype, []))],
  [LogSigmoid, (c, _m, [x], out) => c.bind(t(out), ACTIVATIONS.logsigmoid!(c, c.v(t(x)), t(out).dtype, []))],
  [Softmax, (c, m: Softmax, [x], out) => c.bind(t(out), c.op('Softmax', [c.v(t(x))], { axis: I(norm(m.dim, t(x).ndim)) }))],
  [LogSoftmax, (c, m: LogSoftmax, [x], out) => c.bind(t(out), c.op('LogSoftmax', [c.v(t(x))], { axis: I(norm(m.dim, t(x).ndim)) }))],
  [Embedding, (c, m: Embedding, [idx], out) => {
    let rows = c.op('Gather', [c.v(m.weight), c.v(t(idx))], { axis: I(0) });
    if (m.maxNorm !== null) {
      // PyTorch renormalizes the looked-up rows whose norm exceeds maxNorm; done here on the rows.
      if (m.normType !== 2) throw new OnnxExportError(`Embedding with maxNorm and normType ${m.normType} has no mapping in this exporter (normType 2 only)`);
      const d = m.weight.dtype, n = c.op('ReduceL2', [rows], { axes: Is([-1]), keepdims: I(1) });
      const scale = c.op('Where', [c.op('Greater', [n, c.scalar(m.maxNorm, d)]), c.op('Div', [c.scalar(m.maxNorm, d), c.op('Add', [n, c.scalar(1e-7, d)])]), c.scalar(1, d)]);
      rows = c.op('Mul', [rows, scale]);
    }
    c.bind(t(out), rows);
  }],
  [LSTM, recurrent], [GRU, recurrent], [RNN, recurrent],
  [MultiheadAttention, (c, m: MultiheadAttention, [q, k, v, o], out) => {
    const opts = (o ?? {}) as { attnMask?: Tensor | null; keyPaddingMask?: Tensor | null; needWeights?: boolean; isCausal?: boolean };
    const [y, w] = out as [Tensor, Tensor | null];
    if (w) throw new OnnxExportError('MultiheadAttention: exporting the attention weights is not supported; call it with { needWeights: false }');
    c.bind(y, attention(c, m, c.v(t(q)), c.v(t(k)), c.v(t(v)), t(q), opts));
  }],
  [TransformerDecoderLayer, (c, m: TransformerDecoderLayer, [x, mem, o], out) => c.bind(t(out), decoderLayer(c, m, t(x), t(mem), (o ?? {}) as DecoderOpts))],
  [TransformerEncoderLayer, (c, m: TransformerEncoderLayer, [x, o], out) => c.bind(t(out), encoderLayer(c, m, t(x), c.v(t(x)), (o ?? {}) as object))],
  [TransformerEncoder, (c, m: TransformerEncoder, [x, o], out) => {
    const opts = (o ?? {}) as { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean };
    let v = c.v(t(x));
    for (const layer of m.layers.children() as TransformerEncoderLayer[]) {
      v = encoderLayer(c, layer, t(x), v, { srcMask: opts.mask ?? null, srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null, isCausal: opts.isCausal });
    }
    if (m.norm) {
      if (!(m.norm instanceof LayerNorm)) throw new OnnxExportError('TransformerEncoder: only a LayerNorm final norm has a mapping');
      v = lnModule(c, m.norm, v, t(x).dtype);
    }
    c.bind(t(out), v);
  }],
  [CrossEntropyLoss, (c, m: CrossEntropyLoss, [x, y], out) => crossEntropy(c, t(x), t(y), m as unknown as object, t(out))],
  [NLLLoss, (c, m: NLLLoss, [x, y], out) => nllLoss(c, t(x), t(y), m as unknown as object, t(out))],
  [MSELoss, (c, m: MSELoss, [x, y], out) => pointLoss(c, t(x), t(y), (m as unknown as { reduction: string }).reduction, true, t(out))],
  [L1Loss, (c, m: L1Loss, [x, y], out) => pointLoss(c, t(x), t(y), (m as unknown as { reduction: string }).reduction, false, t(out))],
];

/** The mapping of a built-in module kept whole, or null (its forward is traced through). */
export function moduleMapping(m: Module): ModuleMap<Module> | null {
  for (const [cls, f] of MODULES) if (m instanceof cls) return f;
  return null;
}
