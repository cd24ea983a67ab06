// Views and layout ops vs PyTorch fixtures (test/fixtures/gen_shape.py), forward and gradient, on every
// available device; plus checks that views share storage with their base (writes show through).
import { describe, expect, it } from 'vitest';
import { dataDependent, opSuite, torch, type CaseImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const impls: Record<string, CaseImpl> = {
  view: (x) => x.view(3, 4),
  'view/infer': (x) => x.view(-1, 4),
  'view/0d': (x) => x.view(1, 1),
  'view/to-0d': (x) => x.view([]),
  'view/non-contiguous-error': (x) => x.t().view(12),
  'view/bad-size-error': (x) => x.view(5, -1),
  'view/two-infer-error': (x) => x.view(-1, -1),
  'view/transposed-compatible': (x) => x.t().view(3, 2, 2),
  reshape: (x) => x.reshape(4, 3),
  'reshape/transposed': (x) => x.t().reshape(-1),
  'reshape/sliced': (x) => x.index(null, [1, null, 2]).reshape(2, 6),
  'reshape/empty': (x) => x.reshape(2, 0, -1),
  'reshape/bad-error': (x) => x.reshape(5, 3),
  transpose: (x) => x.transpose(0, 2),
  'transpose/neg': (x) => torch.transpose(x, -1, -2),
  'transpose/dim-error': (x) => x.transpose(0, 2),
  permute: (x) => x.permute(2, 0, 1),
  'permute/neg': (x) => x.permute([-1, 0, -2]),
  'permute/dup-error': (x) => x.permute(0, 0, 1),
  'permute/len-error': (x) => x.permute(0, 1),
  t: (x) => x.t(),
  't/1d': (x) => x.t(),
  't/3d-error': (x) => x.t(),
  expand: (x) => x.expand(3, 4),
  'expand/new-dims': (x) => x.expand(2, -1, 5),
  'expand/0d': (x) => x.expand([2, 3]),
  'expand/error': (x) => x.expand(3, 4),
  narrow: (x) => x.narrow(0, 1, 3),
  'narrow/neg-start': (x) => x.narrow(-1, -3, 2),
  'narrow/error': (x) => x.narrow(0, 3, 3),
  select: (x) => x.select(1, 2),
  'select/neg': (x) => x.select(-1, -1),
  'select/error': (x) => x.select(0, 3),
  squeeze: (x) => x.squeeze(),
  'squeeze/dim': (x) => x.squeeze(2),
  'squeeze/dim-not-1': (x) => x.squeeze(1),
  'squeeze/neg': (x) => x.squeeze(-1),
  unsqueeze: (x) => x.unsqueeze(1),
  'unsqueeze/neg': (x) => x.unsqueeze(-1),
  'unsqueeze/0d': (x) => x.unsqueeze(0),
  'unsqueeze/error': (x) => x.unsqueeze(3),
  flatten: (x) => x.flatten(),
  'flatten/range': (x) => x.flatten(1, 2),
  'flatten/neg': (x) => x.flatten(-2),
  'flatten/transposed': (x) => x.t().flatten(),
  'flatten/0d': (x) => x.flatten(),
  unflatten: (x) => x.unflatten(1, [3, 4]),
  'unflatten/infer': (x) => x.unflatten(-1, [2, -1, 3]),
  'unflatten/error': (x) => x.unflatten(1, [5, 3]),
  movedim: (x) => x.movedim(0, 2),
  'movedim/lists': (x) => torch.movedim(x, [0, 1], [-1, 0]),
  split: (x) => x.split(3)[2]!,
  'split/middle': (x) => x.split(3)[1]!,
  'split/sizes': (x) => x.split([1, 4, 1], 1)[1]!,
  'split/sizes-error': (x) => x.split([1, 4], 1)[0]!,
  chunk: (x) => x.chunk(3)[2]!,
  'chunk/dim': (x) => x.chunk(2, -1)[0]!,
  'chunk/more-than-size': (x) => torch.stack(x.chunk(5, 1), 0),
  unbind: (x) => x.unbind(1)[2]!,
  'unbind/stack': (x) => torch.stack(x.unbind(0).reverse(), 1),
  'contiguous/transposed': (x) => x.t().contiguous(),
  flip: (x) => x.flip(0),
  'flip/dims': (x) => x.flip(0, -1),
  'flip/transposed': (x) => x.t().flip([1]),
  roll: (x) => x.roll(2),
  'roll/neg': (x) => x.roll(-1, 1),
  'roll/no-dim': (x) => x.roll(5),
  'roll/multi': (x) => x.roll([1, -2], [0, 1]),
  'roll/large': (x) => x.roll(9, 1),
  repeat: (x) => x.repeat(2, 3),
  'repeat/new-dims': (x) => x.repeat([2, 1, 2]),
  'repeat/transposed': (x) => x.t().repeat(1, 2),
  'repeat/error': (x) => x.repeat(2),
  tile: (x) => x.tile(2),
  'tile/more': (x) => x.tile(2, 1, 2),
  tril: (x) => x.tril(),
  'tril/diag': (x) => x.tril(-1),
  triu: (x) => x.triu(),
  'triu/diag-batched': (x) => x.triu(1),
  'triu/int': (x) => x.triu(),
  'tril/1d-error': (x) => x.tril(),
  cat: (a, b) => torch.cat([a, b!]),
  'cat/dim1': (a, b) => torch.cat([a, b!], 1),
  'cat/neg-dim-transposed': (a, b) => torch.cat([a.t(), b!], -1),
  'cat/three': (a, b, c) => torch.cat([a, b!, c!]),
  'cat/promote': (a, b) => torch.cat([a, b!]),
  'cat/empty-1d': (a, b) => torch.cat([a, b!]),
  'cat/empty-dim': (a, b) => torch.cat([a, b!], 1),
  'cat/shape-error': (a, b) => torch.cat([a, b!]),
  'cat/ndim-error': (a, b) => torch.cat([a, b!]),
  stack: (a, b) => torch.stack([a, b!]),
  'stack/dim-last': (a, b) => torch.stack([a, b!], -1),
  'stack/error': (a, b) => torch.stack([a, b!]),
  'index/slice': (x) => x.index([1, 4], [null, null, 2]),
  'index/neg-slice': (x) => x.index([-3], [1, -1]),
  'index/int': (x) => x.index(1, null, -1),
  'index/ellipsis': (x) => x.index('...', 2),
  'index/newaxis': (x) => x.index(null, 'newaxis', [1, 3]),
  'index/step-clamp': (x) => x.index([1, 100, 3]),
  'index/empty-slice': (x) => x.index([4, 2]),
  'index/tensor': (x, i) => x.index(i!),
  'index/tensor-dim1': (x, i) => x.index(null, i!),
  'index/mask': dataDependent((x, m) => x.index(m!), (x, m) => x.indexAsync(m!)),
  'index/out-of-range-error': (x) => x.index(3),
  'index/tensor-out-of-range-error': (x, i) => x.index(i!),
  'index/too-many-error': (x) => x.index(0, 0),
  'index/negative-step-error': (x) => x.index([null, null, -1]),
  'flip/empty': (x) => x.flip(0),
  'roll/empty': (x) => x.roll(1, 0),
  'repeat/zero': (x) => x.repeat(0, 2),
  'cat/bool-float': (a, b) => torch.cat([a, b!]),
  'stack/0d': (a, b) => torch.stack([a, b!]),
  'squeeze/0d': (x) => x.squeeze(),
  'tril/int-batched-diag': (x) => x.tril(1),
  'tril/empty': (x) => x.tril(),
  'index/two-tensors': (x, i, j) => x.index(i!, j!),
  'index/tensors-broadcast': (x, i, j) => x.index(i!, j!),
  'index/tensors-adjacent-middle': (x, i, j) => x.index(null, i!, j!),
  'index/tensors-separated': (x, i, j) => x.index(i!, null, j!),
  'index/int-then-tensor': (x, j) => x.index(0, null, j!),
  'index/0d-tensor': (x, j) => x.index('newaxis', [1, 3], j!),
  'index/tensor-then-slice': (x, i) => x.index(i!, [1, null, 2]),
  'index/mask-rows': dataDependent((x, m) => x.index(m!), (x, m) => x.indexAsync(m!)),
  'index/mask-middle': dataDependent((x, m) => x.index(null, m!), (x, m) => x.indexAsync(null, m!)),
  'index/mask-2of3': dataDependent((x, m) => x.index(m!), (x, m) => x.indexAsync(m!)),
  'index/repeated-grad': (x, i) => x.index(i!),
  'index/two-tensors-out-of-range-error': (x, i, j) => x.index(i!, j!),
  'index/broadcast-error': (x, i, j) => x.index(i!, j!),
  'chain/t-unsqueeze-expand-reshape': (x) => x.t().unsqueeze(1).expand(2, 4, 3).reshape(8, 3),
  'chain/permute-flatten-narrow': (x) => x.permute(2, 0, 1).flatten(1).narrow(1, 1, 4),
  'chain/select-t-view': (x) => x.select(2, 1).t().contiguous().view(2, 6),
  'chain/expand-sum-back': (x) => x.expand(3, 5).roll(1, 1).flip(0),
  'chain/slice-transpose-matmul-free': (x) => x.index([1, null, 2], [null, null, 3]).t().repeat(2, 1),
  'chain/squeeze-unflatten-movedim': (x) => x.squeeze(0).unflatten(0, [2, 3]).movedim(-1, 0),
  'chain/view-of-expand-error': (x) => x.expand(3, 4).view(12),
  'chain/split-cat-roundtrip': (x) => torch.cat(x.t().split([1, 3], 0).reverse(), 0),
  'cat/dim-error': (x) => torch.cat([x], 2),
  'movedim/repeated-error': (x) => x.movedim([0, 0], [0, 1]),
  'split/zero-error': (x) => x.split(0)[0]!,
  'split/empty-dim': (x) => x.split(0)[0]!,
};

opSuite('shape', impls);

describe('views share storage with their base', () => {
  const base = () => torch.arange(24, { dtype: 'float32' }).reshape(2, 3, 4);
  const at = (t: Tensor, ...i: number[]) => t.index(...i).itemSync();
  const cases: [string, (b: Tensor) => Tensor][] = [
    ['view', (b) => b.view(6, 4)],
    ['reshape (contiguous)', (b) => b.reshape(-1)],
    ['transpose', (b) => b.transpose(0, 2)],
    ['permute', (b) => b.permute(2, 0, 1)],
    ['narrow', (b) => b.narrow(2, 1, 2)],
    ['select', (b) => b.select(1, 2)],
    ['squeeze/unsqueeze', (b) => b.unsqueeze(0).squeeze(0)],
    ['flatten', (b) => b.flatten(0, 1)],
    ['unflatten', (b) => b.unflatten(2, [2, 2])],
    ['movedim', (b) => b.movedim(0, -1)],
    ['t of a select', (b) => b.select(0, 1).t()],
    ['split', (b) => b.split(2, 2)[1]!],
    ['chunk', (b) => b.chunk(3, 1)[2]!],
    ['unbind', (b) => b.unbind(0)[1]!],
    ['expand then select', (b) => b.select(2, 0)],
    ['index slice', (b) => b.index(null, [1, 3], [null, null, 2])],
  ];
  for (const [name, mk] of cases) {
    it(name, () => {
      const b = base();
      const v = mk(b);
      const before = b.clone();
      v.fill_(-7);
      const changed = b.ne(before).sum().itemSync();
      expect(changed, 'every element of the view lands in the base').toBe(v.numel());
      expect(v.eq(-7).all().itemSync()).toBe(true);
    });
  }
  it('mul_ through a transposed view updates the base at the transposed position', () => {
    const b = base();
    b.transpose(0, 2).select(0, 3).select(0, 1).mul_(10); // b[:, 1, 3] *= 10
    expect(at(b, 0, 1, 3)).toBe(70);
    expect(at(b, 1, 1, 3)).toBe(190);
    expect(at(b, 0, 1, 2)).toBe(6);
  });
  it('copy_ into a strided slice', () => {
    const b = torch.zeros(3, 4);
    b.index(null, [1, null, 2]).copy_(torch.ones(3, 2));
    expect(Array.from(b.dataSync())).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });
  it('reshape of a non-contiguous tensor copies (does not alias)', () => {
    const b = torch.arange(6, { dtype: 'float32' }).reshape(2, 3);
    const r = b.t().reshape(-1);
    r.fill_(0);
    expect(b.sum().itemSync()).toBe(15);
  });
  it('contiguous of a contiguous tensor is the same tensor; of a transposed one, a copy', () => {
    const b = torch.ones(2, 3);
    expect(b.contiguous()).toBe(b);
    const c = b.t().contiguous();
    c.fill_(5);
    expect(b.sum().itemSync()).toBe(6);
    expect(c.isContiguous()).toBe(true);
  });
});
