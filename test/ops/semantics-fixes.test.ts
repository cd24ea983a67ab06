// PyTorch 1.13 semantics found wrong by porting PyTorch scripts: dtype constants, NaN as true,
// bitwiseNot of bool, isclose with infinities, bool-mask shape checks, fmax/fmin, max/min/median
// gradients with NaN and ties, nonzero of 0-d tensors, exp2/pow of integers, in-place writes into expanded tensors, multinomial's checks and
// error wording. Expected values come from PyTorch 1.13 (`/usr/bin/python3 -c "import torch; ..."`,
// quoted next to each case). Every case runs on each device of testDevices(); data-dependent ops use
// their `...Async` variants where the device is asynchronous.
import { describe, expect, it } from 'vitest';
import { isSynchronous, testDevices, torch } from '../helpers.js';
import type { Device, DType, Tensor } from '../../src/index.js';

const F = (v: number[] | number[][], device: Device) => torch.tensor(v, { dtype: 'float32', device });
const vals = async (t: Tensor) => Array.from(await t.data()).map(Number);
/** nonzero through the variant the device allows. */
const nonzeroOn = (x: Tensor) => (isSynchronous(x.device) ? torch.nonzero(x) : torch.nonzeroAsync(x));

for (const device of testDevices()) {
  describe(`semantics fixes on ${device}`, () => {
    it('torch.int64 is int32 (as torch.long); PyTorch dtypes torchlet lacks fail with "unsupported dtype"', async () => {
      expect(torch.int64).toBe('int32');
      expect(torch.int64).toBe(torch.long);
      const t = torch.tensor([1.5, 2], { dtype: torch.int64, device });
      expect(t.dtype).toBe('int32');
      expect(await vals(t)).toEqual([1, 2]);
      // torch.int16 used to be undefined, so this silently made float32.
      const missing = { int8: torch.int8, int16: torch.int16, short: torch.short, bfloat16: torch.bfloat16, complex32: torch.complex32,
        chalf: torch.chalf, qint8: torch.qint8, quint8: torch.quint8, qint32: torch.qint32, quint4x2: torch.quint4x2, quint2x4: torch.quint2x4 };
      for (const [name, d] of Object.entries(missing)) {
        expect(d, name).toBeTypeOf('string');
        expect(() => torch.zeros(2, { dtype: d as unknown as DType, device }), name).toThrow(/unsupported dtype/);
        expect(() => torch.ones(2, { device }).to(d as unknown as DType), name).toThrow(/unsupported dtype/);
      }
      expect(() => torch.zeros(2, { dtype: torch.short as unknown as DType, device })).toThrow("unsupported dtype 'int16'");
      // The string 'int64' and a dtype option of to()/sum() get a clear error, not a crash in the allocator.
      expect(() => torch.zeros(2, { dtype: 'int64' as DType, device })).toThrow(/unsupported dtype 'int64'.*int32/);
      expect(() => torch.zeros(2, { device }).to({ dtype: 'int64' as DType })).toThrow(/unsupported dtype 'int64'/);
      expect(() => torch.zeros(2, { device }).sum(null, false, { dtype: 'int16' as DType })).toThrow(/unsupported dtype 'int16'/);
    });

    it('NaN counts as true: bool(), logical ops, any/all, nonzero/argwhere, countNonzero', async () => {
      const x = F([NaN, 0, 1, -2], device);
      // PyTorch: x.bool() -> [True, False, True, True]; x.half().bool() the same
      expect(await vals(x.bool())).toEqual([1, 0, 1, 1]);
      expect(await vals(x.to('bool'))).toEqual([1, 0, 1, 1]);
      expect(await vals(x.to({ dtype: 'bool' }))).toEqual([1, 0, 1, 1]);
      expect(await vals(x.half().bool())).toEqual([1, 0, 1, 1]);
      // logical_not -> [False, True, False, False]
      expect(await vals(x.logicalNot())).toEqual([0, 1, 0, 0]);
      expect(x.logicalNot().dtype).toBe('bool');
      // logical_and(x, [1,1,0,1]) -> [T,F,F,T]; logical_or(x, zeros) -> [T,F,T,T]; logical_xor(x, [1,0,1,0]) -> [F,F,F,T]
      expect(await vals(torch.logicalAnd(x, F([1, 1, 0, 1], device)))).toEqual([1, 0, 0, 1]);
      expect(await vals(torch.logicalOr(x, F([0, 0, 0, 0], device)))).toEqual([1, 0, 1, 1]);
      expect(await vals(torch.logicalXor(x, F([1, 0, 1, 0], device)))).toEqual([0, 0, 0, 1]);
      expect(await vals(torch.logicalOr(F([0, 0], device), F([NaN, 0], device)))).toEqual([1, 0]);
      expect(await vals(torch.logicalAnd(torch.tensor([true, true], { device }), F([NaN, 0], device)))).toEqual([1, 0]);
      // any([nan, 0]) -> True; all([nan, 1]) -> True; any(dim 1) of [[nan,0],[0,0]] -> [T,F]; all(dim 1) of [[nan,1],[0,1]] -> [T,F]
      expect(await F([NaN, 0], device).any().item()).toBe(true);
      expect(await F([NaN, 1], device).all().item()).toBe(true);
      expect(await vals(F([[NaN, 0], [0, 0]], device).any(1))).toEqual([1, 0]);
      expect(await vals(F([[NaN, 1], [0, 1]], device).all(1))).toEqual([1, 0]);
      // nonzero(x) -> [[0],[2],[3]]; argwhere([[nan,0],[0,2]]) -> [[0,0],[1,1]]; count_nonzero(x) -> 3
      expect(await (await nonzeroOn(x)).tolist()).toEqual([[0], [2], [3]]);
      expect(await (await nonzeroOn(F([[NaN, 0], [0, 2]], device))).tolist()).toEqual([[0, 0], [1, 1]]);
      if (isSynchronous(device)) expect(torch.argwhere(F([[NaN, 0], [0, 2]], device)).tolistSync()).toEqual([[0, 0], [1, 1]]);
      expect(await torch.countNonzero(x).item()).toBe(3);
      // ne is true where either side is NaN (torch.ne(x, nan) -> all True; x != x -> [T, F, F, F]); eq is false there
      expect(await vals(x.ne(NaN))).toEqual([1, 1, 1, 1]);
      expect(await vals(x.ne(x))).toEqual([1, 0, 0, 0]);
      expect(await vals(x.eq(x))).toEqual([0, 1, 1, 1]);
    });

    it('bitwiseNot of a bool tensor is logical not (PyTorch ~); of integers the bitwise complement', async () => {
      // ~tensor([[True,False],[False,True]]) -> [[False,True],[True,False]]
      const b = torch.bitwiseNot(torch.tensor([[true, false], [false, true]], { device }));
      expect(b.dtype).toBe('bool');
      expect(await b.tolist()).toEqual([[false, true], [true, false]]);
      expect(await torch.tensor([true, false, true], { device }).bitwiseNot().tolist()).toEqual([false, true, false]);
      // ~tensor([0,5,-1]) -> [-1,-6,0]; ~uint8 [0,5,255] -> [255,250,0]
      expect(await torch.tensor([0, 5, -1], { device }).bitwiseNot().tolist()).toEqual([-1, -6, 0]);
      expect(await torch.tensor([0, 5, 255], { dtype: 'uint8', device }).bitwiseNot().tolist()).toEqual([255, 250, 0]);
    });

    it('isclose/allclose: an infinity is close only to the same infinity', async () => {
      // isclose([1,inf,-inf,inf,nan,inf,1e30], [inf,inf,inf,-inf,nan,1,inf]) -> [F,T,F,F,F,F,F]
      const a = F([1, Infinity, -Infinity, Infinity, NaN, Infinity, 1e30], device);
      const b = F([Infinity, Infinity, Infinity, -Infinity, NaN, 1, Infinity], device);
      expect(await vals(torch.isclose(a, b))).toEqual([0, 1, 0, 0, 0, 0, 0]);
      expect(await vals(torch.isclose(b, a))).toEqual([0, 1, 0, 0, 0, 0, 0]);
      // equal_nan=True: isclose([1,inf,-inf,nan,nan], [inf,inf,-inf,nan,1]) -> [F,T,T,T,F]
      expect(await vals(torch.isclose(F([1, Infinity, -Infinity, NaN, NaN], device), F([Infinity, Infinity, -Infinity, NaN, 1], device), { equalNan: true })))
        .toEqual([0, 1, 1, 1, 0]);
      // atol=inf: isclose([1, inf], [inf, 5]) -> [F, F]
      expect(await vals(torch.isclose(F([1, Infinity], device), F([Infinity, 5], device), { atol: Infinity }))).toEqual([0, 0]);
      // other a 0-d inf tensor / a JS number: isclose([1, inf], inf) -> [F, T]
      expect(await vals(torch.isclose(F([1, Infinity], device), torch.tensor(Infinity, { device })))).toEqual([0, 1]);
      expect(await vals(torch.isclose(F([1, Infinity], device), Infinity))).toEqual([0, 1]);
      if (isSynchronous(device)) {
        expect(torch.allclose(F([-Infinity], device), F([Infinity], device))).toBe(false);
        expect(torch.allclose(F([1], device), F([Infinity], device))).toBe(false);
        expect(torch.allclose(F([Infinity, 1], device), F([Infinity, 1], device))).toBe(true);
      }
    });

    it('a bool mask whose shape does not match the indexed dims raises PyTorch\'s IndexError', async () => {
      const x = F([1, 2, 3], device), m = F([[1, 2, 3], [4, 5, 6]], device);
      const idx = (t: Tensor, ...i: (Tensor | null)[]) => (isSynchronous(device) ? Promise.resolve().then(() => t.index(...i)) : t.indexAsync(...i));
      // A wrongly resolved result is reported by its shape (printing a whole Tensor object exhausts the heap).
      const shapeOf = (t: Tensor, ...i: (Tensor | null)[]) => idx(t, ...i).then((r) => r.shape);
      await expect(shapeOf(x, torch.tensor([true], { device }))).rejects.toThrow('The shape of the mask [1] at index 0 does not match the shape of the indexed tensor [3] at index 0');
      await expect(shapeOf(m, torch.tensor([[true, false, true]], { device }))).rejects.toThrow('The shape of the mask [1, 3] at index 0 does not match the shape of the indexed tensor [2, 3] at index 0');
      await expect(shapeOf(m, torch.tensor([true, false, true], { device }))).rejects.toThrow('The shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3] at index 0');
      await expect(shapeOf(m, null, torch.tensor([true, false], { device }))).rejects.toThrow('The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [2, 3] at index 1');
      // Matching masks still select: m[[True, False]] -> [[1,2,3]]; m[:, [True,False,True]] -> [[1,3],[4,6]]
      expect(await (await idx(m, torch.tensor([true, false], { device }))).tolist()).toEqual([[1, 2, 3]]);
      expect(await (await idx(m, null, torch.tensor([true, false, true], { device }))).tolist()).toEqual([[1, 3], [4, 6]]);
      if (isSynchronous(device)) {
        expect(() => x.clone().indexPut_([torch.tensor([true], { device })], torch.tensor(0, { dtype: 'float32', device })))
          .toThrow('The shape of the mask [1] at index 0 does not match the shape of the indexed tensor [3] at index 0');
        // A matching mask still writes: x[[T,F,T]] = 0 -> [0,2,0]
        expect(x.clone().indexPut_([torch.tensor([true, false, true], { device })], torch.tensor(0, { dtype: 'float32', device })).tolistSync()).toEqual([0, 2, 0]);
      }
    });

    it('max()/min()/median() overall send a NaN result\'s gradient to the NaN elements and split ties; amax keeps PyTorch\'s NaN gradient', async () => {
      // PyTorch 1.13: min([1,nan]) grad [0,1]; max([1,nan,2]) grad [0,1,0]; amax([1,nan,2]) grad all nan; max([1,3,3]) grad [0,.5,.5]
      const grad = async (v: number[], f: (x: Tensor) => Tensor) => { const x = F(v, device).requiresGrad_(); f(x).backward(); return vals(x.grad!); };
      expect(await grad([1, NaN], (x) => x.min())).toEqual([0, 1]);
      expect(await grad([1, NaN, 2], (x) => x.max())).toEqual([0, 1, 0]);
      expect((await grad([1, NaN, 2], (x) => x.amax())).every(Number.isNaN)).toBe(true);
      expect(await grad([1, 3, 3], (x) => x.max())).toEqual([0, 0.5, 0.5]);
      // median() overall splits among ties too: median([1,2,2,3]) grad [0,.5,.5,0]; median([1,nan,nan]) [0,.5,.5];
      // median(x, dim) sends it to its one index: [[1,2,2,3]].median(1) grad [[0,1,0,0]]
      expect(await grad([1, 2, 2, 3], (x) => x.median())).toEqual([0, 0.5, 0.5, 0]);
      expect(await grad([1, NaN, NaN], (x) => x.median())).toEqual([0, 0.5, 0.5]);
      const x = F([[1, 2, 2, 3]], device).requiresGrad_();
      x.median(1).values.sum().backward();
      expect(await vals(x.grad!)).toEqual([0, 1, 0, 0]);
    });

    it('fmax/fmin ignore NaN (take the other operand), with the gradient to the chosen element', async () => {
      // fmax([1,nan,nan,3,-0.], [nan,2,nan,1,0.]) -> [1,2,nan,3,-0.]; fmin -> [1,2,nan,1,-0.] (ties keep the first operand)
      const a = F([1, NaN, NaN, 3, -0], device), b = F([NaN, 2, NaN, 1, 0], device);
      const mx = await vals(torch.fmax(a, b)), mn = await vals(torch.fmin(a, b));
      expect(mx.map((v) => (Number.isNaN(v) ? 'nan' : v))).toEqual([1, 2, 'nan', 3, -0]);
      expect(mn.map((v) => (Number.isNaN(v) ? 'nan' : v))).toEqual([1, 2, 'nan', 1, -0]);
      expect(await vals(a.fmax(b))).toEqual(mx); // the Tensor methods are the same functions
      expect(await vals(a.fmin(b))).toEqual(mn);
      // fmax(int, int) -> [3, 5] (int); fmax([1,nan], tensor(2.)) -> [2, 2]
      const ii = torch.fmax(torch.tensor([1, 5], { device }), torch.tensor([3, 2], { device }));
      expect(ii.dtype).toBe('int32');
      expect(await ii.tolist()).toEqual([3, 5]);
      expect(await vals(torch.fmax(F([1, NaN], device), torch.tensor(2, { dtype: 'float32', device })))).toEqual([2, 2]);
      // a = [1,nan,2,3], b = [nan,2,2,1]: fmax grads a [1,0,1,1], b [0,1,0,0]; fmin grads a [1,0,1,0], b [0,1,0,1]
      for (const [f, ga, gb] of [[torch.fmax, [1, 0, 1, 1], [0, 1, 0, 0]], [torch.fmin, [1, 0, 1, 0], [0, 1, 0, 1]]] as const) {
        const x = F([1, NaN, 2, 3], device).requiresGrad_(), y = F([NaN, 2, 2, 1], device).requiresGrad_();
        f(x, y).sum().backward();
        expect(await vals(x.grad!)).toEqual(ga);
        expect(await vals(y.grad!)).toEqual(gb);
      }
    });

    it('nonzero/argwhere of a 0-d tensor: [1, 0] when nonzero, [0, 0] when zero', async () => {
      // torch.nonzero(torch.tensor(5)).shape -> [1, 0]; of tensor(0) -> [0, 0]; of tensor(nan) -> [1, 0]
      expect((await nonzeroOn(torch.tensor(5, { device }))).shape).toEqual([1, 0]);
      expect((await nonzeroOn(torch.tensor(0, { device }))).shape).toEqual([0, 0]);
      expect((await nonzeroOn(torch.tensor(NaN, { device }))).shape).toEqual([1, 0]);
      if (isSynchronous(device)) expect(torch.argwhere(torch.tensor(5, { device })).shape).toEqual([1, 0]);
    });

    it('exp2 of integers and bools promotes to the default float dtype', async () => {
      // exp2(tensor([3,-1,0])) -> float32 [8, 0.5, 1]; exp2(tensor([True, False])) -> float32 [2, 1]
      const e = torch.exp2(torch.tensor([3, -1, 0], { device }));
      expect(e.dtype).toBe('float32');
      expect(await vals(e)).toEqual([8, 0.5, 1]);
      const eb = torch.tensor([true, false], { device }).exp2();
      expect(eb.dtype).toBe('float32');
      expect(await vals(eb)).toEqual([2, 1]);
      expect(torch.exp2(torch.tensor([3], { dtype: 'uint8', device })).dtype).toBe('float32');
    });

    it('integer pow with a tensor of negative exponents: 0 unless the base is 1 or -1', async () => {
      // pow(2, [1,2,-3]) -> [2,4,0]; [2,2]**[2,-1] -> [4,0]; [1,-1,2]**[-1,-1,-1] -> [1,-1,0]
      expect(await torch.pow(2, torch.tensor([1, 2, -3], { device })).tolist()).toEqual([2, 4, 0]);
      expect(await torch.tensor([2, 2], { device }).pow(torch.tensor([2, -1], { device })).tolist()).toEqual([4, 0]);
      expect(await torch.tensor([1, -1, 2], { device }).pow(torch.tensor([-1, -1, -1], { device })).tolist()).toEqual([1, -1, 0]);
      // [1,-1,-1,0,3,-2]**[-2,-2,-3,-1,0,-1] -> [1,1,-1,0,1,0]
      expect(await torch.tensor([1, -1, -1, 0, 3, -2], { device }).pow(torch.tensor([-2, -2, -3, -1, 0, -1], { device })).tolist()).toEqual([1, 1, -1, 0, 1, 0]);
      // pow(-1, [-1,-2,3]) -> [-1,1,-1]; [2,1,-1]**tensor(-1) -> [0,1,-1]
      expect(await torch.pow(-1, torch.tensor([-1, -2, 3], { device })).tolist()).toEqual([-1, 1, -1]);
      expect(await torch.tensor([2, 1, -1], { device }).pow(torch.tensor(-1, { device })).tolist()).toEqual([0, 1, -1]);
      // A negative JS-number exponent still raises (on asynchronous devices at the read): tensor([2]).pow(-1) -> "Integers to negative integer powers are not allowed."
      await expect((async () => (await torch.tensor([2], { device }).pow(-1).data()).length)()).rejects.toThrow('Integers to negative integer powers are not allowed.');
    });

    it('in-place writes into an expanded (overlapping) tensor raise PyTorch\'s error; fill_/zero_ are allowed', async () => {
      const msg = 'unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.';
      const a = F([[1], [2]], device);
      expect(() => a.expand(2, 3).mul_(F([1, 2, 3], device))).toThrow(msg);
      expect(await a.tolist()).toEqual([[1], [2]]); // untouched
      expect(() => F([1, 2], device).expand(3, 2).add_(1)).toThrow(msg);
      expect(() => torch.zeros(2, { device }).expand(2, 2).copy_(F([[1, 2], [3, 4]], device))).toThrow(msg);
      expect(() => torch.zeros(2, { device }).expand(2, 2).clamp_(0, 1)).toThrow(msg);
      expect(() => torch.zeros(2, { device }).expand(2, 2).uniform_()).toThrow(msg);
      // PyTorch allows these: fill_ -> [[1,1],[1,1]], zero_ -> zeros; a size-1 dim with stride 0 does not overlap: [[1,2]].expand(1,2).mul_(2) -> [[2,4]]
      const z = torch.zeros(2, { device });
      expect(await z.expand(2, 2).fill_(1).tolist()).toEqual([[1, 1], [1, 1]]);
      expect(await z.expand(2, 2).fill_(torch.tensor(3, { dtype: 'float32', device })).tolist()).toEqual([[3, 3], [3, 3]]);
      expect(await z.expand(2, 2).zero_().tolist()).toEqual([[0, 0], [0, 0]]);
      expect(await F([[1, 2]], device).expand(1, 2).mul_(2).tolist()).toEqual([[2, 4]]);
      expect(await F([1], device).expand(1).add_(1).tolist()).toEqual([2]);
    });

    it('multinomial refuses invalid probabilities with PyTorch\'s messages', async () => {
      const read = async (f: () => Tensor) => { const t = f(); await t.data(); return t.shape; };
      const bad = 'probability tensor contains either `inf`, `nan` or element < 0';
      await expect(read(() => torch.multinomial(F([NaN, 1], device), 1))).rejects.toThrow(bad);
      await expect(read(() => torch.multinomial(F([Infinity, 1], device), 1))).rejects.toThrow(bad);
      await expect(read(() => torch.multinomial(F([-1, 1], device), 1))).rejects.toThrow(bad);
      await expect(read(() => torch.multinomial(F([-1, 1], device), 3, { replacement: true }))).rejects.toThrow(/invalid multinomial distribution \(encountering probability entry < 0\)|probability tensor contains/);
      await expect(read(() => torch.multinomial(F([0, 0], device), 1))).rejects.toThrow('invalid multinomial distribution (sum of probabilities <= 0)');
      await expect(read(() => torch.multinomial(F([[0, 0], [1, 1]], device), 1))).rejects.toThrow('invalid multinomial distribution (sum of probabilities <= 0)');
      // valid weights still sample
      expect(await torch.multinomial(F([0, 1], device), 2, { replacement: true }).tolist()).toEqual([1, 1]);
    });

    it('errors name the op the user called and say what PyTorch says', async () => {
      expect(() => torch.cat([torch.tensor(1.5, { device }), torch.tensor(2.5, { device })])).toThrow('zero-dimensional tensor (at position 0) cannot be concatenated');
      expect(() => torch.cat([torch.tensor([1.5], { device }), torch.tensor(2.5, { device })])).toThrow('zero-dimensional tensor (at position 1) cannot be concatenated');
      expect(() => torch.cat([[1, 2], [3]] as unknown as Tensor[])).toThrow(/cat.*expected a sequence of Tensors|expected Tensor as element 0/);
      const x = F([[1, 2]], device);
      if (isSynchronous(device)) {
        expect(() => x.indexSelect(1, torch.tensor([-1], { device }))).toThrow(/^indexSelect\(\)/);
        expect(() => torch.zeros(3, { device }).indexAdd_(0, torch.tensor([3], { device }), torch.ones(1, { device }))).toThrow(/^indexAdd/);
        expect(() => F([1, 2, 3], device).index(torch.tensor([[true]], { device }))).toThrow(/^index|shape of the mask/);
      } else {
        await expect(x.indexSelect(1, torch.tensor([2], { device })).data()).rejects.toThrow(/indexSelect/);
        await expect(torch.zeros(3, { device }).indexAdd_(0, torch.tensor([3], { device }), torch.ones(1, { device })).data()).rejects.toThrow(/indexAdd/);
      }
      // PyTorch: "max(): Expected reduction dim 0 to have non-zero size."; max() of an empty tensor names max()
      expect(() => torch.zeros(0, 3, { device }).max(0)).toThrow(/^max\(\): Expected reduction dim 0 to have non-zero size/);
      expect(() => torch.zeros(0, 3, { device }).min(0)).toThrow(/^min\(\)/);
      expect(() => torch.zeros(0, 3, { device }).max()).toThrow(/^max\(\): Expected reduction dim to be specified for input.numel\(\) == 0/);
      expect(() => torch.zeros(0, 3, { device }).min()).toThrow(/^min\(\)/);
    });
  });
}
