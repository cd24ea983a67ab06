// torch.linalg.lstsq's residuals rule on the CPU, against PyTorch 1.13: present only for m > n,
// driver != 'gelsy', and (gelsd/gelss) when every matrix of the batch has full column rank; gels
// always has them. Rank-deficient inputs give an EMPTY residuals tensor (linalg_lstsq_out_info).
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const LA = torch.linalg;
const f64 = (v: number[][] | number[][][]) => torch.tensor(v, { dtype: 'float64' });
const vals = (t: Tensor): number[] => Array.from(t.dataSync(), Number);
const close = (t: Tensor, want: number[], digits = 10) => {
  const got = vals(t);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, digits));
};

// PyTorch 1.13, float64: Afull = [[1, 2], [3, 4], [5, 7], [1, 0]] (rank 2), Adef = [[1, 2], [2, 4],
// [3, 6], [4, 8]] (rank 1), B = [[1, 0], [2, 1], [0, 3], [1, 1]]
const Afull = () => f64([[1, 2], [3, 4], [5, 7], [1, 0]]);
const Adef = () => f64([[1, 2], [2, 4], [3, 6], [4, 8]]);
const B = () => f64([[1, 0], [2, 1], [0, 3], [1, 1]]);
// torch.linalg.lstsq(Afull, B, driver=d).residuals for d in gels, gelsd, gelss
const RES_FULL = [3.879518072289, 0.650602409639];

describe('linalg.lstsq residuals', () => {
  it('full-rank tall A: gels, gelsd and gelss return them, gelsy does not', () => {
    for (const driver of ['gels', 'gelsd', 'gelss'] as const) {
      const r = LA.lstsq(Afull(), B(), { driver });
      expect(r.residuals.shape, driver).toEqual([2]);
      close(r.residuals, RES_FULL);
      // solution tensor([[0.746987951807, 1.036144578313], [-0.385542168675, -0.373493975904]])
      close(r.solution, [0.746987951807, 1.036144578313, -0.385542168675, -0.373493975904]);
    }
    // driver='gelsy': residuals tensor([], dtype=torch.float64), rank tensor(2)
    const y = LA.lstsq(Afull(), B(), { driver: 'gelsy' });
    expect(y.residuals.shape).toEqual([0]);
    expect(y.residuals.dtype).toBe('float64');
    expect(vals(y.rank)).toEqual([2]);
  });

  it('rank-deficient tall A: empty residuals for gelsd, gelss and gelsy', () => {
    for (const driver of ['gelsd', 'gelss', 'gelsy'] as const) {
      const r = LA.lstsq(Adef(), B(), { driver });
      // residuals tensor([], dtype=torch.float64), rank tensor(1),
      // solution tensor([[0.06, 0.1], [0.12, 0.2]]) (the minimum-norm one)
      expect(r.residuals.shape, driver).toEqual([0]);
      expect(r.residuals.dtype).toBe('float64');
      expect(vals(r.rank)).toEqual([1]);
      close(r.solution, [0.06, 0.1, 0.12, 0.2]);
    }
  });

  it('a batch has them only when every matrix has full rank', () => {
    // lstsq(stack([Afull, Adef]), stack([B, B]), driver='gelsd') -> residuals tensor([]), rank tensor([2, 1])
    const mixed = LA.lstsq(torch.stack([Afull(), Adef()]), torch.stack([B(), B()]), { driver: 'gelsd' });
    expect(mixed.residuals.shape).toEqual([0]);
    expect(vals(mixed.rank)).toEqual([2, 1]);
    // lstsq(stack([Afull, 2 * Afull]), stack([B, B]), driver='gelsd') -> residuals [RES_FULL, RES_FULL], rank [2, 2]
    const full = LA.lstsq(torch.stack([Afull(), Afull().mul(2)]), torch.stack([B(), B()]), { driver: 'gelsd' });
    expect(full.residuals.shape).toEqual([2, 2]);
    close(full.residuals, [...RES_FULL, ...RES_FULL]);
  });

  it('the rank follows rcond; square A has none', () => {
    // A = [[1, 0], [0, 1e-10], [0, 0]], b = ones(3, 1), driver='gelsd':
    // rcond=1e-5 -> rank 1, residuals tensor([]); default rcond -> rank 2, residuals tensor([1.])
    const A = f64([[1, 0], [0, 1e-10], [0, 0]]), b = torch.ones([3, 1], { dtype: 'float64' });
    const cut = LA.lstsq(A, b, { driver: 'gelsd', rcond: 1e-5 });
    expect(vals(cut.rank)).toEqual([1]);
    expect(cut.residuals.shape).toEqual([0]);
    const kept = LA.lstsq(A, b, { driver: 'gelsd' });
    expect(vals(kept.rank)).toEqual([2]);
    close(kept.residuals, [1]);
    // lstsq(Afull[:2], B[:2], driver='gelsd').residuals -> tensor([]) (m == n)
    expect(LA.lstsq(Afull().narrow(0, 0, 2), B().narrow(0, 0, 2), { driver: 'gelsd' }).residuals.shape).toEqual([0]);
  });
});
