// Matrix and layout helpers PyTorch users reach for: diagonal (a strided view, one new view
// primitive), diag, trace, cross, kron, tensordot, cdist, diff, h/v/d/columnStack, meshgrid,
// broadcastTo/numel/detach as functions, and torch.linalg's vectorNorm/matrixNorm/norm.
// Everything but `diagonal` is a composite, so it runs and differentiates on every backend (ord-0
// norms attach reduce.ts's gradless node, as PyTorch's).

import { isFloating, type DType } from '../dtype.js';
import { broadcastShapes, fmtShape, normDim, normDims, numel as numelOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { record } from './prim.js';
import { castTo, logicalXor, sub } from './elementwise.js';
import { amax, amin, countNonzeroNorm, norm, sum } from './reduce.js';
import { cat, expand, movedim, narrow, reshape, roll, unslice } from './shape.js';
import { matmul } from './linalg.js';
import type { NormOrd } from './types.js';
import { spectralNorm } from './decomp.js';

// ---------------------------------------------------------------- diagonal / diag / trace

/** x.diagonal(offset, dim1, dim2): a view whose last dim runs along the (offset) diagonal of dim1, dim2. */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const d1 = normDim(dim1, x.ndim, 'diagonal'), d2 = normDim(dim2, x.ndim, 'diagonal');
  if (d1 === d2) throw new RangeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const n1 = x.shape[d1]!, n2 = x.shape[d2]!;
  const len = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const s1 = x.strides_[d1]!, s2 = x.strides_[d2]!;
  const keep = [...x.shape.keys()].filter((k) => k !== d1 && k !== d2);
  const start = len === 0 ? 0 : offset >= 0 ? offset * s2 : -offset * s1;
  const out = x.asView_([...keep.map((k) => x.shape[k]!), len], [...keep.map((k) => x.strides_[k]!), s1 + s2], x.offset + start);
  return record('diagonal', [x], out, { offset, dim1: d1, dim2: d2 });
}

/** The adjoint of diagonal: zeros of `shape` with g on the diagonal (differentiable in g). */
export function diagonalBackward(g: Tensor, shape: readonly number[], offset: number, d1: number, d2: number): Tensor {
  const n1 = shape[d1]!, n2 = shape[d2]!;
  const rest = shape.filter((_, k) => k !== d1 && k !== d2);
  // Row-major [n1, n2] flattened: element (i, i + offset) sits at start + i * (n2 + 1).
  const start = offset >= 0 ? offset : -offset * n2;
  const flat = unslice(g, [...rest, n1 * n2], rest.length, Math.min(start, Math.max(n1 * n2 - 1, 0)), n2 + 1);
  return movedim(reshape(flat, [...rest, n1, n2]), [rest.length, rest.length + 1], [d1, d2]);
}

/** torch.diag: a 1-D tensor becomes a square matrix with it on the `diagonal`-th diagonal; a matrix gives that diagonal (a copy). */
export function diag(x: Tensor, offset = 0): Tensor {
  if (x.ndim === 1) {
    const n = x.shape[0]!, N = n + Math.abs(offset);
    const start = offset >= 0 ? offset : -offset * N;
    return reshape(unslice(x, [N * N], 0, n === 0 ? 0 : start, N + 1), [N, N]);
  }
  if (x.ndim === 2) return diagonal(x, offset, 0, 1).clone();
  throw new RangeError(`diag: matrix or a vector expected (got ${x.ndim}D)`);
}

/** Sum of the main diagonal of a matrix. */
export function trace(x: Tensor): Tensor {
  if (x.ndim !== 2) throw new RangeError(`trace: expected a matrix, but got tensor with dim ${x.ndim}`);
  return sum(diagonal(x, 0, 0, 1));
}

// ---------------------------------------------------------------- products

/** Cross product of 3-vectors along dim (default: the first dim of size 3, as torch.cross). */
export function cross(a: Tensor, b: Tensor, dim?: number | null): Tensor {
  if (a.ndim !== b.ndim) throw new RangeError(`linalg.cross: inputs must have the same number of dimensions (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`);
  const shape = broadcastShapes('cross', a.shape, b.shape);
  let d: number;
  if (dim === undefined || dim === null) {
    d = shape.indexOf(3);
    if (d < 0) throw new RangeError(`no dimension of size 3 in input`);
  } else d = normDim(dim, shape.length, 'cross');
  if (shape[d] !== 3) throw new RangeError(`linalg.cross: inputs dimension ${dim ?? d} must have length 3. Got ${a.shape[d]} and ${b.shape[d]}`);
  const x = expand(a, shape), y = expand(b, shape);
  // c_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}, indices mod 3.
  return roll(x, -1, d).mul(roll(y, -2, d)).sub(roll(x, -2, d).mul(roll(y, -1, d)));
}

/** Kronecker product: block (i, j, ...) is a[i, j, ...] * b. */
export function kron(a: Tensor, b: Tensor): Tensor {
  const nd = Math.max(a.ndim, b.ndim);
  const as = [...new Array<number>(nd - a.ndim).fill(1), ...a.shape], bs = [...new Array<number>(nd - b.ndim).fill(1), ...b.shape];
  const ai = reshape(a, as.flatMap((s) => [s, 1])), bi = reshape(b, bs.flatMap((s) => [1, s]));
  return reshape(ai.mul(bi), as.map((s, i) => s * bs[i]!));
}

/** Contracts dims: `dims` = n (a's last n with b's first n) or [dimsOfA, dimsOfB]. */
export function tensordot(a: Tensor, b: Tensor, dims: number | readonly [number | readonly number[], number | readonly number[]] = 2): Tensor {
  let da: number[], db: number[];
  if (typeof dims === 'number') {
    if (dims < 0) throw new RangeError(`tensordot expects dims >= 0, but got dims=${dims}`);
    if (dims > a.ndim || dims > b.ndim) throw new RangeError(`tensordot expects dims < ndim_a or ndim_b, but got dims=${dims}`);
    da = Array.from({ length: dims }, (_, i) => a.ndim - dims + i);
    db = Array.from({ length: dims }, (_, i) => i);
  } else {
    const [x, y] = dims;
    da = (typeof x === 'number' ? [x] : [...x]).map((d) => normDim(d, a.ndim, 'tensordot'));
    db = (typeof y === 'number' ? [y] : [...y]).map((d) => normDim(d, b.ndim, 'tensordot'));
    if (da.length !== db.length) throw new RangeError(`both dimension lists should have same length`);
  }
  da.forEach((d, i) => {
    if (a.shape[d] !== b.shape[db[i]!]) {
      throw new RangeError(`contracted dimensions need to match, but first has size ${a.shape[d]} in dim ${d} and second has size ${b.shape[db[i]!]} in dim ${db[i]}`);
    }
  });
  const fa = [...a.shape.keys()].filter((d) => !da.includes(d)), fb = [...b.shape.keys()].filter((d) => !db.includes(d));
  const K = numelOf(da.map((d) => a.shape[d]!));
  const am = reshape(a.permute([...fa, ...da]), [numelOf(fa.map((d) => a.shape[d]!)), K]);
  const bm = reshape(b.permute([...db, ...fb]), [K, numelOf(fb.map((d) => b.shape[d]!))]);
  return reshape(matmul(am, bm), [...fa.map((d) => a.shape[d]!), ...fb.map((d) => b.shape[d]!)]);
}

/** p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R]. */
export function cdist(x1: Tensor, x2: Tensor, pArg: number | { p?: number } = 2): Tensor {
  const p = typeof pArg === 'number' ? pArg : (pArg.p ?? 2);
  if (x1.ndim < 2) throw new RangeError(`cdist only supports at least 2D tensors, X1 got: ${x1.ndim}D`);
  if (x2.ndim < 2) throw new RangeError(`cdist only supports at least 2D tensors, X2 got: ${x2.ndim}D`);
  const M1 = x1.shape[x1.ndim - 1]!, M2 = x2.shape[x2.ndim - 1]!;
  if (M1 !== M2) throw new RangeError(`X1 and X2 must have the same number of columns. X1: ${M1} X2: ${M2}`);
  if (!isFloating(x1.dtype) || !isFloating(x2.dtype)) throw new TypeError(`cdist only supports floating-point dtypes, X1 got: ${x1.dtype}`);
  if (p < 0) throw new RangeError(`cdist only supports non-negative p values`);
  // [..., P, 1, M] - [..., 1, R, M], then the p-norm over M (zero distances get a zero gradient, as PyTorch).
  const d = sub(x1.unsqueeze(-2), x2.unsqueeze(-3));
  return norm(d, p, -1);
}

// ---------------------------------------------------------------- diff / stacking / meshgrid

/** n-th forward difference along dim, after concatenating prepend/append along it. */
export function diff(x: Tensor, n = 1, dim = -1, opts: { prepend?: Tensor | null; append?: Tensor | null } = {}): Tensor {
  if (x.ndim === 0) throw new RangeError('diff expects input to be at least one-dimensional');
  if (n < 0) throw new RangeError(`order must be non-negative but got ${n}`);
  const d = normDim(dim, x.ndim, 'diff');
  let r = x;
  if (opts.prepend || opts.append) r = cat([...(opts.prepend ? [opts.prepend] : []), x, ...(opts.append ? [opts.append] : [])], d);
  for (let k = 0; k < n; k++) {
    const len = Math.max(r.shape[d]! - 1, 0);
    const hi = narrow(r, d, Math.min(1, r.shape[d]!), len), lo = narrow(r, d, 0, len);
    r = r.dtype === 'bool' ? logicalXor(hi, lo) : sub(hi, lo);
  }
  return r === x ? x.clone() : r;
}

const atleast = (t: Tensor, nd: 1 | 2 | 3): Tensor => {
  if (t.ndim >= nd) return t;
  if (nd === 1) return reshape(t, [1]);
  if (nd === 2) return reshape(t, t.ndim === 0 ? [1, 1] : [1, t.shape[0]!]);
  return reshape(t, t.ndim === 0 ? [1, 1, 1] : t.ndim === 1 ? [1, t.shape[0]!, 1] : [...t.shape, 1]);
};
/** Tensors given as varargs or one array. */
type TensorList = (Tensor | readonly Tensor[])[];
const listOf = (args: TensorList): Tensor[] => (args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly Tensor[])] : (args as Tensor[]));
function nonEmpty(op: string, ts: Tensor[]): Tensor[] {
  if (ts.length === 0) throw new RangeError(`${op} expects a non-empty TensorList`);
  return ts;
}

/** Returns x viewed with at least 1 dim (torch.atleast_1d). */
export function atleast1d(x: Tensor): Tensor { return atleast(x, 1); }
/** Returns x viewed with at least 2 dims; 1-D becomes [1, n] (torch.atleast_2d). */
export function atleast2d(x: Tensor): Tensor { return atleast(x, 2); }
/** Returns x viewed with at least 3 dims; 1-D becomes [1, n, 1], 2-D [m, n, 1] (torch.atleast_3d). */
export function atleast3d(x: Tensor): Tensor { return atleast(x, 3); }
/** Concatenates column-wise (dim 1), or along dim 0 when every input is 1-D. */
export function hstack(...tensors: TensorList): Tensor {
  const ts = nonEmpty('hstack', listOf(tensors)).map((t) => atleast(t, 1));
  return cat(ts, ts.every((t) => t.ndim === 1) ? 0 : 1);
}
/** Concatenates row-wise after making every input at least 2-D. */
export function vstack(...tensors: TensorList): Tensor { return cat(nonEmpty('vstack', listOf(tensors)).map((t) => atleast(t, 2)), 0); }
/** Concatenates depth-wise (dim 2) after making every input at least 3-D. */
export function dstack(...tensors: TensorList): Tensor { return cat(nonEmpty('dstack', listOf(tensors)).map((t) => atleast(t, 3)), 2); }
/** Stacks 0-/1-D inputs as columns, concatenates 2-D ones along dim 1. */
export function columnStack(...tensors: TensorList): Tensor {
  return cat(nonEmpty('columnStack', listOf(tensors)).map((t) => (t.ndim <= 1 ? reshape(t, [t.numel(), 1]) : t)), 1);
}

/** Coordinate grids (views). indexing 'ij' (the default, as PyTorch) or 'xy' (first two dims swapped). */
export function meshgrid(...args: (Tensor | readonly Tensor[] | { indexing?: 'ij' | 'xy' })[]): Tensor[] {
  const last = args[args.length - 1];
  const opts = last !== undefined && !(last instanceof Tensor) && !Array.isArray(last) ? (args.pop() as { indexing?: 'ij' | 'xy' }) : {};
  const ts = listOf(args as TensorList);
  const indexing = opts.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new RangeError(`torch.meshgrid: indexing must be one of "xy" or "ij", but received: ${String(indexing)}`);
  if (ts.length === 0) throw new RangeError('torch.meshgrid: expects a non-empty TensorList');
  ts.forEach((t, i) => {
    if (t.ndim > 1) throw new RangeError(`torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ${fmtShape(t.shape)} at position ${i}`);
    if (t.dtype !== ts[0]!.dtype) throw new TypeError('torch.meshgrid: expects all tensors to have the same dtype');
    if (t.device !== ts[0]!.device) throw new Error('torch.meshgrid: expects all tensors to have the same device');
  });
  // 'xy' is 'ij' with the first two inputs' roles swapped: out dims (1, 0, 2, ...).
  const swap = indexing === 'xy' && ts.length >= 2;
  const axis = (i: number) => (swap && i < 2 ? 1 - i : i);
  const sizes = new Array<number>(ts.length);
  ts.forEach((t, i) => { sizes[axis(i)] = t.numel(); });
  return ts.map((t, i) => expand(reshape(t, sizes.map((s, k) => (k === axis(i) ? s : 1))), sizes));
}

/** torch.broadcastTo(x, shape): x.expand(shape) (a view). */
export function broadcastTo(x: Tensor, ...shape: (number | readonly number[])[]): Tensor { return expand(x, ...shape); }
/** torch.numel(x). */
export function numel(x: Tensor): number { return x.numel(); }
/** torch.detach(x): a tensor sharing x's storage, cut from the graph. */
export function detach(x: Tensor): Tensor { return x.detach(); }

// ---------------------------------------------------------------- torch.linalg norms

/** Options for linalg.vectorNorm: { ord, dim, keepdim, dtype }. */
export interface VectorNormOpts { ord?: NormOrd; dim?: number | readonly number[] | null; keepdim?: boolean; dtype?: DType }
/** Options for linalg.matrixNorm: { ord, dim (two dims), keepdim, dtype }. */
export interface MatrixNormOpts { ord?: NormOrd | 'nuc'; dim?: readonly [number, number]; keepdim?: boolean; dtype?: DType }
const ordOf = (o: NormOrd): number => (o === 'inf' ? Infinity : o === '-inf' ? -Infinity : o === 'fro' ? NaN : o);

function floatInput(op: string, x: Tensor, dtype?: DType): Tensor {
  const y = dtype && dtype !== x.dtype ? castTo(x, dtype) : x;
  if (!isFloating(y.dtype)) throw new TypeError(`${op}: Expected a floating point or complex tensor as input. Got ${x.dtype}`);
  return y;
}

/** torch.linalg.vector_norm(x, ord = 2, dim = null, keepdim = false, { dtype }): ord any number or +/-inf. */
export function vectorNorm(x: Tensor, ordArg: NormOrd | VectorNormOpts = 2, dimArg?: number | readonly number[] | null, keepdimArg = false, optsArg: VectorNormOpts = {}): Tensor {
  const o: VectorNormOpts = typeof ordArg === 'object' ? { ...ordArg, ...optsArg } : optsArg;
  const ord = ordOf(typeof ordArg === 'object' ? (o.ord ?? 2) : ordArg);
  if (Number.isNaN(ord)) throw new RangeError(`linalg.vector_norm: ord must be a number, got ${String(ordArg)}`);
  const dim = o.dim ?? dimArg ?? null, keepdim = o.keepdim ?? keepdimArg;
  const inp = floatInput('linalg.vector_norm', x, o.dtype);
  const dims = Array.isArray(dim) && dim.length === 0 ? null : (dim as number | readonly number[] | null);
  if (inp.numel() === 0 && ord < 0) throw new RangeError(`linalg.vector_norm cannot compute the ${ord} norm on an empty tensor because the operation does not have an identity`);
  // ord 0: PyTorch names the (gradless) node LinalgVectorNormBackward0, torch.norm's NormBackward1.
  return ord === 0 ? countNonzeroNorm(inp, noGrad(() => norm(inp, 0, dims, keepdim)), 'LinalgVectorNorm', 0) : norm(inp, ord, dims, keepdim);
}

/** torch.linalg.matrix_norm(A, ord = 'fro', dim = [-2, -1], keepdim = false): 'fro', 'nuc', +/-1, +/-2 (singular values), +/-inf. */
export function matrixNorm(x: Tensor, ordArg: NormOrd | 'nuc' | MatrixNormOpts = 'fro', dimArg: readonly [number, number] = [-2, -1], keepdimArg = false, optsArg: MatrixNormOpts = {}): Tensor {
  const o: MatrixNormOpts = typeof ordArg === 'object' ? { ...ordArg, ...optsArg } : optsArg;
  const ord = typeof ordArg === 'object' ? (o.ord ?? 'fro') : ordArg;
  const dim = o.dim ?? dimArg, keepdim = o.keepdim ?? keepdimArg;
  if (x.ndim < 2) throw new RangeError(`linalg.matrix_norm: The input tensor A must have at least 2 dimensions.`);
  const inp = floatInput('linalg.matrix_norm', x, o.dtype);
  if (dim.length !== 2) throw new RangeError(`linalg.matrix_norm: dim must be a 2-tuple. Got ${dim.join(' ')}`);
  const [r, c] = [normDim(dim[0], x.ndim, 'linalg.matrix_norm'), normDim(dim[1], x.ndim, 'linalg.matrix_norm')];
  if (r === c) throw new RangeError(`linalg.matrix_norm: dims must be different. Got (${dim[0]}, ${dim[1]})`);
  if (ord === 'fro') return norm(inp, 2, [r, c], keepdim);
  const p = ord === 'nuc' ? 0 : ordOf(ord);
  if (ord === 'nuc' || p === 2 || p === -2) {
    // Singular values of the matrices moved to the last two dims (ops/decomp.ts).
    const red = spectralNorm(inp.movedim([r, c], [-2, -1]), ord === 'nuc' ? 'nuc' : (p as 2 | -2));
    return keepdim ? red.unsqueeze(Math.min(r, c)).unsqueeze(Math.max(r, c)) : red;
  }
  if (p !== 1 && p !== -1 && Math.abs(p) !== Infinity) {
    throw new RangeError(`linalg.matrix_norm: Order ${String(ord)} not supported.`);
  }
  // ord 1: max over columns of the column sums |A|; inf: max over rows of the row sums.
  const [inner, outer] = Math.abs(p) === 1 ? [r, c] : [c, r];
  const s = sum(inp.abs(), inner, true);
  const red = p > 0 ? amax(s, outer, true) : amin(s, outer, true);
  return keepdim ? red : red.squeeze(normDims([r, c], x.ndim, 'linalg.matrix_norm'));
}

/** torch.linalg.norm(A, ord = null, dim = null, keepdim = false): vector norms, or matrix norms for 2 dims. */
export function linalgNorm(x: Tensor, ordArg: NormOrd | 'nuc' | null | (Omit<VectorNormOpts, 'ord'> & { ord?: NormOrd | 'nuc' | null }) = null, dimArg?: number | readonly number[] | null, keepdimArg = false, optsArg: { dtype?: DType } = {}): Tensor {
  const o = ordArg !== null && typeof ordArg === 'object' ? { ...ordArg, ...optsArg } : { ...optsArg };
  const ord = ordArg !== null && typeof ordArg === 'object' ? (ordArg.ord ?? null) : ordArg;
  const dimIn = 'dim' in o && o.dim !== undefined ? o.dim : dimArg;
  const keepdim = 'keepdim' in o && o.keepdim !== undefined ? o.keepdim : keepdimArg;
  const dim = typeof dimIn === 'number' ? [dimIn] : dimIn ?? null;
  if (dim !== null && dim.length === 2) return matrixNorm(x, ord ?? 'fro', [dim[0]!, dim[1]!], keepdim, { dtype: o.dtype });
  if (dim !== null && dim.length !== 1) throw new RangeError(`linalg.norm: If dim is specified, it must be of length 1 or 2. Got ${fmtShape(dim)}`);
  if (dim === null && ord !== null) {
    if (x.ndim === 2) return matrixNorm(x, ord, [-2, -1], keepdim, { dtype: o.dtype });
    if (x.ndim !== 1) throw new RangeError(`linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got ${x.ndim}D.`);
  }
  if (ord === 'fro' || ord === 'nuc') throw new RangeError(`linalg.norm: '${ord}' is a matrix norm: pass a 2-D input or two dims`);
  return vectorNorm(x, ord ?? 2, dim, keepdim, { dtype: o.dtype });
}
