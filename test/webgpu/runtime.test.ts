// WebGPU runtime mechanics: every kernel binds at most 8 storage buffers (WebGPU's default
// maxStorageBuffersPerShaderStage, the only value we can count on) and dispatch refuses wider ones
// by name; the metadata ring packs many dispatches per batch (and submits early when a chunk fills)
// without dispatches seeing each other's metadata; optional features are reported, never required.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

const available = torch.webgpu.isAvailable();
const opts = { device: 'webgpu' as const };

describe.skipIf(!available)('webgpu runtime', () => {
  it('every kernel of a broad workload binds at most 8 storage buffers', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 8, 8], opts).requiresGrad_();
    const w = torch.randn([4, 3, 3, 3], opts).requiresGrad_();
    const y = torch.nn.functional.conv2d(x, w, null, { padding: 1 }).relu();
    const z = torch.nn.functional.layerNorm(y, [8]).softmax(-1);
    const loss = torch.where(z.gt(0.1), z, z.mul(2)).sum().add(torch.matmul(y.flatten(1), y.flatten(1).t()).mean());
    loss.backward();
    const i = torch.tensor([7, 3, 9], { dtype: 'int32', device: 'webgpu' });
    const idx = torch.tensor([0, 2, 0], { dtype: 'int32', device: 'webgpu' });
    const outs = [
      x.grad!, w.grad!, i.div(torch.tensor([2, 1, 3], { dtype: 'int32', device: 'webgpu' }), { roundingMode: 'floor' }),
      torch.zeros([3], opts).scatterAdd(0, idx, torch.ones([3], opts)), torch.gather(i, 0, idx),
      torch.argsort(torch.randn([3, 300], opts), -1), torch.cumsum(i, 0), torch.ones([5], { dtype: 'float16', device: 'webgpu' }).mul(3),
      torch.rand([10], opts), torch.arange(0, 10, 1, opts), torch.randn([8, 8], opts).max(1).values,
    ];
    for (const o of outs) await o.data();
    expect(b.storageBindings.size).toBeGreaterThan(20);
    const wide = [...b.storageBindings].filter(([, n]) => n > 8);
    expect(wide).toEqual([]);
    expect(Math.max(...b.storageBindings.values())).toBeLessThanOrEqual(b.info.limits.maxStorageBuffersPerShaderStage);
  });

  it('a kernel wider than the device limit is refused at dispatch, naming the kernel', () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    const limits = b.info.limits, saved = limits.maxStorageBuffersPerShaderStage;
    for (const k of [...b.storageBindings.keys()]) if (k.startsWith('where')) b.storageBindings.delete(k);
    const c = torch.tensor([true, false], { dtype: 'bool', device: 'webgpu' }), a = torch.ones([2], opts);
    limits.maxStorageBuffersPerShaderStage = 4; // where binds 5: metadata, out, cond, a, b
    try {
      expect(() => torch.where(c, a, a.mul(2))).toThrow(/kernel where.* binds 5 storage buffers; the device allows 4/);
    } finally { limits.maxStorageBuffersPerShaderStage = saved; }
  });

  it('many dependent dispatches per batch read only their own metadata, across early submits', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    await torch.webgpu.synchronize();
    // 7-d broadcasts carry large metadata records; 600 of them overflow the 256-dispatch batch and
    // (at 256-byte slots) come close to filling a chunk, while every op depends on the previous one.
    let z = torch.zeros([1, 2, 1, 2, 1, 2, 3], opts);
    const one = torch.ones([2, 1, 2, 1, 2, 1, 1], opts).narrow(0, 0, 1);
    for (let k = 0; k < 600; k++) z = k % 2 ? z.add(one) : z.mul(1);
    const small = torch.arange(0, 5, 1, opts);
    let s = small;
    for (let k = 0; k < 300; k++) s = s.add(k % 3);
    const [zd, sd] = await Promise.all([z.data(), s.data()]);
    expect(z.shape).toEqual([1, 2, 2, 2, 2, 2, 3]);
    expect(Array.from(zd)).toEqual(new Array(96).fill(300));
    expect(Array.from(sd)).toEqual([0, 1, 2, 3, 4].map((v) => v + 300));
    expect(b.memory().buffers).toBeGreaterThan(0);
  });

  it('a metadata chunk that fills submits its batch early; a record larger than a chunk grows it', async () => {
    const b = getBackend('webgpu') as WebGPUBackend;
    const saved = b.metaChunkBytes;
    try {
      b.metaChunkBytes = 4 * 256; // four 256-byte slots per batch
      let s = torch.arange(0, 5, 1, opts);
      for (let k = 0; k < 50; k++) s = s.add(1);
      expect(Array.from(await s.data())).toEqual([50, 51, 52, 53, 54]);
      b.metaChunkBytes = 16; // smaller than one slot
      let t = torch.ones([2, 3], opts);
      for (let k = 0; k < 20; k++) t = t.mul(2);
      expect(b.metaChunkBytes).toBeGreaterThanOrEqual(b.info.limits.minStorageBufferOffsetAlignment);
      expect(Array.from(await t.data())).toEqual(new Array(6).fill(2 ** 20));
    } finally { b.metaChunkBytes = saved; }
  });

  it('reports optional features as booleans; none is required', () => {
    const info = torch.webgpu.info()!;
    for (const f of [info.shaderF16, info.timestampQuery, info.subgroups]) expect(typeof f).toBe('boolean');
  });
});
