// torch.profiler on WebGPU: kernels are recorded per call (enqueue time on the CPU side); where the
// adapter has timestamp queries, each kernel's GPU time is attributed to its event (and summed into
// the ops above it) and the region's total is in the footer.
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
    // Per kernel: each event's GPU time, and the two add up to the total.
    const mm = prof.events.findIndex((e) => e.name === 'matmul'), add = prof.events.findIndex((e) => e.name === 'binary.add');
    expect(gpu!.byEvent.get(mm)).toBeGreaterThan(0);
    expect(gpu!.byEvent.get(add)).toBeGreaterThan(0);
    expect(gpu!.byEvent.get(mm)! + gpu!.byEvent.get(add)!).toBeCloseTo(gpu!.us, 6);
    const after = prof.keyAverages();
    expect(after.get('matmul')!.selfDeviceTimeTotal).toBeCloseTo(gpu!.byEvent.get(mm)!, 6);
    expect(after.table()).toMatch(/Self WebGPU\s+WebGPU total/);
    const trace = JSON.parse(prof.chromeTrace()) as { traceEvents: { name: string; args: { gpu_us?: number } }[] };
    expect(trace.traceEvents.find((e) => e.name === 'matmul')!.args.gpu_us).toBeCloseTo(gpu!.byEvent.get(mm)!, 6);
  });

  it('attributes kernel GPU time to the composite ops that ran them', async () => {
    if (!torch.webgpu.info()!.timestampQuery) return; // covered by the test above
    const x = torch.randn([8, 16], { device: 'webgpu' }), w = torch.randn([4, 16], { device: 'webgpu' }), b = torch.randn([4], { device: 'webgpu' });
    const prof = await torch.profiler.profile({}, () => torch.nn.functional.linear(x, w, b).relu());
    const gpu = (await prof.gpuTime())!;
    const avg = prof.keyAverages();
    const lin = avg.get('linear')!;
    const kids = prof.events.map((e, i) => [e, i] as const).filter(([e]) => e.parent === prof.events.findIndex((p) => p.name === 'linear'));
    expect(kids.length).toBeGreaterThan(0);
    const sum = kids.reduce((s, [, i]) => s + (gpu.byEvent.get(i) ?? 0), 0);
    expect(lin.selfDeviceTimeTotal).toBe(0);
    expect(lin.deviceTimeTotal).toBeCloseTo(sum, 6);
    expect(lin.deviceTimeTotal).toBeGreaterThan(0);
    expect(avg.rows.reduce((s, r) => s + r.selfDeviceTimeTotal, 0)).toBeCloseTo(gpu.us, 6);
  });
});
