// More of PyTorch's everyday API (src/ops/extra.ts and aliases) vs PyTorch fixtures
// (test/fixtures/gen_extra2.py), forward and gradients on every available device.
import { describe, expect, it } from 'vitest';
import { dataDependent, opSuite, torch, type CaseImpl } from '../helpers.js';

const impls: Record<string, CaseImpl> = {
  'sinc/basic': (x) => torch.sinc(x!),
  'sinc/zero': (x) => x!.sinc(),
  'sinc/int': (x) => torch.sinc(x!),
  'logit/basic': (x) => torch.logit(x!),
  'logit/eps': (x) => x!.logit(0.05),
  'logit/float64': (x) => torch.logit(x!),
  'deg2rad/basic': (x) => torch.deg2rad(x!),
  'rad2deg/basic': (x) => x!.rad2deg(),
  'heaviside/basic': (x, v) => torch.heaviside(x!, v!),
  'heaviside/broadcast': (x, v) => x!.heaviside(v!),
  'heaviside/dtype-error': (x, v) => torch.heaviside(x!, v!),
  'signbit/float': (x) => torch.signbit(x!),
  'signbit/int': (x) => x!.signbit(),
  'copysign/basic': (a, b) => torch.copysign(a!, b!),
  'copysign/zeros': (a, b) => a!.copysign(b!),
  'copysign/scalar': (x) => torch.copysign(x!, -1),
  'floatPower/basic': (a, b) => torch.floatPower(a!, b!),
  'floatPower/scalar': (x) => x!.floatPower(2.5),
  'floatPower/int': (x) => torch.floatPower(x!, 2),
  'arccos/basic': (x) => torch.arccos(x!),
  'arctan2/basic': (a, b) => a!.arctan2(b!),
  'absolute/basic': (x) => torch.absolute(x!),
  'positive/bool-error': (x) => torch.positive(x!),
  'fliplr/basic': (x) => torch.fliplr(x!),
  'fliplr/1d-error': (x) => x!.fliplr(),
  'flipud/basic': (x) => x!.flipud(),
  'rot90/k1': (x) => torch.rot90(x!),
  'rot90/k2': (x) => x!.rot90(2),
  'rot90/k-1-dims': (x) => torch.rot90(x!, -1, [1, 2]),
  'rot90/k3': (x) => torch.rot90(x!, 3, [2, 0]),
  'rot90/same-dims-error': (x) => torch.rot90(x!, 1, [1, 1]),
  'unfold/basic': (x) => x!.unfold(0, 3, 2),
  'unfold/dim1': (x) => x!.unfold(1, 2, 1),
  'unfold/overlap-grad': (x) => x!.unfold(-1, 3, 1),
  'unfold/size-error': (x) => x!.unfold(0, 5, 1),
  'repeatInterleave/int': (x) => torch.repeatInterleave(x!, 2),
  'repeatInterleave/int-dim': (x) => x!.repeatInterleave(3, 1),
  // outputSize: the total is known, so tensor repeats run on every device without a read
  'repeatInterleave/tensor': (x, r) => x!.repeatInterleave(r!, 0, { outputSize: 3 }),
  'repeatInterleave/empty-dim': (x, r) => torch.repeatInterleave(x!, r!, 0),
  'repeatInterleave/tensor-runs': (x, r) => torch.repeatInterleave(x!, r!, 0, { outputSize: 5 }),
  'repeatInterleave/tensor-flat': (x, r) => torch.repeatInterleave(x!, r!, null, { outputSize: 6 }),
  'repeatInterleave/repeats-only': (r) => torch.repeatInterleave(r!, null, null, { outputSize: 5 }),
  'repeatInterleave/size-error': (x, r) => torch.repeatInterleave(x!, r!, 0, { outputSize: 3 }),
  'take/basic': (x, i) => torch.take(x!, i!),
  'take/dup-grad': (x, i) => x!.take(i!),
  'take/range-error': (x, i) => torch.take(x!, i!),
  'put/basic': (x, i, s) => x!.put(i!, s!),
  'put/accumulate': (x, i, s) => torch.put(x!, i!, s!, { accumulate: true }),
  'put/count-error': (x, i, s) => x!.put(i!, s!),
  'takeAlongDim/basic': (x, i) => torch.takeAlongDim(x!, i!, 1),
  'takeAlongDim/broadcast': (x, i) => x!.takeAlongDim(i!, 0),
  'takeAlongDim/flat': (x, i) => torch.takeAlongDim(x!, i!),
  'takeAlongDim/ndim-error': (x, i) => torch.takeAlongDim(x!, i!, 1),
  'argwhere/basic': dataDependent((x) => torch.argwhere(x!), (x) => torch.nonzeroAsync(x!)),
  'narrowCopy/basic': (x) => x!.narrowCopy(1, 1, 3),
  'indexPut/basic': (x, i, v) => x!.indexPut([i!], v!),
  'indexPut/two-dims': (x, i, j, v) => torch.indexPut(x!, [i!, j!], v!),
  'indexPut/broadcast-values': (x, i, v) => x!.indexPut([i!], v!),
  'indexPut/accumulate': (x, i, v) => x!.indexPut([i!], v!, { accumulate: true }),
  'indexPut/mask': dataDependent((x, m, v) => x!.indexPut([m!], v!), async (x, m, v) => {
    const nz = await torch.nonzeroAsync(m!);
    return x!.indexPut([nz.select(1, 0), nz.select(1, 1)], v!);
  }),
  'maskedScatter/basic': (x, m, s) => x!.maskedScatter(m!, s!),
  'maskedScatter/broadcast': (x, m, s) => torch.maskedScatter(x!, m!, s!),
  'quantile/scalar': (x) => torch.quantile(x!, 0.3),
  'quantile/dim': (x) => x!.quantile(0.75, 1),
  'quantile/dim-keepdim': (x) => torch.quantile(x!, 0.4, 0, true),
  'quantile/q-tensor': (x, q) => torch.quantile(x!, q!, 1),
  'quantile/q-tensor-keepdim': (x, q) => torch.quantile(x!, q!, 0, true),
  'quantile/flat-keepdim': (x, q) => torch.quantile(x!, q!, null, true),
  'quantile/lower': (x) => torch.quantile(x!, 0.4, 1, false, { interpolation: 'lower' }),
  'quantile/higher': (x) => torch.quantile(x!, 0.4, 1, false, { interpolation: 'higher' }),
  'quantile/midpoint': (x) => torch.quantile(x!, 0.4, 1, false, { interpolation: 'midpoint' }),
  'quantile/nearest': (x) => torch.quantile(x!, 0.45, 1, false, { interpolation: 'nearest' }),
  'quantile/nan': (x) => torch.quantile(x!, 0.5, 1),
  'quantile/float64': (x) => torch.quantile(x!, 0.66),
  'quantile/q-error': (x) => torch.quantile(x!, 1.5),
  'quantile/int-error': (x) => torch.quantile(x!, 0.5),
  'nanquantile/basic': (x) => torch.nanquantile(x!, 0.4, 1),
  'nanquantile/flat': (x) => x!.nanquantile(0.5),
  'nanmedian/flat': (x) => torch.nanmedian(x!),
  'nanmedian/dim-values': (x) => torch.nanmedian(x!, 1).values,
  'nanmedian/dim-indices': (x) => x!.nanmedian(1).indices,
  'nanmedian/all-nan': (x) => torch.nanmedian(x!, 1).values,
  'nanmedian/keepdim': (x) => torch.nanmedian(x!, 0, true).values,
  'addmv/basic': (c, m, v) => torch.addmv(c!, m!, v!),
  'addmv/beta-alpha': (c, m, v) => c!.addmv(m!, v!, { beta: 0.5, alpha: 2 }),
  'addmv/beta0-nan': (c, m, v) => torch.addmv(c!, m!, v!, { beta: 0 }),
  'addr/basic': (c, a, b) => c!.addr(a!, b!, { beta: 2, alpha: -1 }),
  'addr/broadcast': (c, a, b) => torch.addr(c!, a!, b!),
  'baddbmm/basic': (c, a, b) => c!.baddbmm(a!, b!, { beta: 0.5, alpha: 1.5 }),
  'baddbmm/broadcast': (c, a, b) => torch.baddbmm(c!, a!, b!),
  'addbmm/basic': (c, a, b) => torch.addbmm(c!, a!, b!, { alpha: 0.5 }),
  'addbmm/shape-error': (c, a, b) => c!.addbmm(a!, b!),
};

opSuite('extra2', impls);

describe('extra2: outside the fixture format', () => {
  it('to({ dtype, device }) and type()', () => {
    const x = torch.tensor([1, 2, 3]);
    const y = x.to({ dtype: 'float64', device: 'cpu' });
    expect([y.dtype, y.device]).toEqual(['float64', 'cpu']);
    expect(x.to('cpu', { dtype: 'float32' }).dtype).toBe('float32');
    expect(x.to({ copy: true })).not.toBe(x);
    expect(x.type()).toBe('torch.IntTensor');
    expect(x.type('float32').type()).toBe('torch.FloatTensor');
  });
  it('in-place put_, indexPut_, maskedScatter_ write into self', () => {
    const x = torch.zeros(2, 3);
    expect(x.put_(torch.tensor([0, 5]), torch.tensor([1.5, 2.5]))).toBe(x);
    x.indexPut_([torch.tensor([1])], torch.tensor([7.5, 8.5, 9.5]), { accumulate: true });
    x.maskedScatter_(torch.tensor([true, false, false]), torch.full([2, 3], 4.5));
    expect(x.tolistSync()).toEqual([[4.5, 0, 0], [4.5, 8.5, 12]]);
  });
  it('repeatInterleave reads tensor repeats on the CPU without outputSize', () => {
    const r = torch.repeatInterleave(torch.tensor([[1, 2], [3, 4]]), torch.tensor([0, 3]), 0);
    expect(r.tolistSync()).toEqual([[3, 4], [3, 4], [3, 4]]);
    expect(torch.repeatInterleave(torch.tensor([1, 2]), torch.tensor([2])).tolistSync()).toEqual([1, 1, 2, 2]);
  });
  it('torch.isFloatingPoint, ndimension, swapdims', () => {
    const x = torch.zeros(2, 3, 4);
    expect(torch.isFloatingPoint(x)).toBe(true);
    expect(x.ndimension()).toBe(3);
    expect(x.swapdims(0, 2).shape).toEqual([4, 3, 2]);
  });
  it('nn.MaxUnpool1d/2d modules match F.maxUnpool', () => {
    const F = torch.nn.functional;
    const x = torch.randn([1, 2, 4, 6]);
    const [out, idx] = F.maxPool2d(x, 2, { returnIndices: true });
    const un = new torch.nn.MaxUnpool2d(2).forward(out, idx);
    expect(un.shape).toEqual([1, 2, 4, 6]);
    expect(Array.from(un.dataSync())).toEqual(Array.from(F.maxUnpool2d(out, idx, 2).dataSync()));
    const x1 = torch.randn([2, 3, 8]);
    const [o1, i1] = F.maxPool1d(x1, 2, { stride: 2, returnIndices: true });
    expect(new torch.nn.MaxUnpool1d(2, { stride: 2 }).forward(o1, i1, [2, 3, 9]).shape).toEqual([2, 3, 9]);
  });
  it('F.upsample is interpolate (PyTorch keeps the deprecated name)', () => {
    const x = torch.arange(4, { dtype: 'float32' }).reshape(1, 1, 2, 2);
    expect(torch.nn.functional.upsample(x, { scaleFactor: 2 }).shape).toEqual([1, 1, 4, 4]);
  });
});
