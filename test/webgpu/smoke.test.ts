// WebGPU smoke test: device acquisition, host round trips for every supported dtype, add and matmul
// against the CPU backend. Without an adapter it fails in CI (CI=true) and warns loudly elsewhere.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const available = torch.webgpu.isAvailable();
if (!available) {
  if (process.env.CI === 'true') throw new Error('webgpu smoke test: no WebGPU adapter found in CI');
  console.warn('\n*** WEBGPU NOT AVAILABLE: skipping test/webgpu (install the optional `webgpu` package or a Vulkan driver) ***\n');
}

describe.skipIf(!available)('webgpu smoke', () => {
  it('round-trips float32, int32, uint8 and bool tensors', async () => {
    const f = torch.tensor([1.5, -2, 3.25, 1e-8, -0], { device: 'webgpu' });
    expect(Array.from(await f.data())).toEqual([1.5, -2, 3.25, Math.fround(1e-8), -0]);
    const i = torch.tensor([1, -7, 2147483647], { dtype: 'int32', device: 'webgpu' });
    expect(Array.from(await i.data())).toEqual([1, -7, 2147483647]);
    const u = torch.tensor([0, 1, 255, 7, 9], { dtype: 'uint8', device: 'webgpu' });
    expect(Array.from(await u.data())).toEqual([0, 1, 255, 7, 9]);
    const b = torch.tensor([true, false, true], { device: 'webgpu' });
    expect(b.dtype).toBe('bool');
    expect(Array.from(await b.data())).toEqual([1, 0, 1]);
  });

  it('moves tensors between devices (to is sync CPU->GPU, torch.toAsync GPU->CPU)', async () => {
    const x = torch.arange(6).reshape([2, 3]).to('webgpu');
    expect(x.device).toBe('webgpu');
    expect(() => x.dataSync()).toThrow(/asynchronous/);
    const back = await torch.toAsync(x, 'cpu');
    expect(back.device).toBe('cpu');
    expect(Array.from(back.dataSync())).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('strided reads: transposed and sliced views', async () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]], { device: 'webgpu' });
    expect(Array.from(await x.t().data())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(await x.select(1, 2).data())).toEqual([3, 6]);
  });

  it('add with broadcasting and matmul match the CPU backend', async () => {
    torch.manualSeed(1);
    const a = torch.randn([5, 7]), b = torch.randn([7, 3]), c = torch.randn([3]);
    const ga = a.to('webgpu'), gb = b.to('webgpu'), gc = c.to('webgpu');
    const want = a.matmul(b).add(c).dataSync();
    const got = await ga.matmul(gb).add(gc).data();
    expect(got.length).toBe(want.length);
    for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 5);
    // A larger, transposed operand crosses several 64x64 tiles.
    const p = torch.randn([70, 130]), q = torch.randn([90, 130]);
    const w2 = p.matmul(q.t()).dataSync();
    const g2 = await p.to('webgpu').matmul(q.to('webgpu').t()).data();
    let worst = 0;
    for (let k = 0; k < w2.length; k++) worst = Math.max(worst, Math.abs(g2[k]! - w2[k]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('float64 is rejected with a clear error', () => {
    expect(() => torch.tensor([1, 2], { dtype: 'float64', device: 'webgpu' })).toThrow(/float64 is not supported on webgpu/);
  });
});
