// torch.cuda with devices: the emulated addon (`npm run build:cuda -- --emulate`, two devices of
// 1 GiB here) stands in for GPUs, so device indices, properties, memory statistics and mixed-device
// errors are tested without one. It proves nothing about a real driver: bench/gpu.sh runs on a GPU.
// The emulator must be built: a missing build fails in CI (CI=true) and is a loud skip elsewhere.

import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';

// Set before torchlet is imported and initialised (vitest runs each file in its own process).
process.env.TORCHLET_CUDA_EMULATE = '1';
process.env.TORCHLET_CUDA_EMULATE_DEVICES = '2';
process.env.TORCHLET_CUDA_EMULATE_MEMORY = String(2 ** 30);
const torch = await import('../../src/index.js');

const built = existsSync('native-cuda/build/torchlet_cuda_emu.node');
if (!built) {
  if (process.env.CI === 'true') throw new Error('native-cuda/build/torchlet_cuda_emu.node is missing: CI must run `npm run build:cuda -- --emulate` first');
  console.warn('\n*** SKIPPING the emulated CUDA API tests: build the emulator with `npm run build:cuda -- --emulate` ***\n');
}
const MiB = 2 ** 20;

describe.runIf(built)('torch.cuda on the emulated addon (two devices)', () => {
  beforeAll(async () => { await torch.init(); });

  it('two devices, named and described', () => {
    expect(torch.cuda.unavailableReason()).toBeNull();
    expect(torch.cuda.isAvailable()).toBe(true);
    expect(torch.cuda.deviceCount()).toBe(2);
    expect(torch.cuda.currentDevice()).toBe(0);
    for (const d of [undefined, 0, 1, 'cuda', 'cuda:0', 'cuda:1'] as const) expect(torch.cuda.getDeviceName(d)).toMatch(/emulator/);
    const p = torch.cuda.getDeviceProperties('cuda:1');
    expect(p.totalMemory).toBe(2 ** 30); // TORCHLET_CUDA_EMULATE_MEMORY above
    expect(p.name).toBe(torch.cuda.getDeviceName(1));
    expect(Object.keys(p).sort()).toEqual(['major', 'minor', 'multiProcessorCount', 'name', 'totalMemory']);
    for (const k of ['major', 'minor', 'multiProcessorCount'] as const) expect(Number.isInteger(p[k])).toBe(true);
  });

  it("'cuda:1' tensors: creation, .to, .cuda(1), values, device names", async () => {
    const a = torch.tensor([1, 2, 3], { dtype: 'float32', device: 'cuda:1' });
    expect(a.device).toBe('cuda:1');
    expect(Array.from(await a.data())).toEqual([1, 2, 3]);
    const b = torch.tensor([10, 20, 30]).to('cuda:1');
    expect(b.device).toBe('cuda:1');
    expect(Array.from(await a.add(b).mul(2).data())).toEqual([22, 44, 66]);
    expect(torch.ones([2]).cuda(1).device).toBe('cuda:1');
    expect(torch.ones([2]).cuda().device).toBe('cuda');
    expect(torch.ones([2], { device: 'cuda:0' }).device).toBe('cuda');
    expect(a.type()).toBe('torch.cuda.FloatTensor');
    expect(a.toString()).toMatch(/on cuda:1/);
    // between devices: an asynchronous read, as from any GPU device
    const c = await torch.toAsync(torch.tensor([4, 5], { device: 'cuda' }), 'cuda:1');
    expect(c.device).toBe('cuda:1');
    expect(Array.from(await c.data())).toEqual([4, 5]);
    expect(() => torch.tensor([4, 5], { device: 'cuda' }).to('cuda:1')).toThrow(/copying a tensor from 'cuda' to 'cuda:1' needs a device read/);
  });

  it('modules move with .cuda(1) and .to("cuda:1")', async () => {
    torch.manualSeed(0);
    const lin = new torch.nn.Linear(3, 2);
    const x = torch.tensor([[1, -2, 0.5]]);
    const want = Array.from(lin.forward(x).dataSync());
    lin.cuda(1);
    for (const p of lin.parameters()) expect(p.device).toBe('cuda:1');
    const got = Array.from(await lin.forward(x.to('cuda:1')).data());
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    await lin.toAsync('cuda');
    for (const p of lin.parameters()) expect(p.device).toBe('cuda');
  });

  it('mixing devices names both; an index past the last names the count', () => {
    const a = torch.ones([2], { device: 'cuda' }), b = torch.ones([2], { device: 'cuda:1' });
    expect(() => a.add(b)).toThrow('Expected all tensors to be on the same device, but found at least two devices, cuda and cuda:1!');
    expect(() => torch.ones([2]).add(b)).toThrow('Expected all tensors to be on the same device, but found at least two devices, cpu and cuda:1!');
    expect(() => torch.ones([2], { device: 'cuda:2' })).toThrow("CUDA error: invalid device ordinal: device 'cuda:2' does not exist (torch.cuda.deviceCount() is 2)");
    expect(() => torch.cuda.memoryAllocated(7)).toThrow(/torch\.cuda\.memoryAllocated: CUDA error: invalid device ordinal/);
  });

  it('setDevice changes what "cuda" means; tensors on device 0 still report "cuda"', () => {
    torch.cuda.setDevice(1);
    try {
      expect(torch.cuda.currentDevice()).toBe(1);
      expect(torch.zeros([1], { device: 'cuda' }).device).toBe('cuda:1');
      expect(torch.zeros([1], { device: 'cuda:0' }).device).toBe('cuda');
      expect(torch.cuda.getDeviceName()).toBe(torch.cuda.getDeviceName(1));
    } finally { torch.cuda.setDevice(0); }
    expect(torch.zeros([1], { device: 'cuda' }).device).toBe('cuda');
    expect(() => torch.cuda.setDevice(2)).toThrow(/torch\.cuda\.setDevice: CUDA error: invalid device ordinal/);
    expect(torch.cuda.currentDevice()).toBe(0);
  });

  it('memory statistics follow allocation, per device; emptyCache returns cached blocks', async () => {
    await torch.cuda.synchronize(1);
    torch.cuda.emptyCache();
    const alloc0 = torch.cuda.memoryAllocated(1), reserved0 = torch.cuda.memoryReserved(1), other = torch.cuda.memoryAllocated(0);
    torch.cuda.resetPeakMemoryStats(1);
    expect(torch.cuda.maxMemoryAllocated(1)).toBe(alloc0);
    const t = torch.empty([MiB], { device: 'cuda:1' }); // 4 MiB of float32
    const alloc1 = torch.cuda.memoryAllocated('cuda:1');
    expect(alloc1 - alloc0).toBeGreaterThanOrEqual(4 * MiB);
    expect(alloc1 - alloc0).toBeLessThan(8 * MiB); // size classes round up, by less than 2x
    expect(torch.cuda.memoryReserved(1)).toBeGreaterThanOrEqual(reserved0 + 4 * MiB);
    expect(torch.cuda.maxMemoryAllocated(1)).toBe(alloc1);
    expect(torch.cuda.memoryAllocated(0)).toBe(other); // device 0 untouched
    t.dispose();
    expect(torch.cuda.memoryAllocated(1)).toBe(alloc0);
    expect(torch.cuda.maxMemoryAllocated(1)).toBe(alloc1); // the peak stays until reset
    expect(torch.cuda.memoryReserved(1)).toBeGreaterThanOrEqual(reserved0 + 4 * MiB); // cached for reuse
    await torch.cuda.synchronize(1);
    torch.cuda.emptyCache();
    expect(torch.cuda.memoryReserved(1)).toBeLessThan(reserved0 + 4 * MiB);
    torch.cuda.resetPeakMemoryStats(1);
    expect(torch.cuda.maxMemoryAllocated(1)).toBe(alloc0);
  });

  it('the same random numbers as the CPU after torch.cuda.manualSeed', async () => {
    torch.manualSeed(5);
    const want = Array.from(torch.rand([16]).dataSync());
    torch.cuda.manualSeed(5);
    expect(Array.from(await torch.rand([16], { device: 'cuda:1' }).data())).toEqual(want);
  });

  it('allowTf32 leaves float32 matmul correct (the emulator computes in float32 either way)', async () => {
    const a = torch.tensor([[1, 2], [3, 4]]), b = torch.tensor([[5, 6], [7, 8]]);
    for (const on of [false, true]) {
      torch.backends.cuda.matmul.allowTf32 = on;
      expect(Array.from(await a.to('cuda').matmul(b.to('cuda')).data())).toEqual([19, 22, 43, 50]);
    }
    torch.backends.cuda.matmul.allowTf32 = false;
  });

  it('an emulator with no device: isAvailable() false and the reason says so', () => {
    const script = `import * as torch from ${JSON.stringify(`${process.cwd()}/src/index.ts`)};
await torch.init();
let error = '';
try { torch.zeros([1], { device: 'cuda' }); } catch (e) { error = e.message; }
console.log(JSON.stringify({ available: torch.cuda.isAvailable(), count: torch.cuda.deviceCount(), reason: torch.cuda.unavailableReason(), error }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TORCHLET_CUDA_EMULATE_DEVICES: '0' } });
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { available: boolean; count: number; reason: string; error: string };
    expect(out.available).toBe(false);
    expect(out.count).toBe(0);
    expect(out.reason).toMatch(/no devices|no CUDA device/i);
    expect(out.error).toBe(`device 'cuda' is not available: ${out.reason}`);
  });
});
