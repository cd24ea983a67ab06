// WebGPU backend specifics: Philox streams equal to the CPU's (same seed, same numbers), errors of
// queued kernels surfacing at the next read, byte-packed bool/uint8 writes through strided views,
// atomic scatter-add, stable argsort, and in-place ops whose input aliases their output.
// Expected values come from the shared Philox reference (src/backends/philox.ts) or plain arithmetic.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import { philoxFill } from '../../src/backends/philox.js';

const available = torch.webgpu.isAvailable();

describe.skipIf(!available)('webgpu backend', () => {
  it('rand/randn after manualSeed equal the CPU backend', async () => {
    for (const n of [1, 7, 1001]) {
      torch.manualSeed(1234);
      const cu = torch.rand([n]).dataSync(), cn = torch.randn([n]).dataSync();
      torch.manualSeed(1234);
      const gu = await torch.rand([n], { device: 'webgpu' }).data(), gn = await torch.randn([n], { device: 'webgpu' }).data();
      expect(Array.from(gu)).toEqual(Array.from(cu)); // 24-bit uniforms: bit-exact
      for (let i = 0; i < n; i++) expect(Math.abs(gn[i]! - cn[i]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(cn[i]!)));
    }
  });

  it('random() matches the Philox reference for 64-bit seeds and counters that carry', async () => {
    const b = getBackend('webgpu');
    const n = 10, seed = 2 ** 40 + 12345, offset = 2 ** 32 - 2;
    const buf = b.alloc(n * 4);
    b.random({ buf, dtype: 'float32', shape: [n], strides: [1], offset: 0 }, 'uniform', seed, offset);
    const got = await b.read({ buf, dtype: 'float32', shape: [n], strides: [1], offset: 0 });
    const want = new Float32Array(n);
    philoxFill(want, 'uniform', seed, offset);
    expect(Array.from(got)).toEqual(Array.from(want));
    b.free(buf);
  });

  it('an out-of-range gather index surfaces as a RangeError at the next read, then the backend recovers', async () => {
    const x = torch.tensor([10, 20, 30], { device: 'webgpu' });
    const bad = torch.gather(x, 0, torch.tensor([0, 5], { dtype: 'int32', device: 'webgpu' }));
    await expect(bad.data()).rejects.toThrow(/gather\(\): index 5 is out of bounds for dimension 0 with size 3/);
    const ok = torch.gather(x, 0, torch.tensor([2, 0], { dtype: 'int32', device: 'webgpu' }));
    expect(Array.from(await ok.data())).toEqual([30, 10]);
  });

  it('bool and uint8 (4 per word) survive strided in-place writes and casts', async () => {
    const m = torch.zeros([3, 5], { dtype: 'bool', device: 'webgpu' });
    m.select(1, 2).fill_(1);
    m.select(0, 1).fill_(1);
    const want = [0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0];
    expect(Array.from(await m.data())).toEqual(want);
    const u = torch.tensor([250, 3, 7], { dtype: 'uint8', device: 'webgpu' });
    expect(Array.from(await u.add(u).data())).toEqual([244, 6, 14]); // wraps mod 256
    expect(Array.from(await torch.tensor([-1.5, 0, 0.25, 2], { device: 'webgpu' }).to('bool').data())).toEqual([1, 0, 1, 1]);
  });

  it('scatterAdd accumulates duplicate indices (float32 and int32)', async () => {
    const idx = torch.tensor([0, 1, 0, 0, 2, 1], { dtype: 'int32', device: 'webgpu' });
    const f = torch.zeros([3], { device: 'webgpu' }).scatterAdd(0, idx, torch.tensor([1, 2, 3, 4, 5, 6], { device: 'webgpu' }));
    expect(Array.from(await f.data())).toEqual([8, 8, 5]);
    const i = torch.zeros([3], { dtype: 'int32', device: 'webgpu' }).scatterAdd(0, idx, torch.tensor([1, 2, 3, 4, 5, 6], { dtype: 'int32', device: 'webgpu' }));
    expect(Array.from(await i.data())).toEqual([8, 8, 5]);
  });

  it('argsort is stable and puts NaN last (first when descending)', async () => {
    const x = torch.tensor([3, NaN, 1, 3, 2, 1], { device: 'webgpu' });
    expect(Array.from(await torch.argsort(x).data())).toEqual([2, 5, 4, 0, 3, 1]);
    expect(Array.from(await torch.argsort(x, -1, true).data())).toEqual([1, 0, 3, 4, 2, 5]);
  });

  it('in-place ops whose input is their output', async () => {
    const x = torch.tensor([1, 2, 3], { device: 'webgpu' });
    x.add_(x);
    x.mul_(x);
    expect(Array.from(await x.data())).toEqual([4, 16, 36]);
  });

  it('reductions over many elements, trailing dims and empty inputs', async () => {
    const n = 5000;
    const x = torch.arange(n, { device: 'webgpu' }).reshape([2, 2500]);
    expect(Array.from(await x.sum(1).data())).toEqual([2499 * 2500 / 2, (2500 + 4999) * 2500 / 2]);
    expect(Array.from(await x.argmax(1).data())).toEqual([2499, 2499]);
    expect(Array.from(await torch.zeros([0], { device: 'webgpu' }).sum().data())).toEqual([0]);
  });

  it('buffers return to the pool', () => {
    const before = torch.memory().webgpu!;
    const t = torch.zeros([1000], { device: 'webgpu' });
    expect(torch.memory().webgpu!.allocatedBytes).toBe(before.allocatedBytes + 4000);
    t.dispose();
    expect(torch.memory().webgpu!.allocatedBytes).toBe(before.allocatedBytes);
  });
});

describe.skipIf(!available)('webgpu integer errors', () => {
  it('integer division by zero raises at the next read; negative integer powers of a tensor exponent are 0 (PyTorch 1.13)', async () => {
    const a = torch.tensor([4, 5], { dtype: 'int32', device: 'webgpu' });
    const z = torch.tensor([2, 0], { dtype: 'int32', device: 'webgpu' });
    await expect(torch.floorDivide(a, z).data()).rejects.toThrow(/ZeroDivisionError/);
    // torch.tensor([4, 5]).pow(torch.tensor([1, -1])) -> tensor([4, 0]); a JS-number -1 is PyTorch's error
    expect(Array.from(await torch.pow(a, torch.tensor([1, -1], { dtype: 'int32', device: 'webgpu' })).data())).toEqual([4, 0]);
    await expect((async () => torch.pow(a, -1).data())()).rejects.toThrow(/negative integer powers/);
    expect(Array.from(await torch.floorDivide(torch.tensor([-7, 7], { dtype: 'int32', device: 'webgpu' }), 2).data())).toEqual([-4, 3]);
  });
});

describe.skipIf(!available)('webgpu pool', () => {
  it('emptyCache releases free buffers and keeps live ones working', async () => {
    const b = getBackend('webgpu') as import('../../src/backends/webgpu/index.js').WebGPUBackend;
    const keep = torch.tensor([1, 2, 3], { device: 'webgpu' });
    torch.zeros([4096], { device: 'webgpu' }).dispose();
    const before = b.memory().reservedBytes;
    b.emptyCache();
    expect(b.memory().reservedBytes).toBeLessThan(before);
    expect(Array.from(await keep.add(1).data())).toEqual([2, 3, 4]);
  });
  it('torch.webgpu.emptyCache() is the public way to it', async () => {
    const b = getBackend('webgpu') as import('../../src/backends/webgpu/index.js').WebGPUBackend;
    torch.zeros([4096], { device: 'webgpu' }).dispose();
    const before = b.memory().reservedBytes;
    torch.webgpu.emptyCache();
    expect(b.memory().reservedBytes).toBeLessThan(before);
  });
});

describe.skipIf(!available)('webgpu ordering and long sorts', () => {
  it('a tensor disposed while queued work still reads it keeps its data for that work', async () => {
    const outs: import('../../src/index.js').Tensor[] = [];
    for (let r = 0; r < 20; r++) {
      const a = torch.full([8], r, { device: 'webgpu' }), b = torch.full([8], 0.5, { device: 'webgpu' });
      const c = a.add(b);
      // Their buffers are reused at once (by the next op's output and scratch): the queued add must
      // still see r and 0.5.
      a.dispose(); b.dispose();
      outs.push(c, c.mul(2));
    }
    for (let r = 0; r < 20; r++) {
      expect(Array.from(await outs[2 * r]!.data())).toEqual(new Array(8).fill(r + 0.5));
      expect(Array.from(await outs[2 * r + 1]!.data())).toEqual(new Array(8).fill(2 * r + 1));
    }
  });

  it('argsort of long rows (bitonic path) equals a stable sort, ties and NaN included', async () => {
    const L = 1000, rows = 3;
    const vals: number[] = [];
    for (let i = 0; i < rows * L; i++) vals.push(i % 97 === 0 ? NaN : ((i * 7919) % 50) - 25);
    const x = torch.tensor(vals, { device: 'webgpu' }).reshape([rows, L]);
    for (const desc of [false, true]) {
      const got = Array.from(await torch.argsort(x, -1, desc).data());
      for (let r = 0; r < rows; r++) {
        const row = vals.slice(r * L, (r + 1) * L);
        const key = (v: number) => (Number.isNaN(v) ? Infinity : v); // NaN largest; no inf in the data
        const want = row.map((_, i) => i).sort((a, b) => (desc ? key(row[b]!) - key(row[a]!) : key(row[a]!) - key(row[b]!)) || a - b);
        expect(got.slice(r * L, (r + 1) * L)).toEqual(want);
      }
    }
  });
});
