// torch.profiler on WebGPU: kernels are recorded per call (enqueue time on the CPU side) and the
// GPU time of the profiled region, from timestamp queries where the adapter has them, is in the footer.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

describe.skipIf(!torch.webgpu.isAvailable())('torch.profiler on webgpu', () => {
  it('records webgpu kernels and sums their GPU time', async () => {
    const info = torch.webgpu.info()!;
    const x = torch.ones([64, 64], { device: 'webgpu' });
    const prof = await torch.profiler.profile({ activities: ['cpu', 'webgpu'] }, async () => {
      const y = x.matmul(x).add(x);
      await torch.webgpu.synchronize();
      return y;
    });
    const avg = prof.keyAverages();
    expect(avg.get('matmul')?.count).toBe(1);
    expect(avg.get('binary.add')?.count).toBe(1);
    expect(prof.events.find((e) => e.name === 'matmul')!.device).toBe('webgpu');
    const gpu = await prof.gpuTime();
    if (!info.timestampQuery) { expect(gpu).toBeNull(); return; }
    expect(gpu!.kernels).toBe(2);
    expect(gpu!.us).toBeGreaterThan(0);
    expect(prof.keyAverages().table()).toMatch(/Self WebGPU time total: [\d.]+(us|ms|s) \(2 kernels/);
  });
});
