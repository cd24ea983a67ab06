// PyTorch APIs added together: the `generator` option of the random ops, torch.bernoulli/normal/dist,
// scatterReduce and scatter's reduce 'multiply', indexCopy, isin, histc, nonzero({ asTuple }) and the
// { dtype } option of cumsum/cumprod. Deterministic values (and gradients) are PyTorch 1.13's, pasted
// below with the code that made them; random draws cannot match PyTorch's generator, so those are
// checked by their contract (reproducible per generator seed, global stream untouched, statistics).
import { describe, expect, it } from 'vitest';
import { isSynchronous, testDevices, torch } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

async function vals(t: Tensor): Promise<number[]> { return Array.from(await t.data(), Number); }
async function expectNear(t: Tensor, expected: number[], atol = 1e-5): Promise<void> {
  const a = await vals(t);
  expect(a.length).toBe(expected.length);
  a.forEach((v, i) => {
    if (Number.isNaN(expected[i]!)) expect(v).toBeNaN();
    else expect(Math.abs(v - expected[i]!), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(atol + 1e-5 * Math.abs(expected[i]!));
  });
}
/** Errors raise at the call on synchronous devices; elsewhere at the next read of the result. */
async function expectError(device: Device, f: () => Tensor, message: RegExp): Promise<void> {
  if (isSynchronous(device)) { expect(f).toThrow(message); return; }
  let r: Tensor;
  try { r = f(); } catch (e) { expect(String(e)).toMatch(message); return; }
  await expect(r.data()).rejects.toThrow(message);
}

// ---------------------------------------------------------------- 1. generator option

describe('generator option of the random ops', () => {
  for (const device of testDevices()) {
    const draws: Record<string, (g?: torch.Generator) => Tensor> = {
      rand: (g) => torch.rand([2, 3], { device, generator: g }),
      randn: (g) => torch.randn(2, 3, { device, generator: g }),
      randint: (g) => torch.randint(3, 50, [7], { device, generator: g }),
      randperm: (g) => torch.randperm(9, { device, generator: g }),
      multinomial: (g) => torch.multinomial(torch.tensor([1, 2, 3, 4], { dtype: 'float32', device }), 6, { replacement: true, generator: g }),
      'multinomial (no replacement)': (g) => torch.tensor([1, 2, 3, 4], { dtype: 'float32', device }).multinomial(3, { generator: g }),
      'normal_': (g) => torch.zeros(5, { device }).normal_(2, 3, { generator: g }),
      'uniform_': (g) => torch.zeros(5, { device }).uniform_(-1, 1, { generator: g }),
      'bernoulli_': (g) => torch.zeros(40, { device }).bernoulli_(0.5, { generator: g }),
      bernoulli: (g) => torch.bernoulli(torch.full([40], 0.5, { device }), { generator: g }),
      normal: (g) => torch.normal(torch.zeros(5, { device }), torch.ones(5, { device }), { generator: g }),
    };
    for (const [name, draw] of Object.entries(draws)) {
      it(`${name}: the same generator seed gives the same values and the global stream is untouched (${device})`, async () => {
        torch.manualSeed(11);
        const globalFirst = await vals(draw());
        const globalSecond = await vals(draw());
        torch.manualSeed(11);
        const g1 = await vals(draw(torch.Generator().manualSeed(5)));
        const g1Next = await vals(draw(torch.Generator().manualSeed(5)));
        // The global stream continues as if the generator draws had not happened.
        expect(await vals(draw())).toEqual(globalFirst);
        expect(await vals(draw())).toEqual(globalSecond);
        expect(g1Next).toEqual(g1);
        // A generator advances: its second draw is a new one.
        const g = new torch.Generator().manualSeed(5);
        expect(await vals(draw(g))).toEqual(g1);
        const second = await vals(draw(g));
        if (name !== 'randperm' && !name.startsWith('multinomial')) expect(second).not.toEqual(g1);
        expect(g.getState().offset).toBeGreaterThan(0);
      });
    }
  }
  it('successive draws continue one generator stream, which getState/setState replays', async () => {
    const g = torch.Generator().manualSeed(3);
    const a = await vals(torch.rand(4, { generator: g }));
    const saved = g.getState();
    const b = await vals(torch.randn(4, { generator: g }));
    expect(saved.offset).toBeGreaterThan(0);
    g.setState(saved);
    expect(await vals(torch.randn(4, { generator: g }))).toEqual(b);
    expect(a).not.toEqual(b);
  });
  it('refuses a generator that is not one', () => {
    expect(() => torch.rand(2, { generator: 3 as unknown as torch.Generator })).toThrow(/rand/);
  });
});

// ---------------------------------------------------------------- 2. bernoulli, normal, dist

describe('torch.bernoulli', () => {
  for (const device of testDevices()) {
    it(`follows the probabilities, keeps dtype and gives zero gradient (${device})`, async () => {
      torch.manualSeed(1);
      const p = torch.tensor([0, 1, 0.25, 0.75], { device }).reshape(4, 1).expand(4, 2000).contiguous().requiresGrad_();
      const s = torch.bernoulli(p);
      expect(s.dtype).toBe('float32');
      expect(s.shape).toEqual([4, 2000]);
      const m = await vals(s.mean(1));
      expect(m[0]).toBe(0);
      expect(m[1]).toBe(1);
      expect(Math.abs(m[2]! - 0.25)).toBeLessThan(0.04);
      expect(Math.abs(m[3]! - 0.75)).toBeLessThan(0.04);
      // PyTorch: BernoulliBackward0 gives zeros.
      s.sum().backward();
      expect(await vals(p.grad!.sum())).toEqual([0]);
      const t = torch.rand(3000, { device }).bernoulli();
      expect(t.shape).toEqual([3000]);
    });
    it(`bernoulli(input, p) and bernoulli_ (${device})`, async () => {
      torch.manualSeed(2);
      const s = torch.bernoulli(torch.zeros(4000, { device }), 0.3);
      expect(Math.abs((await vals(s.mean()))[0]! - 0.3)).toBeLessThan(0.03);
      expect(await vals(torch.zeros(3, { device }).bernoulli_(torch.tensor([0, 1, 1], { dtype: 'float32', device })))).toEqual([0, 1, 1]);
      const i = torch.zeros(3, { dtype: 'int32', device }).bernoulli_(1);
      expect(i.dtype).toBe('int32');
      expect(await vals(i)).toEqual([1, 1, 1]);
    });
    it(`bernoulli's errors are PyTorch's (${device})`, async () => {
      expect(() => torch.bernoulli(torch.zeros(2, { device }), 1.3)).toThrow('bernoulli_ expects p to be in [0, 1], but got p=1.3');
      expect(() => torch.zeros(3, { device }).bernoulli_(1.5)).toThrow('bernoulli_ expects p to be in [0, 1], but got p=1.5');
      expect(() => torch.bernoulli(torch.tensor([1, 0], { device }))).toThrow(`"bernoulli_tensor_cpu_p_" not implemented for 'int32'`);
      await expectError(device, () => torch.bernoulli(torch.tensor([0.5, 1.5], { device })), /Expected p_in >= 0 && p_in <= 1 to be true, but got false/);
    });
  }
});

describe('torch.normal', () => {
  for (const device of testDevices()) {
    it(`tensor/tensor, tensor/float, float/tensor and float/float forms (${device})`, async () => {
      torch.manualSeed(3);
      const mean = torch.tensor([[-2], [5]], { dtype: 'float32', device }).expand(2, 4000).contiguous();
      const std = torch.tensor([[0.5], [2]], { dtype: 'float32', device }).expand(2, 4000).contiguous();
      const a = torch.normal(mean, std);
      expect(a.shape).toEqual([2, 4000]);
      await expectNear(a.mean(1), [-2, 5], 0.1);
      await expectNear(a.std(1), [0.5, 2], 0.1);
      // broadcast together, as PyTorch 1.13
      expect(torch.normal(torch.zeros(2, 3, { device }), torch.ones(3, { device })).shape).toEqual([2, 3]);
      const b = torch.normal(torch.full([4000], 1, { dtype: 'float32', device }), 3);
      await expectNear(b.mean(), [1], 0.2);
      await expectNear(b.std(), [3], 0.15);
      const c = torch.normal(2, torch.full([4000], 0.25, { dtype: 'float32', device }));
      await expectNear(c.mean(), [2], 0.02);
      await expectNear(c.std(), [0.25], 0.02);
      const d = torch.normal(-1, 2, [4000], { device });
      expect(d.dtype).toBe('float32');
      expect(d.device).toBe(device);
      await expectNear(d.mean(), [-1], 0.12);
      await expectNear(d.std(), [2], 0.1);
      expect(torch.normal(0, 1, [2, 2], { device, dtype: 'float16' }).dtype).toBe('float16');
    });
    it(`gradients towards mean and std are zero, as PyTorch's NormalBackward (${device})`, async () => {
      const m = torch.zeros(3, { device, requiresGrad: true }), s = torch.ones(3, { device, requiresGrad: true });
      torch.normal(m, s).sum().backward();
      expect(await vals(m.grad!)).toEqual([0, 0, 0]);
      expect(await vals(s.grad!)).toEqual([0, 0, 0]);
      const m2 = torch.zeros(3, { device, requiresGrad: true });
      torch.normal(m2, 2).sum().backward();
      expect(await vals(m2.grad!)).toEqual([0, 0, 0]);
    });
    it(`errors are PyTorch's (${device})`, async () => {
      expect(() => torch.normal(torch.zeros(3, { device }), -1)).toThrow('normal expects std >= 0.0, but found std -1');
      expect(() => torch.normal(0, -1, [2, 2], { device })).toThrow('normal expects std >= 0.0, but found std -1');
      expect(() => torch.normal(torch.zeros(2, 3, { device }), torch.ones(4, { device }))).toThrow(/normal.*\[2, 3\].*\[4\]|size/);
      expect(() => torch.normal(torch.zeros(3, { dtype: 'int32', device }), 1)).toThrow(`"normal_kernel_cpu" not implemented for 'int32'`);
      await expectError(device, () => torch.normal(torch.zeros(3, { device }), torch.tensor([1, -1, 1], { dtype: 'float32', device })), /normal expects all elements of std >= 0.0/);
    });
  }
});

describe('torch.dist', () => {
  // PyTorch 1.13: a = torch.arange(6.).sin().reshape(2,3), b = torch.arange(3.).cos(), torch.dist(a, b, p)
  // and the gradients of the 0-d result.
  const ref: [number, number, number[] | null, number[] | null][] = [
    [2, 2.358446, [-0.424008, 0.127698, 0.561999, -0.364172, -0.549983, -0.230142], [0.78818, 0.422285, -0.331857]],
    [1, 5.325375, [-1, 1, 1, -1, -1, -1], [2, 0, 0]],
    [3, 1.850007, [-0.292182, 0.026502, 0.513306, -0.215535, -0.49159, -0.086079], [0.507717, 0.465089, -0.427227]],
    [0, 6, null, null],
    [Infinity, 1.325444, [0, 0, 1, 0, 0, 0], [0, 0, -1]],
    [-Infinity, 0.301169, [0, 1, 0, 0, 0, 0], [0, -1, 0]],
    [0.5, 30.277119, [-5.502465, 10.02657, 4.779435, -5.937328, -4.831364, -7.468724], [11.439793, -5.195206, 2.689289]],
  ];
  for (const device of testDevices()) {
    it(`values and gradients match PyTorch for p = 2, 1, 3, 0, inf, -inf, 0.5 (${device})`, async () => {
      for (const [p, v, ga, gb] of ref) {
        const a = torch.arange(6, { device }).sin().reshape(2, 3).requiresGrad_();
        const b = torch.arange(3, { device }).cos().requiresGrad_();
        const d = p === 2 ? torch.dist(a, b) : a.dist(b, p);
        expect(d.shape).toEqual([]);
        await expectNear(d, [v], 2e-5 * Math.max(1, v));
        if (ga) {
          d.backward();
          await expectNear(a.grad!, ga, 1e-4);
          await expectNear(b.grad!, gb!, 1e-4);
        }
      }
      // PyTorch: the gradient of dist at a == b is 0, not NaN.
      const z = torch.ones(3, { device, requiresGrad: true });
      torch.dist(z, torch.ones(3, { device })).backward();
      expect(await vals(z.grad!)).toEqual([0, 0, 0]);
      expect(torch.dist(torch.zeros(3, { dtype: 'int32', device }), torch.ones(3, { device })).dtype).toBe('float32');
      expect(() => torch.dist(torch.zeros(3, { device }), torch.ones(2, { device }))).toThrow(/\[3\].*\[2\]|size/);
    });
  }
});

// ---------------------------------------------------------------- 3. scatterReduce, scatter reduce

describe('scatterReduce', () => {
  // PyTorch 1.13:
  //   x = torch.arange(12.).sin().reshape(3,4); src = torch.arange(8.).cos().reshape(2,4)
  //   idx = torch.tensor([[0,2,0,1],[0,2,2,1]]); w = torch.arange(12.).reshape(3,4).add(1).mul(0.1)
  //   o = x.scatter_reduce(0, idx, src, reduce, include_self=inc); (o*w).sum().backward()
  const ref: Record<string, { out: number[]; gx: number[]; gs: number[] }> = {
    sum_true: { out: [0.346356, 0.841471, 0.493151, 0.14112, -0.756802, -0.958924, -0.279415, 0.420896, 0.989358, 1.236083, 0.416149, -0.99999], gx: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2], gs: [0.1, 1.0, 0.3, 0.8, 0.1, 1.0, 1.1, 0.8] },
    sum_false: { out: [0.346356, 0.841471, -0.416147, 0.14112, -0.756802, -0.958924, -0.279415, -0.23609, 0.989358, 0.823965, 0.96017, -0.99999], gx: [0.0, 0.2, 0.0, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 0.0, 1.2], gs: [0.1, 1.0, 0.3, 0.8, 0.1, 1.0, 1.1, 0.8] },
    prod_true: { out: [-0.0, 0.841471, -0.378401, 0.14112, -0.756802, -0.958924, -0.279415, -0.490347, 0.989358, 0.063163, -0.522353, -0.99999], gx: [-0.065364, 0.2, -0.124844, 0.4, 0.5, 0.6, 0.7, -0.597086, 0.9, 0.153263, 1.056187, 1.2], gs: [-0.0, 0.116902, 0.272789, 0.396243, 0.0, 0.222669, -0.598423, -0.520329] },
    prod_false: { out: [-0.653644, 0.841471, -0.416147, 0.14112, -0.756802, -0.958924, -0.279415, -0.746358, 0.989358, 0.153263, 0.96017, -0.99999], gx: [0.0, 0.2, 0.0, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 0.0, 1.2], gs: [-0.065364, 0.283662, 0.3, 0.603122, 0.1, 0.540302, 1.1, -0.791994] },
    mean_true: { out: [0.115452, 0.841471, 0.246575, 0.14112, -0.756802, -0.958924, -0.279415, 0.140299, 0.989358, 0.412028, 0.208075, -0.99999], gx: [0.033333, 0.2, 0.15, 0.4, 0.5, 0.6, 0.7, 0.266667, 0.9, 0.333333, 0.55, 1.2], gs: [0.033333, 0.333333, 0.15, 0.266667, 0.033333, 0.333333, 0.55, 0.266667] },
    mean_false: { out: [0.173178, 0.841471, -0.416147, 0.14112, -0.756802, -0.958924, -0.279415, -0.118045, 0.989358, 0.411982, 0.96017, -0.99999], gx: [0.0, 0.2, 0.0, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 0.0, 1.2], gs: [0.05, 0.5, 0.3, 0.4, 0.05, 0.5, 1.1, 0.4] },
    amax_true: { out: [1.0, 0.841471, 0.909297, 0.14112, -0.756802, -0.958924, -0.279415, 0.753902, 0.989358, 0.540302, 0.96017, -0.99999], gx: [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 0.0, 1.2], gs: [0.1, 1.0, 0.0, 0.0, 0.0, 0.0, 1.1, 0.8] },
    amax_false: { out: [1.0, 0.841471, -0.416147, 0.14112, -0.756802, -0.958924, -0.279415, 0.753902, 0.989358, 0.540302, 0.96017, -0.99999], gx: [0.0, 0.2, 0.0, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 0.0, 1.2], gs: [0.1, 1.0, 0.3, 0.0, 0.0, 0.0, 1.1, 0.8] },
    amin_true: { out: [-0.653644, 0.841471, -0.416147, 0.14112, -0.756802, -0.958924, -0.279415, -0.989992, 0.989358, 0.283662, -0.544021, -0.99999], gx: [0.0, 0.2, 0.0, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 1.1, 1.2], gs: [0.0, 0.0, 0.3, 0.8, 0.1, 1.0, 0.0, 0.0] },
    amin_false: { out: [-0.653644, 0.841471, -0.416147, 0.14112, -0.756802, -0.958924, -0.279415, -0.989992, 0.989358, 0.283662, 0.96017, -0.99999], gx: [0.0, 0.2, 0.0, 0.4, 0.5, 0.6, 0.7, 0.0, 0.9, 0.0, 0.0, 1.2], gs: [0.0, 0.0, 0.3, 0.8, 0.1, 1.0, 1.1, 0.0] },
  };
  // PyTorch 1.13 with ties and zeros: x = torch.tensor([2., 0, 5]); src = torch.tensor([2., 2, 5, 1, 0])
  //   idx = torch.tensor([0,0,2,2,1]); o = x.scatter_reduce(0, idx, src, reduce, include_self=inc)
  //   (o*torch.tensor([1.,2,3])).sum().backward()
  const ties: Record<string, { out: number[]; gx: number[]; gs: number[] }> = {
    amax_true: { out: [2.0, 0.0, 5.0], gx: [0.333333, 1.0, 1.5], gs: [0.333333, 0.333333, 1.5, 0.0, 1.0] },
    amax_false: { out: [2.0, 0.0, 5.0], gx: [0.0, 0.0, 0.0], gs: [0.333333, 0.333333, 1.5, 0.0, 1.0] },
    amin_true: { out: [2.0, 0.0, 1.0], gx: [0.333333, 1.0, 0.0], gs: [0.333333, 0.333333, 0.0, 3.0, 1.0] },
    amin_false: { out: [2.0, 0.0, 1.0], gx: [0.0, 0.0, 0.0], gs: [0.333333, 0.333333, 0.0, 3.0, 1.0] },
    prod_true: { out: [8.0, 0.0, 25.0], gx: [4.0, 0.0, 15.0], gs: [4.0, 4.0, 15.0, 75.0, 0.0] },
    prod_false: { out: [4.0, 0.0, 5.0], gx: [0.0, 0.0, 0.0], gs: [2.0, 2.0, 3.0, 15.0, 2.0] },
    mean_true: { out: [2.0, 0.0, 3.666667], gx: [0.333333, 1.0, 1.0], gs: [0.333333, 0.333333, 1.0, 1.0, 1.0] },
    mean_false: { out: [2.0, 0.0, 3.0], gx: [0.0, 0.0, 0.0], gs: [0.5, 0.5, 1.5, 1.5, 2.0] },
  };
  for (const device of testDevices()) {
    it(`sum, prod, mean, amax, amin with and without includeSelf: values and gradients match PyTorch (${device})`, async () => {
      for (const [key, r] of Object.entries(ref)) {
        const [reduce, inc] = key.split('_') as [torch.ScatterReduceOp, string];
        const x = torch.arange(12, { dtype: 'float32', device }).sin().reshape(3, 4).requiresGrad_();
        const src = torch.arange(8, { dtype: 'float32', device }).cos().reshape(2, 4).requiresGrad_();
        const idx = torch.tensor([[0, 2, 0, 1], [0, 2, 2, 1]], { device });
        const o = inc === 'true' && reduce === 'sum' ? x.scatterReduce(0, idx, src, reduce) : torch.scatterReduce(x, 0, idx, src, reduce, { includeSelf: inc === 'true' });
        await expectNear(o, r.out);
        o.mul(torch.arange(12, { dtype: 'float32', device }).reshape(3, 4).add(1).mul(0.1)).sum().backward();
        await expectNear(x.grad!, r.gx);
        await expectNear(src.grad!, r.gs);
      }
    });
    it(`ties share amax/amin gradients evenly; prod's gradient through zeros (${device})`, async () => {
      for (const [key, r] of Object.entries(ties)) {
        const [reduce, inc] = key.split('_') as [torch.ScatterReduceOp, string];
        const x = torch.tensor([2, 0, 5], { dtype: 'float32', device, requiresGrad: true });
        const src = torch.tensor([2, 2, 5, 1, 0], { dtype: 'float32', device, requiresGrad: true });
        const o = x.scatterReduce(0, torch.tensor([0, 0, 2, 2, 1], { device }), src, reduce, { includeSelf: inc === 'true' });
        await expectNear(o, r.out);
        o.mul(torch.tensor([1, 2, 3], { dtype: 'float32', device })).sum().backward();
        await expectNear(x.grad!, r.gx, 1e-5);
        await expectNear(src.grad!, r.gs, 1e-5);
      }
    });
    it(`dim 1, src larger than index, integer mean (floor) and integer amin (${device})`, async () => {
      // PyTorch 1.13: x = torch.arange(6.).cos().reshape(2,3); s = torch.arange(9.).sin().reshape(3,3)
      //   x.scatter_reduce(1, torch.tensor([[2,0],[1,1]]), s, 'amax')
      const x = torch.arange(6, { dtype: 'float32', device }).cos().reshape(2, 3);
      const s = torch.arange(9, { dtype: 'float32', device }).sin().reshape(3, 3);
      await expectNear(x.scatterReduce(1, torch.tensor([[2, 0], [1, 1]], { device }), s, 'amax'), [1.0, 0.540302, 0.0, -0.989992, 0.14112, 0.283662]);
      // PyTorch 1.13 (int64): xi = torch.tensor([[0,5,-7],[3,2,1]]); i = torch.tensor([[0,0,2],[2,2,2]])
      //   s = torch.tensor([[1,-4,2],[6,7,-9]]); xi.scatter_reduce(1, i, s, 'mean') -> [[-1,5,-3],[3,2,1]]
      //   xi.scatter_reduce(1, i, s, 'amin', include_self=False) -> [[-4,5,2],[3,2,-9]]
      const xi = torch.tensor([[0, 5, -7], [3, 2, 1]], { device }), ii = torch.tensor([[0, 0, 2], [2, 2, 2]], { device });
      const si = torch.tensor([[1, -4, 2], [6, 7, -9]], { device });
      const mean = xi.scatterReduce(1, ii, si, 'mean');
      expect(mean.dtype).toBe('int32');
      expect(await vals(mean)).toEqual([-1, 5, -3, 3, 2, 1]);
      expect(await vals(xi.scatterReduce(1, ii, si, 'amin', { includeSelf: false }))).toEqual([-4, 5, 2, 3, 2, -9]);
      // amax without self, by hand: row 0 max(1, -4) at 0 and 2 at 2; row 1 max(6, 7, -9) at 2.
      expect(await vals(xi.scatterReduce(1, ii, si, 'amax', { includeSelf: false }))).toEqual([1, 5, 2, 3, 2, 7]);
      // in place, and an empty index leaves self as it is
      const y = torch.zeros(3, { device });
      y.scatterReduce_(0, torch.tensor([1, 1], { device }), torch.tensor([2, 3], { dtype: 'float32', device }), 'sum');
      expect(await vals(y)).toEqual([0, 5, 0]);
      expect(await vals(y.scatterReduce(0, torch.zeros(0, { dtype: 'int32', device }), torch.zeros(0, { device }), 'prod'))).toEqual([0, 5, 0]);
    });
    it(`scatter(..., { reduce: 'multiply' | 'add' }) (${device})`, async () => {
      // PyTorch 1.13: torch.arange(1., 7).reshape(2,3).scatter(0, torch.tensor([[1,0,1]]), torch.tensor([[2.,3,4]]), reduce='multiply')
      //   and .scatter(1, torch.tensor([[1,1],[2,0]]), 1.5, reduce='multiply'); 2.0 with reduce='add' along dim 0 of [[0,1,0],[1,1,0]]
      const a = torch.arange(1, 7, { dtype: 'float32', device }).reshape(2, 3);
      await expectNear(a.scatter(0, torch.tensor([[1, 0, 1]], { device }), torch.tensor([[2, 3, 4]], { dtype: 'float32', device }), { reduce: 'multiply' }), [1, 6, 3, 8, 5, 24]);
      await expectNear(a.scatter(1, torch.tensor([[1, 1], [2, 0]], { device }), 1.5, { reduce: 'multiply' }), [1, 4.5, 3, 6, 5, 9]);
      const b = torch.arange(6, { dtype: 'float32', device }).reshape(2, 3);
      await expectNear(torch.scatter(b, 0, torch.tensor([[0, 1, 0], [1, 1, 0]], { device }), 2, { reduce: 'add' }), [2, 1, 6, 5, 8, 5]);
      const c = a.clone();
      c.scatter_(0, torch.tensor([[1, 0, 1]], { device }), torch.tensor([[2, 3, 4]], { dtype: 'float32', device }), { reduce: 'multiply' });
      await expectNear(c, [1, 6, 3, 8, 5, 24]);
    });
    it(`errors are PyTorch's (${device})`, async () => {
      const x = torch.arange(6, { dtype: 'float32', device }).reshape(2, 3);
      const idx = torch.tensor([[0, 1, 0]], { device }), src = torch.ones(1, 3, { device });
      expect(() => x.scatterReduce(0, idx, src, 'max' as torch.ScatterReduceOp)).toThrow('reduce argument must be either sum, prod, mean, amax or amin');
      expect(() => x.scatter(0, idx, src, { reduce: 'mean' as 'add' })).toThrow('reduce argument must be either add or multiply');
      expect(() => x.scatterReduce(0, idx, src.to('int32'), 'sum')).toThrow(/Expected self.dtype to be equal to src.dtype/);
      expect(() => x.scatterReduce(0, idx.float(), src, 'sum')).toThrow(/Expected dtype int32 for index/);
      await expectError(device, () => x.scatterReduce(0, torch.tensor([[2, 0, 0]], { device }), src, 'amax'), /index 2 is out of bounds for dimension 0 with size 2/);
      await expectError(device, () => x.scatterReduce(0, torch.tensor([[-1, 0, 0]], { device }), src, 'sum'), /index -1 is out of bounds for dimension 0 with size 2/);
    });
  }
});

// ---------------------------------------------------------------- 4. indexCopy, isin, histc

describe('indexCopy', () => {
  for (const device of testDevices()) {
    it(`values and gradients match PyTorch; indexCopy_ in place (${device})`, async () => {
      // PyTorch 1.13: x = torch.arange(12.).sin().reshape(3,4); s = torch.arange(6.).cos().reshape(3,2)
      //   o = x.index_copy(1, torch.tensor([3, 0]), s); (o * torch.arange(12.).reshape(3,4)).sum().backward()
      const x = torch.arange(12, { dtype: 'float32', device }).sin().reshape(3, 4).requiresGrad_();
      const s = torch.arange(6, { dtype: 'float32', device }).cos().reshape(3, 2).requiresGrad_();
      const o = torch.indexCopy(x, 1, torch.tensor([3, 0], { device }), s);
      await expectNear(o, [0.540302, 0.841471, 0.909297, 1.0, -0.989992, -0.958924, -0.279415, -0.416147, 0.283662, 0.412118, -0.544021, -0.653644]);
      o.mul(torch.arange(12, { dtype: 'float32', device }).reshape(3, 4)).sum().backward();
      await expectNear(x.grad!, [0, 1, 2, 0, 0, 5, 6, 0, 0, 9, 10, 0]);
      await expectNear(s.grad!, [3, 0, 7, 4, 11, 8]);
      // PyTorch 1.13: torch.zeros(3).index_copy(0, torch.tensor(1), torch.tensor(5.)) -> [0, 5, 0]; a 0-d self too.
      const y = torch.zeros(3, { device });
      expect(y.indexCopy_(0, torch.tensor(1, { device }), torch.tensor(5, { dtype: 'float32', device }))).toBe(y);
      expect(await vals(y)).toEqual([0, 5, 0]);
      expect(await vals(torch.tensor(2, { dtype: 'float32', device }).indexCopy(0, torch.tensor([0], { device }), torch.tensor(5, { dtype: 'float32', device })))).toEqual([5]);
    });
    it(`errors are PyTorch's (${device})`, async () => {
      const z = torch.zeros(3, 4, { device }), i = torch.tensor([3, 0], { device });
      expect(() => z.indexCopy(1, i, torch.ones(3, 3, { device }))).toThrow('index_copy_(): Number of indices (2) should be equal to source.size(dim) (3)');
      expect(() => z.indexCopy(1, i, torch.ones(2, 2, { device }))).toThrow(/index_copy_\(\): Source\/destination tensor must have same slice shapes/);
      expect(() => z.indexCopy(1, torch.tensor([[3, 0]], { device }), torch.ones(3, 2, { device }))).toThrow('index_copy_(): Index should have dimension 1 or 0 (got 2)');
      expect(() => z.indexCopy(1, i, torch.ones(3, 2, { dtype: 'float16', device }))).toThrow('index_copy_(): self and source expected to have the same dtype, but got (self) float32 and (source) float16');
      await expectError(device, () => z.indexCopy(1, torch.tensor([4, 0], { device }), torch.ones(3, 2, { device })), /index_copy_\(\): index 4 is out of bounds for dimension 1 with size 4/);
      await expectError(device, () => z.indexCopy(1, torch.tensor([-1, 0], { device }), torch.ones(3, 2, { device })), /index_copy_\(\): index -1 is out of bounds for dimension 1 with size 4/);
    });
  }
});

describe('torch.isin', () => {
  for (const device of testDevices()) {
    it(`membership with invert, scalars, promotion and NaN as PyTorch (${device})`, async () => {
      const e = torch.tensor([[1, 2, 3], [4, 5, 6]], { device });
      // PyTorch 1.13: torch.isin(e, torch.tensor([2, 3, 9])) and invert=True; isin(e, 3); isin(4, e)
      const r = torch.isin(e, torch.tensor([2, 3, 9], { device }));
      expect(r.dtype).toBe('bool');
      expect(await r.tolist()).toEqual([[false, true, true], [false, false, false]]);
      expect(await torch.isin(e, torch.tensor([9, 3, 2], { device }), { invert: true }).tolist()).toEqual([[true, false, false], [true, true, true]]);
      expect(await torch.isin(e, 3).tolist()).toEqual([[false, false, true], [false, false, false]]);
      const s = torch.isin(4, e);
      expect(s.shape).toEqual([]);
      expect(await s.item()).toBe(true);
      // PyTorch 1.13: isin([1.5, nan, 2.0], [2, 1]) -> [F, F, T]; isin([1.5, nan, 2.0], [nan, 1.5]) -> [T, F, F];
      //   isin([1, 2], [1.0, 2.5]) -> [T, F]; isin([1, 2], empty) -> [F, F]
      const f = torch.tensor([1.5, NaN, 2.0], { device });
      expect(await torch.isin(f, torch.tensor([2, 1], { device })).tolist()).toEqual([false, false, true]);
      expect(await torch.isin(f, torch.tensor([NaN, 1.5], { device })).tolist()).toEqual([true, false, false]);
      expect(await torch.isin(torch.tensor([1, 2], { device }), torch.tensor([1.0, 2.5], { device })).tolist()).toEqual([true, false]);
      expect(await torch.isin(torch.tensor([1, 2], { device }), torch.zeros(0, { dtype: 'int32', device })).tolist()).toEqual([false, false]);
      // many elements against many test values (the binary search's bounds): independent math, i % 7 in {0, 3, 6} for odd/even tests
      const big = torch.arange(200, { device }).remainder(7);
      const got = await vals(torch.isin(big, torch.tensor([6, 0, 3, 3], { device })));
      got.forEach((v, i) => expect(v).toBe([0, 3, 6].includes(i % 7) ? 1 : 0));
      expect(() => torch.isin(torch.tensor([true, false], { device }), torch.tensor([1], { device }))).toThrow('Unsupported input type encountered for isin(): bool');
    });
  }
});

describe('torch.histc', () => {
  for (const device of testDevices()) {
    it(`counts match PyTorch, with the data's range or a given one (${device})`, async () => {
      const h = torch.arange(20, { dtype: 'float32', device }).sin();
      // PyTorch 1.13: h = torch.arange(20.).sin(); torch.histc(h, 5) -> [5, 4, 3, 2, 6]
      //   torch.histc(h, 4, -0.5, 0.5) -> [2, 0, 3, 2]; torch.histc(torch.tensor([1., 2, 1]), bins=4, min=0, max=3) -> [0, 2, 1, 0]
      //   torch.histc(torch.tensor([2., 2, 2]), 4) -> [0, 0, 3, 0]; torch.histc(torch.tensor([0., 1, 2, 3]), 3, 0, 3) -> [1, 1, 2]
      const a = torch.histc(h, 5);
      expect(a.dtype).toBe('float32');
      expect(await vals(a)).toEqual([5, 4, 3, 2, 6]);
      expect(await vals(h.histc(4, -0.5, 0.5))).toEqual([2, 0, 3, 2]);
      expect(await vals(torch.histc(torch.tensor([1, 2, 1], { dtype: 'float32', device }), { bins: 4, min: 0, max: 3 }))).toEqual([0, 2, 1, 0]);
      expect(await vals(torch.histc(torch.tensor([2, 2, 2], { dtype: 'float32', device }), 4))).toEqual([0, 0, 3, 0]);
      expect(await vals(torch.histc(torch.tensor([0, 1, 2, 3], { dtype: 'float32', device }), 3, 0, 3))).toEqual([1, 1, 2]);
      expect(await vals(torch.histc(torch.zeros(0, { device }), 4))).toEqual([0, 0, 0, 0]);
      const d = torch.histc(torch.rand(1000, { device }));
      expect(d.shape).toEqual([100]);
      expect((await vals(d.sum()))[0]).toBe(1000);
    });
    it(`errors are PyTorch's (${device})`, async () => {
      expect(() => torch.histc(torch.tensor([1, 2, 1], { device }), 4)).toThrow(`"histogram_cpu" not implemented for 'int32'`);
      expect(() => torch.histc(torch.tensor([1, 2], { dtype: 'float32', device }), 0)).toThrow('torch.histogram(): bins must be > 0, but got 0 for dimension 0');
      expect(() => torch.histc(torch.tensor([1, 2], { dtype: 'float32', device }), 4, 3, 1)).toThrow('torch.histc: max must be larger than min');
      await expectError(device, () => torch.histc(torch.tensor([1, Infinity], { device }), 4), /torch.histc: range of \[.*\] is not finite/);
    });
  }
});

// ---------------------------------------------------------------- 5. nonzero({ asTuple }), cumsum/cumprod { dtype }

describe('nonzero({ asTuple: true })', () => {
  for (const device of testDevices()) {
    it(`one int32 index tensor per dim, as PyTorch's as_tuple=True (${device})`, async () => {
      // PyTorch 1.13: torch.nonzero(torch.tensor([[0, 1.5, 0], [2, 0, nan]]), as_tuple=True) -> ([0, 1, 1], [1, 0, 2])
      const x = torch.tensor([[0, 1.5, 0], [2, 0, NaN]], { device });
      const t = isSynchronous(device) ? torch.nonzero(x, { asTuple: true }) : await torch.nonzeroAsync(x, { asTuple: true });
      expect(t.length).toBe(2);
      expect(t.map((r) => r.dtype)).toEqual(['int32', 'int32']);
      expect(await vals(t[0]!)).toEqual([0, 1, 1]);
      expect(await vals(t[1]!)).toEqual([1, 0, 2]);
      // PyTorch 1.13: a 0-d input counts as 1-d: (tensor([0]),) and (tensor([]),)
      const s = await x.nonzeroAsync({ asTuple: true });
      expect(s.length).toBe(2);
      const z = await torch.tensor(3, { dtype: 'float32', device }).nonzeroAsync({ asTuple: true });
      expect(z.length).toBe(1);
      expect(await vals(z[0]!)).toEqual([0]);
      const e = await torch.zeros(2, 0, { device }).nonzeroAsync({ asTuple: true });
      expect(e.map((r) => r.shape)).toEqual([[0], [0]]);
      // The usual use: indexing with the tuple.
      expect(await vals(x.index(...t))).toEqual([1.5, 2, NaN]);
      if (isSynchronous(device)) {
        expect(x.nonzero({ asTuple: false }).shape).toEqual([3, 2]);
        expect(torch.nonzero(torch.tensor(0, { dtype: 'float32', device }), { asTuple: true })[0]!.shape).toEqual([0]);
      }
    });
  }
});

describe('cumsum/cumprod { dtype }', () => {
  for (const device of testDevices()) {
    it(`casts the input first; the gradient comes back in the input's dtype (${device})`, async () => {
      // PyTorch 1.13: x = torch.arange(6).reshape(2,3); torch.cumsum(x, 1, dtype=torch.float32) -> [[0,1,3],[3,7,12]]
      //   torch.cumsum(torch.tensor([1.5, 2.7]), 0, dtype=torch.int32) -> [1, 3]
      const x = torch.arange(6, { device }).reshape(2, 3);
      const c = torch.cumsum(x, 1, { dtype: 'float32' });
      expect(c.dtype).toBe('float32');
      expect(await vals(c)).toEqual([0, 1, 3, 3, 7, 12]);
      expect(await vals(torch.tensor([1.5, 2.7], { device }).cumsum(0, { dtype: 'int32' }))).toEqual([1, 3]);
      // PyTorch 1.13: torch.cumprod(x.add(1), 0, dtype=torch.float32) -> [[1,2,3],[4,10,18]]
      const p = x.add(1).cumprod(0, { dtype: 'float32' });
      expect(p.dtype).toBe('float32');
      expect(await vals(p)).toEqual([1, 2, 3, 4, 10, 18]);
      // PyTorch 1.13: a = torch.arange(1., 7).reshape(2,3).sin() (float32, requires grad)
      //   y = torch.cumprod(a, 1, dtype=torch.float64); (y*torch.arange(6.).reshape(2,3)).sum().backward()
      //   -> a.grad [[1.165938, 1.078968, 1.530295], [0.503994, -1.969898, 3.628582]] (float32)
      // WebGPU has no float64: float16 there (hence the tolerance).
      const dtype = device === 'webgpu' ? 'float16' : 'float64';
      const a = torch.arange(1, 7, { dtype: 'float32', device }).reshape(2, 3).sin().requiresGrad_();
      const y = torch.cumprod(a, 1, { dtype });
      expect(y.dtype).toBe(dtype);
      y.to('float32').mul(torch.arange(6, { dtype: 'float32', device }).reshape(2, 3)).sum().backward();
      expect(a.grad!.dtype).toBe('float32');
      await expectNear(a.grad!, [1.165938, 1.078968, 1.530295, 0.503994, -1.969898, 3.628582], dtype === 'float16' ? 2e-2 : 1e-5);
    });
  }
});
