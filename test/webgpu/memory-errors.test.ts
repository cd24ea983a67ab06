// WebGPU allocation failures and readback staging: a tensor beyond the device's buffer limit is a
// RangeError at once; an out-of-memory reported by the allocation's error scope (stubbed here: a real
// one cannot be provoked safely on SwiftShader) surfaces at the next read and later work goes on; a
// synchronous createBuffer throw names size and limit; readback staging buffers are pooled and reused,
// never shared by concurrent reads.
import { afterEach, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

const available = torch.webgpu.isAvailable();
const opts = { device: 'webgpu' as const };
const MAP_READ = 0x1;

describe.skipIf(!available)('webgpu allocation errors and readback staging', () => {
  const restore: (() => void)[] = [];
  afterEach(() => { restore.splice(0).forEach((f) => f()); });

  /** Replaces one method of the device until the test ends. */
  function stub<K extends 'popErrorScope' | 'createBuffer'>(name: K, make: (orig: GPUDevice[K]) => GPUDevice[K]): void {
    const dev = (getBackend('webgpu') as WebGPUBackend).gpu;
    const orig = dev[name];
    dev[name] = make(orig.bind(dev) as GPUDevice[K]);
    restore.push(() => { dev[name] = orig; });
  }

  it('a tensor larger than the device allows is a RangeError naming size and limit; work goes on', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    const max = Math.min(b.info.limits.maxBufferSize, b.info.limits.maxStorageBufferBindingSize);
    const n = Math.floor(max / 4) + 1;
    expect(() => torch.empty([n], opts)).toThrow(RangeError);
    expect(() => torch.empty([n], opts)).toThrow(new RegExp(`${n * 4} bytes.*at most ${max} bytes`));
    expect(Array.from(await torch.tensor([1, 2], opts).add(1).data())).toEqual([2, 3]);
  });

  it('an out-of-memory error scope surfaces at the next read, once; the failed buffer is never pooled', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    const x = torch.tensor([1, 2, 3], opts);
    await x.data();
    b.emptyCache(); // the next allocation creates a buffer (no pooled one of its size)
    const before = b.memory().reservedBytes;
    let fail = true;
    stub('popErrorScope', (orig) => async () => {
      const real = await orig();
      if (!fail) return real;
      fail = false;
      return { message: 'stubbed: not enough device memory' } as GPUError;
    });
    const big = torch.empty([300_000], opts); // 1.2 MB: a 2 MiB bucket
    const y = x.mul(2);
    await expect(y.data()).rejects.toThrow(/out of memory allocating a buffer of 2097152 bytes for a tensor of 1200000 bytes; torch\.memory\(\) reports \d+ bytes allocated.*dispose\/tidy/);
    // Reported once; ops after it work.
    expect(Array.from(await x.mul(2).data())).toEqual([2, 4, 6]);
    // The failed 2 MiB buffer left the pool's accounting (a few 256-byte outputs came since).
    expect(b.memory().reservedBytes).toBeLessThan(before + 4096);
    big.dispose();
    expect(b.memory().reservedBytes).toBeLessThan(before + 4096); // and is not pooled when freed
    const again = torch.ones([300_000], opts); // a fresh, valid buffer of the same bucket
    expect((await again.sum().data())[0]).toBe(300_000);
  });

  it('a createBuffer that throws is a RangeError naming size and maxBufferSize at once', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    b.emptyCache();
    stub('createBuffer', (orig) => (d: GPUBufferDescriptor) => {
      if (d.size === 4 << 20) throw new Error('stubbed: allocation too large');
      return orig(d);
    });
    expect(() => torch.empty([1 << 20], opts)).toThrow(RangeError);
    expect(() => torch.empty([1 << 20], opts)).toThrow(new RegExp(`buffer of ${4 << 20} bytes for a tensor of ${4 << 20} bytes \\(device maxBufferSize ${b.info.limits.maxBufferSize} bytes\\): stubbed`));
    restore.splice(0).forEach((f) => f());
    expect(Array.from(await torch.tensor([5], opts).add(1).data())).toEqual([6]);
  });

  it('sequential reads reuse one staging buffer; concurrent reads each get their own', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    const x = torch.tensor([1, 2, 3, 4], opts);
    await x.add(0).data();
    let staged = 0;
    stub('createBuffer', (orig) => (d: GPUBufferDescriptor) => {
      if (d.usage & MAP_READ) staged++;
      return orig(d);
    });
    for (let i = 0; i < 20; i++) expect(Array.from(await x.add(i).data())).toEqual([1 + i, 2 + i, 3 + i, 4 + i]);
    expect(staged).toBe(0);
    // Concurrent: every read in flight holds its own buffer until it has copied its data out.
    const ys = Array.from({ length: 12 }, (_, i) => x.mul(i));
    const got = await Promise.all(ys.map((y) => y.data()));
    got.forEach((g, i) => expect(Array.from(g)).toEqual([i, 2 * i, 3 * i, 4 * i]));
    expect(staged).toBeGreaterThanOrEqual(11); // one was pooled; the rest were created
    expect(b.stagingPooled).toBeLessThanOrEqual(4); // a small pool: the surplus is destroyed
    // Different sizes, in flight together, with strided (gathered) sources.
    const m = torch.arange(0, 600, 1, opts).reshape([20, 30]);
    const [a, t, s] = await Promise.all([m.data(), m.t().contiguous().data(), m.narrow(1, 1, 2).data()]);
    expect(a[599]).toBe(599);
    expect(t[1]).toBe(30);
    expect(Array.from(s.slice(0, 4))).toEqual([1, 2, 31, 32]);
    b.emptyCache();
    expect(b.stagingPooled).toBe(0);
  });
});
