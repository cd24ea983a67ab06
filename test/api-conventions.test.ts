// API.md's calling conventions, checked where an audit found them missing or silently ignored:
// PyTorch's optional arguments accepted both positionally and as a trailing options object
// (keyword names camelCased), plus the few missing functions/methods it found. Expected values were
// printed by PyTorch 1.13 (/usr/bin/python3) for the same inputs; run on every test device.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from './helpers.js';
import type { Tensor } from '../src/index.js';

const F = torch.nn.functional, nn = torch.nn;

async function close(t: Tensor, expected: unknown, atol = 1e-5): Promise<void> {
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [Number(v)]);
  const got = flat(await t.tolist()), want = flat(expected);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(atol + 1e-4 * Math.abs(want[i]!)));
}

for (const device of testDevices()) {
  describe(`API conventions on ${device}`, () => {
    const f32 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'float32', device });
    const i32 = (v: number[] | number[][]) => torch.tensor(v, { dtype: 'int32', device });
    const x = () => f32([[1, -2, 3], [-4, 5, -6]]);

    it('div with roundingMode trunc keeps integer dtype and truncates', async () => {
      const r = torch.div(i32([-7, 7, -8, 7]), i32([-2, -2, 3, 2]), { roundingMode: 'trunc' });
      expect(r.dtype).toBe('int32');
      expect(await r.tolist()).toEqual([3, -3, -2, 3]);
      expect(await i32([7, -7]).div(2, { roundingMode: 'trunc' }).tolist()).toEqual([3, -3]);
    });

    it('round({ decimals })', async () => {
      await close(f32([1.2345, -2.5551, 125]).round({ decimals: 2 }), [1.23, -2.56, 125]);
      await close(torch.round(f32([125, 134, -135]), { decimals: -1 }), [120, 130, -140]);
    });

    it('clamp with an options object, clampMin/clampMax', async () => {
      await close(torch.clamp(x(), { min: 0 }), [[1, 0, 3], [0, 5, 0]]);
      await close(x().clamp({ max: 0 }), [[0, -2, 0], [-4, 0, -6]]);
      await close(x().clampMin(0), [[1, 0, 3], [0, 5, 0]]);
      await close(torch.clampMax(x(), 0), [[0, -2, 0], [-4, 0, -6]]);
    });

    it('torch.where(cond) returns one index tensor per dim', async () => {
      // Data-dependent shape: nonzero's rule, synchronous devices only; elsewhere it names nonzeroAsync.
      if (device !== 'cpu') { expect(() => torch.where(x().gt(0))).toThrow(/nonzeroAsync/); return; }
      const [r, c] = torch.where(x().gt(0));
      expect(await r!.tolist()).toEqual([0, 0, 1]);
      expect(await c!.tolist()).toEqual([0, 2, 1]);
    });

    it('a positional argument after an undefined one is not dropped', async () => {
      // Each pair must agree with the options form (itself checked against PyTorch elsewhere).
      const t = x().float(), y = torch.tensor([[2, 1, 0], [1, 3, -2]], { dtype: 'float32', device });
      await close(F.softplus(t.mul(3), undefined, 4), await F.softplus(t.mul(3), { threshold: 4 }).tolist());
      await close(F.normalize(t, undefined, 0), await F.normalize(t, { dim: 0 }).tolist());
      await close(F.cosineSimilarity(t, y, undefined, 0.5), await F.cosineSimilarity(t, y, { eps: 0.5 }).tolist());
      const q = torch.randn([1, 3, 4], { device });
      await close(F.scaledDotProductAttention(q, q, q, undefined, 0, true), await F.scaledDotProductAttention(q, q, q, { isCausal: true }).tolist());
    });

    it('activations take scalars positionally or as options (never NaN from an object)', async () => {
      const lr = [[1, -0.4, 3], [-0.8, 5, -1.2]];
      await close(F.leakyRelu(x(), 0.2), lr);
      await close(F.leakyRelu(x(), { negativeSlope: 0.2 }), lr);
      const elu2 = [[1, -1.7293294668197632, 3], [-1.9633687734603882, 5, -1.9950424432754517]];
      await close(F.elu(x(), 2), elu2);
      await close(F.elu(x(), { alpha: 2 }), elu2);
      await close(F.hardtanh(x(), { minVal: -2, maxVal: 2 }), [[1, -2, 2], [-2, 2, -2]]);
      await close(F.hardtanh(x(), -2, 2), [[1, -2, 2], [-2, 2, -2]]);
      const sp2 = [[1.0634640455245972, 0.009074964560568333, 3.0012378692626953], [0.00016770318325143307, 5.000022888183594, 3.0720966606168076e-06]];
      await close(F.softplus(x(), 2), sp2);
      await close(F.softplus(x(), { beta: 2 }), sp2);
      await close(F.softplus(x(), 2, 1), [[1, 0.009074964560568333, 3], [0.00016770318325143307, 5, 3.0720966606168076e-06]]);
      await close(F.glu(torch.arange(4, { dtype: 'float32', device }).reshape(1, 4), { dim: 1 }), [[0, 0.9525741338729858]]);
      await close(F.softmax(x(), { dim: 0 }), await F.softmax(x(), 0).tolist());
      await close(F.gelu(x(), 'tanh'), await F.gelu(x(), { approximate: 'tanh' }).tolist());
    });

    it('activations are torch.* functions too', async () => {
      await close(torch.selu(x()), [[1.0507010221481323, -1.5201665163040161, 3.1521029472351074], [-1.7258987426757812, 5.253505229949951, -1.7537413835525513]]);
      await close(torch.gelu(x(), { approximate: 'tanh' }), [[0.8411920070648193, -0.04540228843688965, 2.9963626861572266], [-0.00007021427154541016, 4.999999523162842, 0]]);
      await close(torch.relu6(x().mul(2)), [[2, 0, 6], [0, 6, 0]]);
    });

    it('activation modules accept options objects', async () => {
      await close(new nn.LeakyReLU({ negativeSlope: 0.2 }).forward(f32([-1])), [-0.2]);
      expect(new nn.ELU({ alpha: 2 }).alpha).toBe(2);
      expect(new nn.GELU('tanh').approximate).toBe('tanh');
      expect(new nn.Softmax({ dim: 1 }).dim).toBe(1);
      expect(new nn.Hardtanh({ minVal: -2, maxVal: 2 }).maxVal).toBe(2);
      expect(new nn.Softplus(2).beta).toBe(2);
      expect(new nn.Dropout({ p: 0.2 }).p).toBe(0.2);
      const rr = new nn.RReLU(0.1, 0.3).eval();
      await close(rr.forward(f32([-1, 2])), [-0.2, 2]); // eval: slope (lower + upper) / 2
    });

    it('var/std/norm take PyTorch keywords in the dim slot', async () => {
      await close(x().var({ unbiased: false }), [14.916666984558105]);
      await close(torch.std(x(), { dim: 1, correction: 0 }), [2.054804801940918, 4.784233093261719]);
      await close(x().norm({ p: 1, dim: 1 }), [6, 15]);
    });

    it('sort/argsort/topk/oneHot take keywords; descending: false is honoured', async () => {
      const s = x().sort({ dim: 0, descending: true });
      await close(s.values, [[1, 5, 3], [-4, -2, -6]]);
      expect(await x().sort(1, { descending: false }).indices.tolist()).toEqual([[1, 0, 2], [2, 0, 1]]);
      expect(await x().argsort(1, { descending: true }).tolist()).toEqual([[2, 0, 1], [1, 0, 2]]);
      const t = x().topk(1, { dim: 0, largest: false });
      await close(t.values, [[-4, -2, -6]]);
      expect(await F.oneHot(i32([0, 2]), { numClasses: 4 }).tolist()).toEqual([[1, 0, 0, 0], [0, 0, 1, 0]]);
    });

    it('norm layers take weight/bias/eps as options; batchNorm positional training', async () => {
      const ln = [[1.3244425058364868, -1.5955395698547363, 3.271097183227539], [0.024573981761932373, 3.7869315147399902, -0.8115055561065674]];
      const w = torch.full([3], 2, { dtype: 'float32', device }), b = torch.ones(3, { device });
      await close(F.layerNorm(x(), [3], { weight: w, bias: b, eps: 1e-5 }), ln);
      await close(F.layerNorm(x(), [3], w, b, 1e-5), ln);
      await close(F.groupNorm(x().reshape(1, 2, 3), 1, { eps: 1e-5 }), await F.groupNorm(x().reshape(1, 2, 3), 1).tolist());
      // training with batch statistics: each column of 2 rows normalizes to +-1 (up to eps)
      await close(F.batchNorm(x(), null, null, null, null, true), [[1, -1, 1], [-1, 1, -1]], 1e-4);
    });

    it('positional attnMask, cosineSimilarity dim and normalize p', async () => {
      const q = torch.ones(1, 2, 2, { device }), v = f32([[1, 2], [3, 4]]).reshape(1, 2, 2);
      const mask = torch.tensor([[true, false], [true, true]], { device });
      await close(F.scaledDotProductAttention(q, q, v, mask), [[[1, 2], [2, 3]]]);
      await close(F.scaledDotProductAttention(q, q, v, null), [[[2, 3], [2, 3]]]);
      await close(F.cosineSimilarity(x(), torch.ones(2, 3, { device }), 0), [-0.5144957900047302, 0.39391931891441345, -0.3162277638912201]);
      await close(F.normalize(x(), 1, 0), [[0.2, -0.2857142984867096, 0.3333333432674408], [-0.8, 0.7142857313156128, -0.6666666865348816]]);
    });

    it('indexFill, more in-place methods, new* and typeAs', async () => {
      await close(x().indexFill(1, i32([0, 2]), -1), [[-1, -2, -1], [-1, 5, -1]]);
      await close(x().indexFill_(0, i32([1]), 0), [[1, -2, 3], [0, 0, 0]]);
      await close(f32([0.5, 4]).sqrt_().square_(), [0.5, 4]);
      await close(f32([-1.5, 2.5]).trunc_(), [-1, 2]);
      await close(f32([1, 5]).minimum_(f32([3, 3])), [1, 3]);
      await close(f32([7, -7]).fmod_(3), [1, -1]);
      await close(f32([7, -7]).remainder_(3), [1, 2]);
      await close(f32([1, 5]).ge_(3), [0, 1]);
      const n = i32([1]).newZeros(2, 2);
      expect([n.dtype, n.device, n.shape]).toEqual(['int32', device, [2, 2]]);
      expect(x().newFull([2], 7).dtype).toBe('float32');
      expect(await i32([1]).newTensor([3, 4]).tolist()).toEqual([3, 4]);
      expect(i32([1]).typeAs(x()).dtype).toBe('float32');
    });

    it('zeroGrad(false), registerBuffer(name, t, false), gradcheck with one tensor', async () => {
      const m = new nn.Linear(2, 1).to(device);
      const opt = new torch.optim.SGD(m.parameters(), { lr: 0.1 });
      m.forward(torch.ones(1, 2, { device })).sum().backward();
      opt.zeroGrad(false);
      await close(m.weight.grad!, [[0, 0]]);
      m.zeroGrad({ setToNone: true });
      expect(m.weight.grad).toBeNull();
      const mod = new nn.Module();
      mod.registerBuffer('b', torch.ones(1), false);
      expect(Object.keys(mod.stateDict())).toEqual([]);
      if (device === 'cpu') expect(torch.autograd.gradcheck((a) => a.sin(), torch.randn([3], { dtype: 'float64', requiresGrad: true }))).toBe(true);
    });
  });
}

describe('one object behind two public names (as in PyTorch)', () => {
  it('torch.distributions.X is torch.distributions.transforms.X; torch.linalg.matmul is torch.matmul', () => {
    const D = torch.distributions;
    expect(D.SigmoidTransform).toBe(D.transforms.SigmoidTransform);
    expect(new D.transforms.ExpTransform()).toBeInstanceOf(D.ExpTransform);
    expect(torch.linalg.matmul).toBe(torch.matmul);
  });
});
