// Forms that ported PyTorch 1.13 scripts use and torchlet lacked (found by porting sequence, vision and
// generative scripts): rnn.unpadSequence / unpackSequence, PackedSequence.to and its casts, RNN
// flattenParameters / allWeights, Transformer#generateSquareSubsequentMask on an instance, and the
// torch.cuda.amp / torch.cpu.amp spellings; PyTorch's `.data` habits get an error saying what to write. Expected values are PyTorch's (the calls in the comments).

import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';

const { nn } = torch;
const R = nn.utils.rnn;
const vals = async (ts: torch.Tensor[]) => Promise.all(ts.map((t) => t.tolist()));

describe('PyTorch habits from ported scripts', () => {
  it('unpadSequence and unpackSequence invert padSequence and packSequence', async () => {
    const a = torch.tensor([1.5, 2, 3]), b = torch.tensor([4.5, 5]), c = torch.tensor([6.5]);
    // unpad_sequence(pad_sequence([a, b, c]), tensor([3, 2, 1])) -> [a, b, c]; batch_first too
    expect(await vals(R.unpadSequence(R.padSequence([a, b, c]), torch.tensor([3, 2, 1])))).toEqual([[1.5, 2, 3], [4.5, 5], [6.5]]);
    expect(await vals(R.unpadSequence(R.padSequence([a, b, c], { batchFirst: true }), [3, 2, 1], true))).toEqual([[1.5, 2, 3], [4.5, 5], [6.5]]);
    // unpack_sequence(pack_sequence([b, a, c], enforce_sorted=False)) -> [b, a, c]
    expect(await vals(R.unpackSequence(R.packSequence([b, a, c], { enforceSorted: false })))).toEqual([[4.5, 5], [1.5, 2, 3], [6.5]]);
  });
  it('PackedSequence.to / double / float / cpu cast its data and keep the packing', async () => {
    const ps = R.packSequence([torch.tensor([4.5, 5]), torch.tensor([1.5, 2, 3])], { enforceSorted: false });
    // ps.to(torch.float64).data.dtype -> float64; ps.double().data.dtype -> float64; ps.is_cuda -> False
    const d = ps.to('float64');
    expect(d.data.dtype).toBe('float64');
    expect(ps.double().data.dtype).toBe('float64');
    expect(d.float().data.dtype).toBe('float32');
    expect(ps.cpu()).toBe(ps);
    expect(ps.isCuda).toBe(false);
    expect(await vals(R.unpackSequence(d))).toEqual([[4.5, 5], [1.5, 2, 3]]);
  });
  it("RNN flattenParameters is a no-op and allWeights lists each layer's parameters as PyTorch", () => {
    const l = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    l.flattenParameters();
    // nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2).all_weights shapes:
    // [[16,3],[16,2],[16],[16],[2,4]] x2 (layer 0, both directions), then [[16,4],[16,2],[16],[16],[2,4]] x2
    expect(l.allWeights.map((w) => w.map((p) => p.shape))).toEqual([
      [[16, 3], [16, 2], [16], [16], [2, 4]], [[16, 3], [16, 2], [16], [16], [2, 4]],
      [[16, 4], [16, 2], [16], [16], [2, 4]], [[16, 4], [16, 2], [16], [16], [2, 4]]]);
    expect(l.allWeights[0]![0]).toBe(l.weight_ih_l0);
    expect(new nn.GRU(2, 3, { bias: false }).allWeights.map((w) => w.length)).toEqual([2]);
  });
  it('generateSquareSubsequentMask works on a Transformer instance too', async () => {
    const m = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1 });
    // m.generate_square_subsequent_mask(3) -> [[0, -inf, -inf], [0, 0, -inf], [0, 0, 0]]
    expect(await m.generateSquareSubsequentMask(3).tolist()).toEqual([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]);
  });
  it('torch.cuda.amp and torch.cpu.amp: autocast and GradScaler with the device fixed', () => {
    const scaler = new torch.cuda.amp.GradScaler({ enabled: false });
    expect(scaler.isEnabled()).toBe(false);
    expect(scaler).toBeInstanceOf(torch.amp.GradScaler);
    expect(() => new torch.cuda.amp.GradScaler({ enabeld: false } as never)).toThrow("GradScaler: unknown option 'enabeld' (did you mean 'enabled'?)");
    const x = torch.randn([2, 3]), w = torch.randn([3, 3]);
    // torch.cpu.amp.autocast(dtype=torch.float16) on the CPU: matmul runs in float16 (torchlet's CPU autocast takes float16)
    expect(torch.cpu.amp.autocast({ dtype: 'float16' }, () => torch.matmul(x, w)).dtype).toBe('float16');
    expect(torch.cpu.amp.autocast({ enabled: false }, () => torch.matmul(x, w)).dtype).toBe('float32');
    expect(torch.cuda.amp.autocast({ enabled: false }, () => torch.matmul(x, w)).dtype).toBe('float32');
  });
  it("PyTorch's `p.data = t` and `p.data.mul_()` are errors that say what to write (data is the async read here), not a silent no-op", async () => {
    const lin = new nn.Linear(2, 2);
    const before = await lin.weight.tolist();
    expect(() => { (lin.weight as unknown as { data: unknown }).data = torch.zeros([2, 2]); }).toThrow('write torch.noGrad(() => p.copy_(t)) (same shape)');
    expect(() => (lin.weight.data as unknown as { mul_(x: number): void }).mul_(0.9)).toThrow('write t.detach().mul_(...)');
    expect(await lin.weight.tolist()).toEqual(before);
    expect((await lin.weight.data()).length).toBe(4);
    torch.noGrad(() => lin.weight.copy_(torch.zeros([2, 2])));
    expect(await lin.weight.tolist()).toEqual([[0, 0], [0, 0]]);
  });
  it("activations and dropout take PyTorch's positional inplace flag (nn.ReLU(True), nn.LeakyReLU(0.2, True)) and give the out-of-place values", async () => {
    const x = torch.tensor([[-1.5, 2.5]]);
    // nn.ReLU(True)(x) -> [[0., 2.5]]; nn.LeakyReLU(0.2, True)(x) -> [[-0.3, 2.5]]; nn.Hardtanh(-1, 1, True)(x) -> [[-1., 1.]]
    expect(await new nn.ReLU(true).call(x.clone()).tolist()).toEqual([[0, 2.5]]);
    expect(((await new nn.LeakyReLU(0.2, true).call(x.clone()).tolist()) as number[][])[0]![0]).toBeCloseTo(-0.3, 6);
    expect(await new nn.Hardtanh(-1, 1, true).call(x.clone()).tolist()).toEqual([[-1, 1]]);
    // repr(nn.ReLU(True)) -> ReLU(inplace=True); nn.LeakyReLU(0.2, True) -> LeakyReLU(negative_slope=0.2, inplace=True); ...
    expect([new nn.ReLU(true), new nn.ReLU(), new nn.LeakyReLU(0.2, true), new nn.ELU(1, { inplace: true }), new nn.Hardtanh(-1, 1, true),
      new nn.Dropout(0.5, true), new nn.Dropout2d(0.1), new nn.SELU(true), new nn.Hardswish(true)].map((m) => m.toString())).toEqual([
      'ReLU(inplace=True)', 'ReLU()', 'LeakyReLU(negative_slope=0.2, inplace=True)', 'ELU(alpha=1.0, inplace=True)',
      'Hardtanh(min_val=-1.0, max_val=1.0, inplace=True)', 'Dropout(p=0.5, inplace=True)', 'Dropout2d(p=0.1, inplace=False)', 'SELU(inplace=True)', 'Hardswish()']);
    const d = new nn.Dropout(0.5, true);
    d.eval();
    expect(await d.call(x).tolist()).toEqual([[-1.5, 2.5]]);
  });
  it("loadStateDict's result prints as PyTorch's; Tensor.to(device, dtype) positional", () => {
    const m = new nn.Linear(2, 2);
    // str(m.load_state_dict(m.state_dict())) -> <All keys matched successfully>
    expect(String(m.loadStateDict(m.stateDict()))).toBe('<All keys matched successfully>');
    // str(m.load_state_dict({'weight': m.weight}, strict=False)) -> _IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
    const r = m.loadStateDict({ weight: m.weight }, { strict: false });
    expect(String(r)).toBe("_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])");
    expect(r).toEqual({ missingKeys: ['bias'], unexpectedKeys: [] });
    // torch.ones(2).to('cpu', torch.float64).dtype -> torch.float64
    expect(torch.ones([2]).to('cpu', 'float64').dtype).toBe('float64');
    expect(torch.ones([2]).to('cpu', torch.float64).dtype).toBe('float64');
  });
});
