// torch.autocast against PyTorch (test/fixtures/amp.json from amp_fixtures.py: CUDA autocast's casts
// done by hand in PyTorch 1.13): per op list, the output dtype exactly, values and the gradients that
// reach float32 inputs (parameters) through the casts, on every device. Where float16 rounding enters
// (the float16 list, float16 gradients) the tolerance is a few float16 ulps: torchlet rounds after each
// primitive (a linear's matmul, then its bias add) where CUDA's fused kernels round once.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch, testDevices, fromEncoded, expectClose, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

interface AmpCase { inputs: Encoded[]; out: Encoded; gout?: Encoded; grads?: (Encoded | null)[] }
const fx = JSON.parse(readFileSync(new URL('../fixtures/amp.json', import.meta.url), 'utf8')) as { cases: Record<string, AmpCase> };
const F = torch.nn.functional;

type Impl = (...xs: Tensor[]) => Tensor;
const IMPLS: Record<string, Impl> = {
  // float16 list
  matmul: (a, b) => torch.matmul(a!, b!),
  mm: (a, b) => a!.mm(b!),
  bmm: (a, b) => torch.bmm(a!, b!),
  addmm: (c, a, b) => torch.addmm(c!, a!, b!),
  baddbmm: (c, a, b) => torch.baddbmm(c!, a!, b!),
  einsum: (a, b) => torch.einsum('ij,jk->ik', a!, b!),
  linear: (x, w, b) => F.linear(x!, w!, b!),
  conv2d: (x, w, b) => F.conv2d(x!, w!, b!, { padding: 1 }),
  conv1d: (x, w, b) => F.conv1d(x!, w!, b!),
  sdpa: (q, k, v) => F.scaledDotProductAttention(q!, k!, v!),
  matmul_f16_in: (a, b) => a!.matmul(b!),
  // float32 list
  softmax: (x) => x!.softmax(-1),
  logSoftmax: (x) => F.logSoftmax(x!, 1),
  exp: (x) => x!.exp(),
  log: (x) => torch.log(x!),
  pow: (x) => x!.pow(2.5),
  sum: (x) => x!.sum(),
  sum_dim: (x) => torch.sum(x!, 1),
  sum_dtype_f16: (x) => x!.sum(1, false, { dtype: 'float16' }),
  prod: (x) => x!.prod(1),
  cumsum: (x) => x!.cumsum(1),
  logsumexp: (x) => x!.logsumexp(1),
  layerNorm: (x, w, b) => F.layerNorm(x!, [4], w!, b!),
  groupNorm: (x, w, b) => F.groupNorm(x!, 2, w!, b!),
  batchNorm: (x, w, b) => F.batchNorm(x!, null, null, w!, b!, { training: true }),
  mseLoss: (x, t) => F.mseLoss(x!, t!),
  crossEntropy: (x, t) => F.crossEntropy(x!, t!),
  // promote list
  cat: (p, q) => torch.cat([p!, q!]),
  stack: (p, q) => torch.stack([p!, q!]),
  cat_f16: (p, q) => torch.cat([p!, q!]),
  addcmul: (s, p, q) => torch.addcmul(s!, p!, q!, { value: 0.5 }),
  // in no list
  add_mixed: (p, q) => p!.add(q!),
  relu_f16: (p) => p!.relu(),
};

const F16_TOL = { atol: 2e-2, rtol: 1e-2 };
const F32_TOL = { atol: 1e-4, rtol: 1e-4 };

describe('torch.autocast: PyTorch op lists', () => {
  it('every fixture case has an implementation and the other way round', () => {
    expect(Object.keys(IMPLS).sort()).toEqual(Object.keys(fx.cases).sort());
  });
  for (const device of testDevices()) {
    for (const [name, c] of Object.entries(fx.cases)) {
      it(`${name} on ${device}`, async () => {
        const xs = c.inputs.map((e) => fromEncoded(e, device, !!e.grad));
        const out = torch.autocast({ deviceType: device }, () => IMPLS[name]!(...xs));
        // float16 enters where an input or the output is float16: tolerance of a few float16 ulps
        const lossy = out.dtype === 'float16' || c.inputs.some((e) => e.dtype === 'float16');
        await expectClose(out, c.out, lossy && out.dtype === 'float16' ? F16_TOL : F32_TOL, `${name} output`);
        if (!c.grads) return;
        out.to('float32').mul(fromEncoded(c.gout!, device)).sum().backward();
        for (let i = 0; i < xs.length; i++) {
          const g = c.grads[i];
          if (!g) continue;
          expect(xs[i]!.grad, `${name}: gradient of input ${i}`).not.toBeNull();
          // A float32 input's gradient is float32: it reached the parameter through the cast.
          await expectClose(xs[i]!.grad!, g, lossy ? F16_TOL : F32_TOL, `${name} grad ${i}`);
        }
      });
    }
  }
});

// Every op of the lists, on inputs of the other precision (float32 for the float16 list, float16 for
// the float32 list, mixed for promote): the result dtype is the one PyTorch's list gives.
describe('torch.autocast: every listed op runs and gives its list dtype', () => {
  for (const device of testDevices()) {
    it(`on ${device}`, async () => {
      torch.manualSeed(0);
      const r = (...s: number[]) => torch.randn(s, { device }), h = (...s: number[]) => r(...s).half();
      const pos = (...s: number[]) => r(...s).abs().add(0.5).half();
      const idx = torch.tensor([0, 2], { device }), tgt = torch.tensor([1, 0, 2], { device });
      const LOWER: Record<string, () => Tensor> = {
        matmul: () => r(2, 3).matmul(r(3, 2)), mm: () => torch.mm(r(2, 3), r(3, 2)), bmm: () => torch.bmm(r(1, 2, 3), r(1, 3, 2)),
        mv: () => torch.mv(r(2, 3), r(3)), addmm: () => torch.addmm(r(2, 2), r(2, 3), r(3, 2)),
        baddbmm: () => torch.baddbmm(r(1, 2, 2), r(1, 2, 3), r(1, 3, 2)), addbmm: () => torch.addbmm(r(2, 2), r(1, 2, 3), r(1, 3, 2)),
        addmv: () => torch.addmv(r(2), r(2, 3), r(3)), addr: () => torch.addr(r(2, 3), r(2), r(3)),
        einsum: () => torch.einsum('ij,jk,kl->il', r(2, 3), r(3, 2), r(2, 2)), linear: () => F.linear(r(2, 3), r(4, 3), r(4)),
        conv1d: () => F.conv1d(r(1, 2, 5), r(3, 2, 3)), conv2d: () => F.conv2d(r(1, 2, 4, 4), r(3, 2, 3, 3), r(3)),
        conv3d: () => F.conv3d(r(1, 1, 3, 3, 3), r(2, 1, 2, 2, 2)),
        convTranspose1d: () => F.convTranspose1d(r(1, 2, 4), r(2, 3, 3)), convTranspose2d: () => F.convTranspose2d(r(1, 2, 3, 3), r(2, 3, 2, 2)),
        convTranspose3d: () => F.convTranspose3d(r(1, 1, 2, 2, 2), r(1, 2, 2, 2, 2)),
        prelu: () => F.prelu(r(2, 3), r(1)),
        sdpa: () => F.scaledDotProductAttention(r(1, 2, 4), r(1, 3, 4), r(1, 3, 4)),
        sdpaCausalMask: () => F.scaledDotProductAttention(r(1, 3, 4), r(1, 3, 4), r(1, 3, 4), { isCausal: true }),
        sdpaFloatMask: () => F.scaledDotProductAttention(r(1, 2, 4), r(1, 3, 4), r(1, 3, 4), { attnMask: r(2, 3) }),
      };
      const FP32: Record<string, () => Tensor> = {
        acos: () => h(3).mul(0.5).acos(), asin: () => h(3).mul(0.5).asin(), cosh: () => h(3).cosh(), erfinv: () => h(3).mul(0.5).erfinv(),
        exp: () => h(3).exp(), expm1: () => h(3).expm1(), log: () => pos(3).log(), log10: () => pos(3).log10(), log2: () => pos(3).log2(),
        log1p: () => pos(3).log1p(), reciprocal: () => pos(3).reciprocal(), rsqrt: () => pos(3).rsqrt(), sinh: () => h(3).sinh(),
        tan: () => h(3).tan(), pow: () => pos(3).pow(2), powTensor: () => torch.pow(pos(3), h(3)), norm: () => h(3).norm(),
        logsumexp: () => h(2, 3).logsumexp(1), cdist: () => torch.cdist(h(2, 3), h(2, 3)),
        sum: () => h(3).sum(), prod: () => h(3).prod(), cumsum: () => h(3).cumsum(0), cumprod: () => h(3).cumprod(0),
        softmax: () => F.softmax(h(2, 3), 1), logSoftmax: () => h(2, 3).logSoftmax(1), softmin: () => F.softmin(h(2, 3), 1),
        softplus: () => F.softplus(h(3)), layerNorm: () => F.layerNorm(h(2, 3), [3]), groupNorm: () => F.groupNorm(h(2, 4, 2), 2),
        batchNorm: () => F.batchNorm(h(4, 3), null, null, null, null, { training: true }),
        instanceNorm: () => F.instanceNorm(h(1, 2, 4)), rmsNorm: () => F.rmsNorm(h(2, 3), [3]),
        cosineSimilarity: () => F.cosineSimilarity(h(2, 3), h(2, 3)), pdist: () => F.pdist(h(3, 2)),
        nllLoss: () => F.nllLoss(h(3, 3), tgt), crossEntropy: () => F.crossEntropy(h(3, 3), tgt), mseLoss: () => F.mseLoss(h(3), r(3)),
        l1Loss: () => F.l1Loss(h(3), h(3)), smoothL1Loss: () => F.smoothL1Loss(h(3), h(3)), huberLoss: () => F.huberLoss(h(3), h(3)),
        bceWithLogits: () => F.binaryCrossEntropyWithLogits(h(3), r(3).sigmoid()), klDiv: () => F.klDiv(h(3), pos(3)),
        marginRankingLoss: () => F.marginRankingLoss(h(3), h(3), r(3).sign()), hingeEmbeddingLoss: () => F.hingeEmbeddingLoss(h(3), r(3).sign()),
        softMarginLoss: () => F.softMarginLoss(h(3), r(3).sign()), cosineEmbeddingLoss: () => F.cosineEmbeddingLoss(h(2, 3), h(2, 3), torch.tensor([1, -1], { device })),
        tripletMarginLoss: () => F.tripletMarginLoss(h(2, 3), h(2, 3), h(2, 3)), poissonNllLoss: () => F.poissonNllLoss(h(3), pos(3)),
        gaussianNllLoss: () => F.gaussianNllLoss(h(3), h(3), pos(3)), multiMarginLoss: () => F.multiMarginLoss(h(3, 3), tgt),
        multilabelSoftMarginLoss: () => F.multilabelSoftMarginLoss(h(2, 3), r(2, 3).gt(0).float()),
      };
      const PROMOTE: Record<string, () => Tensor> = {
        cat: () => torch.cat([h(2), r(2)]), stack: () => torch.stack([r(2), h(2)]), addcmul: () => torch.addcmul(h(2), r(2), h(2)),
        addcdiv: () => torch.addcdiv(h(2), r(2), pos(2)), atan2: () => torch.atan2(h(2), r(2)), dot: () => torch.dot(h(3), r(3)),
        cross: () => torch.cross(h(3), r(3), 0), tensordot: () => torch.tensordot(h(2, 3), r(3, 2), 1),
        indexPut: () => torch.indexPut(r(3), [idx], h(2)), scatterAdd: () => torch.scatterAdd(h(3), 0, idx, r(2)),
        bilinear: () => F.bilinear(h(2, 3), r(2, 3), r(4, 3, 3)), gridSample: () => F.gridSample(h(1, 1, 3, 3), r(1, 2, 2, 2).tanh()),
      };
      const got: Record<string, string> = {}, want: Record<string, string> = {};
      torch.autocast({ deviceType: device }, () => {
        for (const [list, dtype] of [[LOWER, 'float16'], [FP32, 'float32'], [PROMOTE, 'float32']] as const) {
          for (const [name, f] of Object.entries(list)) { got[name] = f().dtype; want[name] = dtype; }
        }
      });
      expect(got).toEqual(want);
    });
  }
});

describe('torch.autocast: regions', () => {
  for (const device of testDevices()) {
    it(`layers on ${device}: Linear/Conv2d/MultiheadAttention float16, LayerNorm/softmax/losses float32`, async () => {
      torch.manualSeed(0);
      const lin = new torch.nn.Linear(4, 6).to(device), conv = new torch.nn.Conv2d(2, 3, 3).to(device);
      const ln = new torch.nn.LayerNorm(6).to(device), mha = new torch.nn.MultiheadAttention(6, 2).to(device);
      const x = torch.randn([5, 4], { device }), img = torch.randn([1, 2, 5, 5], { device });
      const r = torch.autocast({ deviceType: device }, () => {
        const h = lin.forward(x);
        const [att] = mha.forward(h.unsqueeze(1), h.unsqueeze(1), h.unsqueeze(1));
        return { h, c: conv.forward(img), n: ln.forward(h), att, s: h.softmax(-1), l: F.mseLoss(h, torch.zerosLike(h)) };
      });
      expect([r.h.dtype, r.c.dtype, r.att.dtype]).toEqual(['float16', 'float16', 'float16']);
      expect([r.n.dtype, r.s.dtype, r.l.dtype]).toEqual(['float32', 'float32', 'float32']);
      // Gradients reach the float32 parameters in float32.
      r.att.to('float32').sum().add(r.l).backward();
      expect(lin.weight.grad!.dtype).toBe('float32');
      expect(mha.in_proj_weight!.grad!.dtype).toBe('float32');
      const g = await lin.weight.grad!.data();
      expect(Array.from(g).every(Number.isFinite)).toBe(true);
      // Outside the region the same layer computes in float32 again.
      expect(lin.forward(x).dtype).toBe('float32');
    });

    it(`on ${device}: a region for another device type, enabled: false, and nesting`, () => {
      const a = torch.randn([2, 3], { device }), b = torch.randn([3, 2], { device });
      const other: Device = device === 'cpu' ? 'webgpu' : 'cpu';
      expect(torch.autocast({ deviceType: other }, () => a.matmul(b)).dtype).toBe('float32');
      expect(torch.isAutocastEnabled(device)).toBe(false);
      torch.autocast({ deviceType: device }, () => {
        expect(torch.isAutocastEnabled(device)).toBe(true);
        expect(torch.isAutocastEnabled(other)).toBe(false);
        expect(torch.autocast({ deviceType: device, enabled: false }, () => a.matmul(b)).dtype).toBe('float32');
        expect(torch.isAutocastEnabled(device)).toBe(true);
        expect(a.matmul(b).dtype).toBe('float16');
      });
      expect(torch.isAutocastEnabled(device)).toBe(false);
      expect(a.matmul(b).dtype).toBe('float32');
    });

    it(`on ${device}: the disposable form and an async callback keep the region open until they end`, async () => {
      const a = torch.randn([2, 3], { device }), b = torch.randn([3, 2], { device });
      {
        using _ = torch.autocast({ deviceType: device });
        expect(a.matmul(b).dtype).toBe('float16');
      }
      expect(a.matmul(b).dtype).toBe('float32');
      const p = torch.autocast({ deviceType: device }, async () => { await a.data(); return a.matmul(b); });
      expect(torch.isAutocastEnabled(device)).toBe(true);
      expect((await p).dtype).toBe('float16');
      expect(torch.isAutocastEnabled(device)).toBe(false);
      // A throwing callback closes the region too.
      expect(() => torch.autocast({ deviceType: device }, () => { throw new Error('boom'); })).toThrow('boom');
      expect(torch.isAutocastEnabled(device)).toBe(false);
    });

    it(`on ${device}: casts of a parameter are cached inside the region (cacheEnabled)`, async () => {
      // The cache is observable as PyTorch's is: an in-place change to the parameter inside the region
      // is not seen by a cached cast, and is seen with cacheEnabled: false.
      const run = async (cacheEnabled: boolean): Promise<number> => {
        const w = torch.ones([1, 1], { device, requiresGrad: true }), x = torch.ones([1, 1], { device });
        return torch.autocast({ deviceType: device, cacheEnabled }, async () => {
          F.linear(x, w);
          torch.noGrad(() => w.mul_(3));
          return Number(await F.linear(x, w).item());
        });
      };
      expect(await run(true)).toBe(1);
      expect(await run(false)).toBe(3);
      // A cast made under noGrad is not cached: the next use with grad on still reaches the parameter.
      const w = torch.ones([2, 2], { device, requiresGrad: true }), x = torch.ones([1, 2], { device });
      torch.autocast({ deviceType: device }, () => {
        torch.noGrad(() => F.linear(x, w));
        F.linear(x, w).to('float32').sum().backward();
      });
      expect(Array.from(await w.grad!.data())).toEqual([1, 1, 1, 1]);
    });
  }

  it('torch.compile guards on the autocast state (a function traced outside a region is retraced inside)', async () => {
    torch.manualSeed(0);
    const w = torch.randn([3, 2], { requiresGrad: true });
    const f = torch.compile((x: Tensor) => x.matmul(w).softmax(-1));
    const x = torch.randn([4, 3]);
    const eager = x.matmul(w).softmax(-1);
    expect(f(x).dtype).toBe('float32');
    const [inside, ref] = torch.autocast({ deviceType: 'cpu' }, () => [f(x), x.matmul(w)]);
    expect(ref!.dtype).toBe('float16');
    expect(inside!.dtype).toBe('float32'); // softmax runs in float32 on the float16 matmul
    const a = Array.from(await inside!.data()), b = Array.from(await eager.data());
    expect(a.some((v, i) => v !== b[i])).toBe(true); // the float16 matmul's rounding shows
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-2));
    expect(Array.from(await f(x).data())).toEqual(b); // outside again: the float32 entry
  });

  it('float64 tensors are never cast (CPU)', () => {
    const a = torch.randn([2, 3], { dtype: 'float64' }), b = torch.randn([3, 2], { dtype: 'float64' });
    torch.autocast({ deviceType: 'cpu' }, () => {
      expect(a.matmul(b).dtype).toBe('float64');
      expect(a.softmax(-1).dtype).toBe('float64');
    });
  });

  it('binaryCrossEntropy is unsafe to autocast (PyTorch raises), and bad options are errors', () => {
    const p = torch.rand([3]), t = torch.rand([3]);
    expect(() => torch.autocast({ deviceType: 'cpu' }, () => F.binaryCrossEntropy(p, t))).toThrow(/binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast/);
    expect(F.binaryCrossEntropy(p, t).dtype).toBe('float32');
    expect(() => torch.autocast({ deviceType: 'tpu' as Device })).toThrow(/deviceType/);
    expect(() => torch.autocast({ deviceType: 'cpu', dtype: 'float32' })).toThrow(/float16/);
    expect(() => torch.autocast({ deviceType: 'cpu', device_type: 'cpu' } as never)).toThrow(/unknown option 'device_type'/);
    expect(torch.isAutocastEnabled('cpu')).toBe(false);
  });

  it("PyTorch's positional device type: autocast('cpu', { dtype }, fn), autocast('cpu', fn), using autocast('cpu')", () => {
    const a = torch.randn([2, 3]), b = torch.randn([3, 2]);
    expect(torch.autocast('cpu', { dtype: 'float16' }, () => a.matmul(b)).dtype).toBe('float16');
    expect(torch.autocast('cpu', () => a.matmul(b)).dtype).toBe('float16');
    expect(torch.autocast('cpu', { enabled: false }, () => a.matmul(b)).dtype).toBe('float32');
    {
      using _ = torch.autocast('cpu');
      expect(a.matmul(b).dtype).toBe('float16');
    }
    expect(a.matmul(b).dtype).toBe('float32');
    expect(() => torch.autocast('cpu', { deviceType: 'cpu' } as never)).toThrow(/unknown option 'deviceType'|given twice/);
    expect(() => torch.autocast('cpu', { dtype: 'float16', cache_enabled: true } as never)).toThrow(/unknown option 'cache_enabled' \(did you mean 'cacheEnabled'\?\)/);
    expect(() => torch.autocast('tpu' as Device, () => 1)).toThrow(/deviceType to be one of/);
    expect(torch.isAutocastEnabled('cpu')).toBe(false);
  });
});
