// Matrix/layout helpers and torch.linalg norms vs PyTorch fixtures (test/fixtures/gen_matrix.py) on
// every available device; plus diagonal's view semantics (writes go through to the base).
import { describe, expect, it } from 'vitest';
import { countCalls, opSuite, testDevices, torch, wavyValues, type OpImpl } from '../helpers.js';

const impls: Record<string, OpImpl> = {
  'diagonal/2d': (x) => torch.diagonal(x!),
  'diagonal/offset-pos': (x) => x!.diagonal(2),
  'diagonal/offset-neg': (x) => x!.diagonal(-1),
  'diagonal/offset-out': (x) => x!.diagonal(5),
  'diagonal/3d-dims': (x) => torch.diagonal(x!, 1, 0, 2),
  'diagonal/3d-swapped': (x) => x!.diagonal(-1, 2, 0),
  'diagonal/batched-last': (x) => torch.linalg.diagonal(x!),
  'diagonal/transposed': (x) => x!.t().diagonal(1),
  'diagonal/same-dims-error': (x) => x!.diagonal(0, 1, 1),
  'diagonal/int': (x) => x!.diagonal(),
  'diag/vector': (x) => torch.diag(x!),
  'diag/vector-offset': (x) => x!.diag(2),
  'diag/vector-neg-offset': (x) => torch.diag(x!, -1),
  'diag/matrix': (x) => x!.diag(),
  'diag/matrix-offset': (x) => torch.diag(x!, -2),
  'diag/3d-error': (x) => torch.diag(x!),
  'trace/square': (x) => torch.trace(x!),
  'trace/rect': (x) => x!.trace(),
  'trace/error': (x) => x!.trace(),
  'cross/dim1': (a, b) => torch.cross(a!, b!, 1),
  'cross/dim0': (a, b) => a!.cross(b!, 0),
  'cross/default-dim': (a, b) => torch.cross(a!, b!),
  'cross/broadcast': (a, b) => torch.cross(a!, b!, -1),
  'cross/bad-size': (a, b) => torch.cross(a!, b!, 1),
  'linalg.cross/default': (a, b) => torch.linalg.cross(a!, b!),
  'kron/2d': (a, b) => torch.kron(a!, b!),
  'kron/1d': (a, b) => a!.kron(b!),
  'kron/mixed-ndim': (a, b) => torch.kron(a!, b!),
  'tensordot/int': (a, b) => torch.tensordot(a!, b!, 2),
  'tensordot/lists': (a, b) => torch.tensordot(a!, b!, [[1, 0], [0, 1]]),
  'tensordot/zero': (a, b) => torch.tensordot(a!, b!, 0),
  'tensordot/mismatch': (a, b) => torch.tensordot(a!, b!, [[1], [0]]),
  'cdist/p2': (a, b) => torch.cdist(a!, b!),
  'cdist/p1': (a, b) => torch.cdist(a!, b!, 1),
  'cdist/pinf': (a, b) => torch.cdist(a!, b!, Infinity),
  'cdist/p3': (a, b) => torch.cdist(a!, b!, { p: 3 }),
  'cdist/batched': (a, b) => torch.cdist(a!, b!),
  'cdist/broadcast-batch': (a, b) => torch.cdist(a!, b!),
  'cdist/zero-distance': (a, b) => torch.cdist(a!, b!),
  'cdist/cols-error': (a, b) => torch.cdist(a!, b!),
  'diff/default': (x) => torch.diff(x!),
  'diff/n2-dim0': (x) => x!.diff(2, 0),
  'diff/prepend-append': (x, p, a) => torch.diff(x!, 1, -1, { prepend: p!, append: a! }),
  'diff/n-past-length': (x) => x!.diff(3),
  'diff/bool': (x) => torch.diff(x!),
  'diff/int': (x) => torch.diff(x!),
  'diff/transposed': (x) => x!.t().diff(),
  'diff/0d-error': (x) => torch.diff(x!),
  'hstack/1d': (a, b) => torch.hstack([a!, b!]),
  'hstack/2d': (a, b) => torch.hstack(a!, b!),
  'vstack/1d': (a, b) => torch.vstack([a!, b!]),
  'vstack/mixed': (a, b) => torch.vstack(a!, b!),
  'dstack/1d': (a, b) => torch.dstack([a!, b!]),
  'dstack/2d': (a, b) => torch.dstack([a!, b!]),
  'column_stack/1d-2d': (a, b, c) => torch.columnStack([a!, b!, c!.expand(3)]),
  'meshgrid/ij-0': (a, b) => torch.meshgrid(a!, b!, { indexing: 'ij' })[0]!,
  'meshgrid/ij-1': (a, b) => torch.meshgrid([a!, b!])[1]!,
  'meshgrid/xy-0': (a, b) => torch.meshgrid([a!, b!], { indexing: 'xy' })[0]!,
  'meshgrid/xy-1': (a, b) => torch.meshgrid(a!, b!, { indexing: 'xy' })[1]!,
  'meshgrid/three-xy-2': (a, b, c) => torch.meshgrid(a!, b!, c!, { indexing: 'xy' })[2]!,
  'broadcast_to/basic': (x) => torch.broadcastTo(x!, [2, 3, 4]),
  'broadcast_to/error': (x) => torch.broadcastTo(x!, 3, 4),
  'vector_norm/default': (x) => torch.linalg.vectorNorm(x!),
  'vector_norm/ord1-dim': (x) => torch.linalg.vectorNorm(x!, 1, 1),
  'vector_norm/inf-keepdim': (x) => torch.linalg.vectorNorm(x!, Infinity, 0, true),
  'vector_norm/-inf': (x) => torch.linalg.vectorNorm(x!, '-inf'),
  'vector_norm/ord3-dims': (x) => torch.linalg.vectorNorm(x!, { ord: 3, dim: [0, 2] }),
  'vector_norm/ord0': (x) => torch.linalg.vectorNorm(x!, 0),
  'vector_norm/zero-grad': (x) => torch.linalg.vectorNorm(x!),
  'vector_norm/float64-dtype': (x) => torch.linalg.vectorNorm(x!, 2, null, false, { dtype: 'float64' }),
  'vector_norm/int-error': (x) => torch.linalg.vectorNorm(x!),
  'matrix_norm/fro': (x) => torch.linalg.matrixNorm(x!),
  'matrix_norm/ord1': (x) => torch.linalg.matrixNorm(x!, 1),
  'matrix_norm/ord-1': (x) => torch.linalg.matrixNorm(x!, -1),
  'matrix_norm/inf': (x) => torch.linalg.matrixNorm(x!, Infinity),
  'matrix_norm/-inf-keepdim': (x) => torch.linalg.matrixNorm(x!, -Infinity, [-2, -1], true),
  'matrix_norm/batched-fro': (x) => torch.linalg.matrixNorm(x!),
  'matrix_norm/dims': (x) => torch.linalg.matrixNorm(x!, { ord: 1, dim: [0, 2] }),
  'matrix_norm/1d-error': (x) => torch.linalg.matrixNorm(x!),
  'linalg_norm/vector': (x) => torch.linalg.norm(x!),
  'linalg_norm/flatten': (x) => torch.linalg.norm(x!),
  'linalg_norm/matrix-ord': (x) => torch.linalg.norm(x!, 'fro'),
  'linalg_norm/matrix-inf': (x) => torch.linalg.norm(x!, Infinity),
  'linalg_norm/dim': (x) => torch.linalg.norm(x!, 1, 1),
  'linalg_norm/two-dims': (x) => torch.linalg.norm(x!, null, [1, 2]),
};

opSuite('matrix', impls);

describe('diagonal is a view', () => {
  it('writes through to the base and shares storage', async () => {
    const a = torch.zeros(3, 4);
    a.diagonal(1).fill_(7);
    expect(await a.tolist()).toEqual([[0, 7, 0, 0], [0, 0, 7, 0], [0, 0, 0, 7]]);
    expect(torch.numel(a)).toBe(12);
    const x = torch.ones(2, { requiresGrad: true });
    expect(torch.detach(x.mul(2)).requiresGrad).toBe(false);
  });
  it('matrixNorm rejects an order it does not define clearly', () => {
    expect(() => torch.linalg.matrixNorm(torch.ones(2, 2), 3)).toThrow(/matrix_norm|ord/);
  });
});

describe('gradcheck (float64 finite differences) of the new composites', () => {
  const r = (...s: number[]) => torch.randn(s, { dtype: 'float64' }).requiresGrad_(true);
  it('diagonal (and its backward, twice differentiable), kron, tensordot, cdist, matrixNorm', () => {
    torch.manualSeed(3);
    expect(torch.autograd.gradcheck((a) => a.diagonal(-1, 2, 0).square(), [r(3, 2, 4)])).toBe(true);
    // Second order: the gradient of sum(diag(A)^3) w.r.t. A goes through diagonal's backward rule.
    const A = r(3, 3);
    const [g] = torch.autograd.grad(A.diagonal().pow(3).sum(), A, { createGraph: true });
    const [gg] = torch.autograd.grad(g!.sum(), A);
    const want = torch.diag(A.detach().diagonal().mul(6));
    expect(torch.allclose(gg!, want)).toBe(true);
    expect(torch.autograd.gradcheck((a, b) => torch.kron(a, b), [r(2, 3), r(2, 2)])).toBe(true);
    expect(torch.autograd.gradcheck((a, b) => torch.tensordot(a, b, [[0], [1]]), [r(3, 2), r(4, 3)])).toBe(true);
    expect(torch.autograd.gradcheck((a, b) => torch.cdist(a, b), [r(3, 2), r(4, 2)])).toBe(true);
    expect(torch.autograd.gradcheck((a) => torch.linalg.matrixNorm(a, 1), [r(3, 4)])).toBe(true);
  });
  it('logcumsumexp, cummax, logaddexp, lgamma, digamma', () => {
    torch.manualSeed(4);
    expect(torch.autograd.gradcheck((a) => torch.logcumsumexp(a, 1), [r(2, 7)])).toBe(true);
    expect(torch.autograd.gradcheck((a) => torch.cummax(a, 0).values, [r(6, 2)])).toBe(true);
    expect(torch.autograd.gradcheck((a, b) => torch.logaddexp(a, b), [r(5), r(5)])).toBe(true);
    const pos = () => torch.rand([6], { dtype: 'float64' }).mul(5).add(0.2).requiresGrad_(true);
    expect(torch.autograd.gradcheck((a) => torch.lgamma(a), [pos()])).toBe(true);
    expect(torch.autograd.gradcheck((a) => torch.digamma(a), [pos()])).toBe(true);
  });
});

describe("a broadcast matmul operand's gradient (a conv weight shared by the images)", () => {
  it('is g b^T summed over the batch, bit for bit, in whichever orientation the GEMM pads less', async () => {
    // [16, 9] pads to 16 x 16 of 4x8 tiles; the rule computes it as the transpose of [9, 16] (12 x 16).
    for (const [m, k] of [[16, 9], [9, 16], [32, 144]] as const) {
      const w = torch.randn([m, k], { requiresGrad: true }), cols = torch.randn([6, k, 50]), g = torch.randn([6, m, 50]);
      w.matmul(cols).backward(g);
      const direct = torch.noGrad(() => g.matmul(cols.transpose(1, 2)).sum(0));
      expect(Array.from(await w.grad!.data()), `[${m}, ${k}]`).toEqual(Array.from(await direct.data()));
      const ref = Array.from({ length: m * k }, (_, ij) => {
        const [i, j] = [Math.floor(ij / k), ij % k], gv = g.dataSync(), cv = cols.dataSync();
        let s = 0;
        for (let b = 0; b < 6; b++) for (let l = 0; l < 50; l++) s += gv[(b * m + i) * 50 + l]! * cv[(b * k + j) * 50 + l]!;
        return s;
      });
      (await w.grad!.data()).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 3));
    }
  });
});

describe('a layer bias in the GEMM (addmm: F.linear, conv2d through im2col)', () => {
  it.each(testDevices())('%s: the bits of matmul then add, forward and gradients', async (device) => {
    const F = torch.nn.functional;
    const pairs: [() => torch.Tensor[], () => torch.Tensor[]][] = [];
    const x = wavyValues([3, 5, 24], 1, device), w = wavyValues([7, 24], 2, device), b = wavyValues([7], 3, device);
    const img = wavyValues([2, 3, 9, 8], 4, device), cw = wavyValues([6, 3, 3, 3], 5, device), cb = wavyValues([6], 6, device);
    const g = wavyValues([3, 5, 7], 7, device), cg = wavyValues([2, 6, 4, 3], 8, device);
    const run = (f: (p: torch.Tensor[]) => torch.Tensor, ps: torch.Tensor[], gy: torch.Tensor) => {
      const leaves = ps.map((t) => t.detach().requiresGrad_(true));
      const y = f(leaves);
      y.backward(gy);
      return [y.detach(), ...leaves.map((l) => l.grad!)];
    };
    pairs.push([() => run(([p, q, r]) => F.linear(p!, q!, r!), [x, w, b], g),
      () => run(([p, q, r]) => p!.matmul(q!.t()).add(r!), [x, w, b], g)]);
    // Stride 2: im2col + GEMM (not Winograd) on every device.
    pairs.push([() => run(([p, q, r]) => F.conv2d(p!, q!, r!, { stride: 2 }), [img, cw, cb], cg),
      () => run(([p, q, r]) => F.conv2d(p!, q!, null, { stride: 2 }).add(r!.reshape(1, 6, 1, 1)), [img, cw, cb], cg)]);
    for (const [fused, composed] of pairs) {
      const [u, calls] = countCalls(device, 'matmulEpilogue', fused);
      if (calls !== null) expect(calls, 'the forward GEMM with its bias epilogue').toBe(1);
      const v = composed();
      for (let i = 0; i < u.length; i++) expect(Array.from(await u[i]!.data()), `output/gradient ${i}`).toEqual(Array.from(await v[i]!.data()));
    }
  });
});

describe('linalg.vectorNorm ord 0 (count of nonzeros) under autograd', () => {
  // PyTorch 1.13: x = tensor([[0., 1.5, -2.], [0., 0., 3.]], requires_grad=True)
  const mk = () => torch.tensor([[0, 1.5, -2], [0, 0, 3]], { requiresGrad: true });
  it('carries a grad_fn when x requires grad; its gradient is undefined (x.grad stays None)', () => {
    const x = mk();
    // torch.linalg.vector_norm(x, 0) -> tensor(3., grad_fn=<LinalgVectorNormBackward0>); n.backward(); x.grad is None
    const n = torch.linalg.vectorNorm(x, 0);
    expect(n.requiresGrad).toBe(true);
    expect(n.gradFn!.backwardName).toBe('LinalgVectorNormBackward0');
    expect(n.itemSync()).toBe(3);
    n.backward();
    expect(x.grad).toBeNull();
    // vector_norm(x, 0, dim=1, keepdim=True) -> [[2.], [1.]]; (n.sum() + x.sum()).backward() -> x.grad all ones
    const x2 = mk();
    const n2 = torch.linalg.vectorNorm(x2, 0, 1, true);
    expect(Array.from(n2.dataSync())).toEqual([2, 1]);
    n2.sum().add(x2.sum()).backward();
    expect(Array.from(x2.grad!.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
  });
  it('autograd.grad sees an unused input, as PyTorch; dtype casts and nan/inf inputs', () => {
    const x = mk();
    // torch.autograd.grad(vector_norm(x, 0), x) -> RuntimeError "appears to not have been used in the graph"; allow_unused -> (None,)
    expect(() => torch.autograd.grad(torch.linalg.vectorNorm(x, 0), [x])).toThrow(/appears to not have been used in the graph/);
    expect(torch.autograd.grad(torch.linalg.vectorNorm(x, 0), [x], { allowUnused: true })).toEqual([null]);
    // vector_norm(x, 0, dtype=torch.float64) -> tensor(3., dtype=torch.float64, grad_fn=<LinalgVectorNormBackward0>)
    const n64 = torch.linalg.vectorNorm(x, 0, null, false, { dtype: 'float64' });
    expect(n64.dtype).toBe('float64');
    expect(n64.requiresGrad).toBe(true);
    // vector_norm(tensor([nan, 0., inf, -1.], requires_grad=True), 0) -> tensor(3.), grad None
    const y = torch.tensor([NaN, 0, Infinity, -1], { requiresGrad: true });
    const ny = torch.linalg.vectorNorm(y, 0);
    expect(ny.itemSync()).toBe(3);
    ny.backward();
    expect(y.grad).toBeNull();
    // under torch.no_grad(): requires_grad False
    expect(torch.noGrad(() => torch.linalg.vectorNorm(x, 0)).requiresGrad).toBe(false);
  });
  it('torch.norm(x, 0) carries the same gradless node, named NormBackward1', () => {
    // x = tensor([1.5, 0., 2.], requires_grad=True); torch.norm(x, 0) -> tensor(2., grad_fn=<NormBackward1>); backward: x.grad None
    const x = torch.tensor([1.5, 0, 2], { requiresGrad: true });
    const n = torch.norm(x, 0);
    expect(n.gradFn!.backwardName).toBe('NormBackward1');
    expect(n.itemSync()).toBe(2);
    n.backward();
    expect(x.grad).toBeNull();
    expect(torch.norm(x, 0, 0).gradFn!.backwardName).toBe('NormBackward1');
  });
});
