// Linear algebra vs PyTorch fixtures (test/fixtures/gen_linalg.py), forward and gradient, on every
// available device; plus float64 finite-difference gradchecks of einsum and the matmul family.
import { describe, expect, it } from 'vitest';
import { opSuite, torch, type OpImpl } from '../helpers.js';

const mat: OpImpl = (a, b) => torch.matmul(a, b!);
const impls: Record<string, OpImpl> = {};
for (const n of ['1dx1d', '1dx2d', '2dx1d', '1dx3d', '3dx1d', '2dx2d', '3dx2d', '2dx3d', '3dx3d', 'broadcast', 'broadcast-batch1',
  'empty-k', 'empty-m', 'float64', 'int', 'shape-error', '1d-error', 'batch-error', '0d-error', 'dtype-error']) impls[`matmul/${n}`] = mat;
Object.assign(impls, {
  'matmul/transposed': (a, b) => a.t().matmul(b!.t()),
  'matmul/batched-transposed': (a, b) => a.transpose(1, 2).matmul(b!.transpose(-1, -2)),
  'matmul/sliced': (a, b) => a.index([null, null, 2]).matmul(b!.index(null, [1, null, 2])),
  mm: (a, b) => torch.mm(a, b!),
  'mm/transposed': (a, b) => a.t().mm(b!),
  'mm/3d-error': (a, b) => torch.mm(a, b!),
  'mm/shape-error': (a, b) => torch.mm(a, b!),
  bmm: (a, b) => torch.bmm(a, b!),
  'bmm/transposed': (a, b) => a.transpose(1, 2).bmm(b!),
  'bmm/batch-error': (a, b) => torch.bmm(a, b!),
  'bmm/2d-error': (a, b) => torch.bmm(a, b!),
  mv: (a, b) => torch.mv(a, b!),
  'mv/transposed': (a, b) => a.t().mv(b!),
  'mv/error': (a, b) => a.mv(b!),
  dot: (a, b) => torch.dot(a, b!),
  'dot/strided': (a, b) => a.index([null, null, 2]).dot(b!),
  'dot/size-error': (a, b) => a.dot(b!),
  'dot/2d-error': (a, b) => a.dot(b!),
  outer: (a, b) => torch.outer(a, b!),
  'outer/int': (a, b) => a.outer(b!),
  addmm: (c, a, b) => torch.addmm(c, a!, b!),
  'addmm/beta-alpha': (c, a, b) => c.addmm(a!, b!, { beta: 0.5, alpha: -2 }),
  'addmm/broadcast-bias': (c, a, b) => torch.addmm(c, a!, b!, { alpha: 3 }),
  'addmm/beta0': (c, a, b) => torch.addmm(c, a!, b!, { beta: 0 }),
  'einsum/matmul': (a, b) => torch.einsum('ij,jk->ik', a, b!),
  'einsum/batch': (a, b) => torch.einsum('bij,bjk->bik', a, b!),
  'einsum/trace': (a) => torch.einsum('ii->', a),
  'einsum/diagonal': (a) => torch.einsum('ii->i', a),
  'einsum/outer': (a, b) => torch.einsum('i,j->ij', a, b!),
  'einsum/sum': (a) => torch.einsum('ij->', a),
  'einsum/row-sum': (a) => torch.einsum('ij->i', a),
  'einsum/transpose': (a) => torch.einsum('ij->ji', a),
  'einsum/implicit': (a, b) => torch.einsum('ij,jk', a, b!),
  'einsum/implicit-transpose': (a) => torch.einsum('ba', a),
  'einsum/ellipsis': (a, b) => torch.einsum('...ij,jk->...ik', a, b!),
  'einsum/ellipsis-broadcast': (a, b) => torch.einsum('...ij,...jk->...ik', a, b!),
  'einsum/three': (a, b, c) => torch.einsum('ij,jk,kl->il', a, b!, c!),
  'einsum/bilinear': (a, w, b) => torch.einsum('bi,oij,bj->bo', [a, w!, b!]),
  'einsum/dot': (a, b) => torch.einsum('i,i->', a, b!),
  'einsum/hadamard': (a, b) => torch.einsum('ij,ij->ij', a, b!),
  'einsum/transposed-input': (a, b) => torch.einsum('ij,jk->ik', a.t(), b!),
  'einsum/spaces': (a, b) => torch.einsum('i j , j -> i', a, b!),
  'einsum/size-error': (a, b) => torch.einsum('ij,jk->ik', a, b!),
  'einsum/operand-count-error': (a) => torch.einsum('ij,jk->ik', a),
  'einsum/ndim-error': (a) => torch.einsum('ijk->i', a),
  'einsum/unknown-output-error': (a) => torch.einsum('ij->k', a),
  'einsum/diag-size-error': (a) => torch.einsum('ii->i', a),
  'einsum/repeated-output-error': (a) => torch.einsum('i->ii', a),
  'einsum/batch-diagonal': (a) => torch.einsum('bii->bi', a),
  'einsum/ellipsis-trace': (a) => torch.einsum('...ii->...', a),
  'einsum/size1-broadcast': (a, b) => torch.einsum('ij,ij->ij', a, b!),
  'dot/int': (a, b) => a.dot(b!),
  'matmul/bool-error': (a, b) => a.matmul(b!),
  'einsum/uppercase-ellipsis': (a, b) => torch.einsum('...Z,ZY->...Y', a, b!),
  'einsum/implicit-upper-first': (a, b) => torch.einsum('bA,Ac', a, b!),
  'einsum/bad-char-error': (a) => torch.einsum('i1->i', a),
} satisfies Record<string, OpImpl>);

opSuite('linalg', impls);

describe('linalg gradcheck (float64 finite differences)', () => {
  const r = (...s: number[]) => torch.randn(s, { dtype: 'float64' }).requiresGrad_(true);
  it('einsum: batch product, trace, diagonal, three operands', () => {
    torch.manualSeed(5);
    expect(torch.autograd.gradcheck((a, b) => torch.einsum('bij,bjk->bik', a, b!), [r(2, 2, 3), r(2, 3, 2)])).toBe(true);
    expect(torch.autograd.gradcheck((a) => torch.einsum('ii->', a), [r(3, 3)])).toBe(true);
    expect(torch.autograd.gradcheck((a) => torch.einsum('ii->i', a), [r(3, 3)])).toBe(true);
    expect(torch.autograd.gradcheck((a, b, c) => torch.einsum('ij,jk,k->i', a, b!, c!), [r(2, 3), r(3, 2), r(2)])).toBe(true);
  });
  it('matmul broadcast and addmm', () => {
    torch.manualSeed(6);
    expect(torch.autograd.gradcheck((a, b) => a.matmul(b!), [r(2, 1, 2, 3), r(2, 3, 2)])).toBe(true);
    expect(torch.autograd.gradcheck((c, a, b) => torch.addmm(c, a!, b!, { beta: 0.5, alpha: 2 }), [r(2), r(2, 3), r(3, 2)])).toBe(true);
  });
});
