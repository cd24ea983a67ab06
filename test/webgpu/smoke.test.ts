// WebGPU smoke test: device acquisition, host round trips for every supported dtype, add and matmul
// against the CPU backend. Without an adapter one explicit test fails in CI (CI=true); elsewhere a
// loud warning says the device matrix is CPU-only.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const available = torch.webgpu.isAvailable();
const ci = process.env.CI === 'true';
if (!available && !ci) {
  console.warn('\n*** WEBGPU NOT AVAILABLE: every suite runs on the CPU only, test/webgpu is skipped (install the optional `webgpu` package and a Vulkan driver, e.g. SwiftShader from Debian\'s chromium) ***\n');
}

// In CI the device matrix must include WebGPU (test/helpers.ts testDevices): its absence is a failure.
describe.runIf(!available && ci)('webgpu availability in CI', () => {
  it('a WebGPU adapter is available', () => {
    expect.fail('no WebGPU adapter: the `webgpu` npm package (Dawn) did not load or found no Vulkan driver '
      + '(VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json needs Debian\'s chromium), so the suites ran on the CPU only');
  });
});

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
    // The method the sync path's error names, with a dtype on the way.
    expect(() => x.cpu()).toThrow(`copying a tensor from 'webgpu' to 'cpu' needs a device read; use 'await t.toAsync("cpu")'`);
    const wide = await x.toAsync('cpu', { dtype: 'float64' });
    expect([wide.device, wide.dtype]).toEqual(['cpu', 'float64']);
    expect(Array.from(wide.dataSync())).toEqual([0, 1, 2, 3, 4, 5]);
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
