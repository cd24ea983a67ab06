// Every op function, re-exported in one namespace (used by Tensor methods and torch.*).
export * from './creation.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './indexing.js';
export * from './linalg.js';
export { unslice } from './shape.js';
export type * from './types.js';
export * from './special.js';
export * from './matrix.js';
export * from './search.js';
export * from './extra.js';
export * from './random.js';
export { scatterReduce, indexCopy } from './scatter-reduce.js';
export type { ScatterReduceOp, ScatterReduceOpts } from './scatter-reduce.js';
export * from './counting.js';
export { viewAsReal, viewAsComplex, real, imag, complex, polar, conj, angle, isComplexTensor as isComplex } from './complex.js';
// torch.det / torch.inverse / ... : the top-level names PyTorch gives to torch.linalg functions.
export { det, inv as inverse, slogdet, matrixExp, matrixPower } from './decomp.js';
export type { SlogdetResult, SvdResult } from './decomp.js';
export { svdLegacy as svd } from './decomp.js';
// torch.lu_unpack: top-level in PyTorch, beside torch.linalg's LU functions of ops/decomp.ts.
export { luUnpack } from './decomp.js';
export type { PLUResult, LuUnpackOpts } from './decomp.js';
// torch.geqrf and torch.orgqr (linalg.householder_product's top-level alias), in ops/eig.ts.
export { geqrf, geqrfAsync, householderProduct as orgqr } from './eig.js';
export type { GeqrfResult } from './eig.js';

// Autocast (src/amp/autocast.ts): the ops of PyTorch's autocast lists, wrapped once here, where
// Tensor methods and torch.* dispatch. A local export shadows the same name of an `export *` above.
import { autocastOp } from '../amp/autocast.js';
import * as linalgOps from './linalg.js';
import * as extraOps from './extra.js';
import * as elementwiseOps from './elementwise.js';
import * as reduceOps from './reduce.js';
import * as matrixOps from './matrix.js';
import * as indexingOps from './indexing.js';
import * as shapeOps from './shape.js';
// float16 under autocast
export const matmul: typeof linalgOps.matmul = autocastOp(linalgOps, 'matmul', 'lower');
export const mm: typeof linalgOps.mm = autocastOp(linalgOps, 'mm', 'lower');
export const bmm: typeof linalgOps.bmm = autocastOp(linalgOps, 'bmm', 'lower');
export const mv: typeof linalgOps.mv = autocastOp(linalgOps, 'mv', 'lower');
export const addmm: typeof linalgOps.addmm = autocastOp(linalgOps, 'addmm', 'lower');
export const einsum: typeof linalgOps.einsum = autocastOp(linalgOps, 'einsum', 'lower');
export const addmv: typeof extraOps.addmv = autocastOp(extraOps, 'addmv', 'lower');
export const addr: typeof extraOps.addr = autocastOp(extraOps, 'addr', 'lower');
export const baddbmm: typeof extraOps.baddbmm = autocastOp(extraOps, 'baddbmm', 'lower');
export const addbmm: typeof extraOps.addbmm = autocastOp(extraOps, 'addbmm', 'lower');
// float32 under autocast
export const acos: typeof elementwiseOps.acos = autocastOp(elementwiseOps, 'acos', 'fp32');
export const asin: typeof elementwiseOps.asin = autocastOp(elementwiseOps, 'asin', 'fp32');
export const cosh: typeof elementwiseOps.cosh = autocastOp(elementwiseOps, 'cosh', 'fp32');
export const erfinv: typeof elementwiseOps.erfinv = autocastOp(elementwiseOps, 'erfinv', 'fp32');
export const exp: typeof elementwiseOps.exp = autocastOp(elementwiseOps, 'exp', 'fp32');
export const expm1: typeof elementwiseOps.expm1 = autocastOp(elementwiseOps, 'expm1', 'fp32');
export const log: typeof elementwiseOps.log = autocastOp(elementwiseOps, 'log', 'fp32');
export const log10: typeof elementwiseOps.log10 = autocastOp(elementwiseOps, 'log10', 'fp32');
export const log2: typeof elementwiseOps.log2 = autocastOp(elementwiseOps, 'log2', 'fp32');
export const log1p: typeof elementwiseOps.log1p = autocastOp(elementwiseOps, 'log1p', 'fp32');
export const reciprocal: typeof elementwiseOps.reciprocal = autocastOp(elementwiseOps, 'reciprocal', 'fp32');
export const rsqrt: typeof elementwiseOps.rsqrt = autocastOp(elementwiseOps, 'rsqrt', 'fp32');
export const sinh: typeof elementwiseOps.sinh = autocastOp(elementwiseOps, 'sinh', 'fp32');
export const tan: typeof elementwiseOps.tan = autocastOp(elementwiseOps, 'tan', 'fp32');
export const pow: typeof elementwiseOps.pow = autocastOp(elementwiseOps, 'pow', 'fp32');
export const norm: typeof reduceOps.norm = autocastOp(reduceOps, 'norm', 'fp32');
export const logsumexp: typeof reduceOps.logsumexp = autocastOp(reduceOps, 'logsumexp', 'fp32');
export const cdist: typeof matrixOps.cdist = autocastOp(matrixOps, 'cdist', 'fp32');
// float32 unless a dtype option is given
export const sum: typeof reduceOps.sum = autocastOp(reduceOps, 'sum', 'fp32OptDtype');
export const prod: typeof reduceOps.prod = autocastOp(reduceOps, 'prod', 'fp32OptDtype');
export const cumsum: typeof reduceOps.cumsum = autocastOp(reduceOps, 'cumsum', 'fp32OptDtype');
export const cumprod: typeof reduceOps.cumprod = autocastOp(reduceOps, 'cumprod', 'fp32OptDtype');
export const softmax: typeof reduceOps.softmax = autocastOp(reduceOps, 'softmax', 'fp32OptDtype');
export const logSoftmax: typeof reduceOps.logSoftmax = autocastOp(reduceOps, 'logSoftmax', 'fp32OptDtype');
// the widest floating input dtype under autocast
export const addcmul: typeof elementwiseOps.addcmul = autocastOp(elementwiseOps, 'addcmul', 'promote');
export const addcdiv: typeof elementwiseOps.addcdiv = autocastOp(elementwiseOps, 'addcdiv', 'promote');
export const atan2: typeof elementwiseOps.atan2 = autocastOp(elementwiseOps, 'atan2', 'promote');
export const dot: typeof linalgOps.dot = autocastOp(linalgOps, 'dot', 'promote');
export const cross: typeof matrixOps.cross = autocastOp(matrixOps, 'cross', 'promote');
export const tensordot: typeof matrixOps.tensordot = autocastOp(matrixOps, 'tensordot', 'promote');
export const indexPut: typeof extraOps.indexPut = autocastOp(extraOps, 'indexPut', 'promote');
export const scatterAdd: typeof indexingOps.scatterAdd = autocastOp(indexingOps, 'scatterAdd', 'promote');
export const cat: typeof shapeOps.cat = autocastOp(shapeOps, 'cat', 'promote');
export const stack: typeof shapeOps.stack = autocastOp(shapeOps, 'stack', 'promote');
