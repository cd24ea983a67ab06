// torch.utils.checkpoint: a checkpointed block gives PyTorch 1.13's output and gradients
// (test/fixtures/functional_autograd.json, case 'checkpoint', use_reentrant=False) and the same
// gradients as the plain run, dropout included (the recomputation replays the forward's random
// state); parameters reached only through the closure get gradients; autograd.grad works; the
// forward saves no activations; checkpointSequential matches the plain Sequential. Every test device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, fromEncoded, testDevices, torch, type Encoded } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';

const nn = torch.nn;
const { checkpoint, checkpointSequential } = torch.utils.checkpoint;
interface CkCase { state: Record<string, Encoded>; x: Encoded; gout: Encoded; out: Encoded; grads: Record<string, Encoded>; reentrantGradError: string }
const fx = JSON.parse(readFileSync(new URL('../fixtures/functional_autograd.json', import.meta.url), 'utf8')) as { cases: { checkpoint: CkCase } };
const c = fx.cases.checkpoint;
const tol = { atol: 1e-5, rtol: 1e-4 };

class Block extends nn.Module {
  l1 = new nn.Linear(4, 5);
  l2 = new nn.Linear(5, 3);
  drop: InstanceType<typeof nn.Dropout> | null = null;
  forward(t: Tensor): Tensor {
    const h = this.l1.call(t).tanh();
    return this.l2.call(this.drop ? this.drop.call(h) : h);
  }
}
function block(device: Device, dropout = 0): Block {
  const b = new Block();
  if (dropout) b.drop = new nn.Dropout(dropout);
  b.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, e]) => [k, fromEncoded(e, 'cpu')])));
  return b.to(device);
}
const values = async (ts: (Tensor | null)[]): Promise<number[][]> => Promise.all(ts.map(async (t) => Array.from(await t!.data())));

for (const device of testDevices()) {
  describe(`checkpoint on ${device}`, () => {
    for (const useReentrant of [false, true]) {
      it(`output and gradients equal PyTorch's (useReentrant: ${useReentrant})`, async () => {
        const b = block(device);
        const x = fromEncoded(c.x, device, true);
        const out = checkpoint((t: Tensor) => b.call(t), x, { useReentrant });
        expect(out.requiresGrad).toBe(true);
        expect(out.gradFn!.name).toBe('Checkpoint');
        await expectClose(out, c.out, tol, 'out');
        out.mul(fromEncoded(c.gout, device)).sum().backward();
        await expectClose(x.grad!, c.grads.x!, tol, 'x.grad');
        for (const [k, p] of b.namedParameters()) await expectClose(p.grad!, c.grads[k]!, tol, `${k}.grad`);
      });
    }

    it('with dropout: gradients equal the plain run with the same seed', async () => {
      const b = block(device, 0.5);
      const x = fromEncoded(c.x, device, true);
      const gout = fromEncoded(c.gout, device);
      torch.manualSeed(7);
      const plain = b.call(x);
      plain.mul(gout).sum().backward();
      const want = await values([plain, x.grad, ...b.parameters().map((p) => p.grad)]);
      x.grad = null; b.zeroGrad();
      torch.manualSeed(7);
      const ck = checkpoint((t: Tensor) => b.call(t), x);
      torch.rand(5); // random ops between forward and backward must not change the replayed masks
      ck.mul(gout).sum().backward();
      const got = await values([ck, x.grad, ...b.parameters().map((p) => p.grad)]);
      got.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 5)));
    });

    it('under autocast: the recomputation runs under the forward\'s autocast state (backward outside the region)', async () => {
      const b = block(device, 0);
      const x = fromEncoded(c.x, device, true);
      const plain = torch.autocast({ deviceType: device }, () => b.call(x));
      plain.float().sum().backward();
      const want = await values([plain.float(), x.grad, ...b.parameters().map((p) => p.grad)]);
      x.grad = null; b.zeroGrad();
      const ck = torch.autocast({ deviceType: device }, () => checkpoint((t: Tensor) => b.call(t), x));
      expect(ck.dtype).toBe('float16');
      ck.float().sum().backward();
      const got = await values([ck.float(), x.grad, ...b.parameters().map((p) => p.grad)]);
      got.forEach((g, i) => g.forEach((v, j) => expect(v).toBe(want[i]![j]!)));
    });

    it('an input that needs no grad: parameters still get gradients (non-reentrant), autograd.grad works', async () => {
      const b = block(device);
      const x = fromEncoded(c.x, device);
      const out = checkpoint((t: Tensor) => b.call(t), x);
      const loss = out.mul(fromEncoded(c.gout, device)).sum();
      const [gw] = torch.autograd.grad(loss, b.l1.weight);
      await expectClose(gw!, c.grads['l1.weight']!, tol, 'l1.weight grad');
      expect(b.l1.weight.grad).toBeNull();
    });

    it('reentrant: without an input requiring grad the output does not require grad', () => {
      const b = block(device);
      const out = checkpoint((t: Tensor) => b.call(t), fromEncoded(c.x, device), { useReentrant: true });
      expect(out.requiresGrad).toBe(false);
    });

    it("reentrant: autograd.grad is refused with PyTorch's error", () => {
      const x = fromEncoded(c.x, device, true);
      const out = checkpoint((t: Tensor) => t.exp(), x, { useReentrant: true });
      expect(() => torch.autograd.grad(out.sum(), x)).toThrow(c.reentrantGradError);
    });

    it('a recomputation that differs from the forward (shape) is an error', () => {
      const x = fromEncoded(c.x, device, true);
      let calls = 0;
      const out = checkpoint((t: Tensor) => (calls++ === 0 ? t.exp() : t.exp().sum(0)), x);
      expect(() => out.sum().backward()).toThrow(/Recomputed values have different metadata than during the forward pass[\s\S]*position 0:\nsaved metadata: \{shape: \[2, 4\]/);
    });

    it('a torch.compile function inside checkpoint gets its gradients', async () => {
      const x = fromEncoded(c.x, device, true);
      const f = torch.compile((t: Tensor) => t.exp().mul(2));
      checkpoint(f, x).sum().backward();
      const want = Array.from(await x.detach().exp().mul(2).data());
      Array.from(await x.grad!.data()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    });

    it('checkpointSequential equals the plain Sequential', async () => {
      torch.manualSeed(3);
      const seq = new nn.Sequential(new nn.Linear(4, 6), new nn.Tanh(), new nn.Linear(6, 6), new nn.ReLU(), new nn.Linear(6, 2)).to(device);
      const x = fromEncoded(c.x, device, true);
      const plain = seq.call(x);
      plain.sum().backward();
      const want = await values([plain, x.grad, ...seq.parameters().map((p) => p.grad)]);
      x.grad = null; seq.zeroGrad();
      const out = checkpointSequential(seq, 2, x);
      out.sum().backward();
      const got = await values([out, x.grad, ...seq.parameters().map((p) => p.grad)]);
      got.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 5)));
    });
  });
}

describe('checkpoint memory (CPU)', () => {
  it('the forward keeps only the inputs: fewer live bytes until backward than the plain run', () => {
    const width = 256, depth = 8;
    torch.manualSeed(0);
    const layers = Array.from({ length: depth }, () => new nn.Linear(width, width));
    const run = (t: Tensor) => layers.reduce((h, l) => l.call(h).tanh(), t);
    const x = torch.randn(64, width).requiresGrad_();
    const live = () => torch.memory('cpu').allocatedBytes;
    const base = live();
    const plain = run(x).sum();
    const plainBytes = live() - base;
    plain.backward();
    x.grad = null;
    for (const l of layers) l.zeroGrad();
    const base2 = live();
    const ck = checkpoint(run, x).sum();
    const ckBytes = live() - base2;
    ck.backward();
    // Plain: 2 activations of 64x256 float32 per layer are saved (64 KiB each); checkpointed: none.
    expect(plainBytes).toBeGreaterThan(depth * 64 * 1024);
    expect(ckBytes).toBeLessThan(plainBytes / 4);
    for (const l of layers) expect(l.weight.grad).not.toBeNull();
  });
});
