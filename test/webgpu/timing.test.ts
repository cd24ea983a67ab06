// torch.webgpu profiling helpers: synchronize() waits for queued kernels, and begin/endKernelTiming
// sum the GPU time of the kernels in between from timestamp queries (counted one per dispatch),
// or report false/null where the device has no timestamp-query feature.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

describe.skipIf(!torch.webgpu.isAvailable())('torch.webgpu timing', () => {
  it('counts and times the kernels between begin and end; synchronize drains the queue', async () => {
    const info = torch.webgpu.info()!;
    // A million elements: two kernels of 1000 could finish inside one tick of SwiftShader's timestamps (0 ms, seen once in CI).
    const x = torch.ones([1 << 20], { device: 'webgpu' });
    const started = torch.webgpu.beginKernelTiming();
    expect(started).toBe(info.timestampQuery);
    const y = x.add(x).mul(x); // two dispatches (a scalar operand would add a fill each)
    await torch.webgpu.synchronize();
    const t = await torch.webgpu.endKernelTiming();
    if (!info.timestampQuery) { expect(t).toBeNull(); return; }
    expect(t!.kernels).toBe(2);
    expect(t!.ms).toBeGreaterThan(0);
    expect(await torch.webgpu.endKernelTiming()).toBeNull(); // nothing running
    expect(Array.from(await y.narrow(0, 0, 2).data())).toEqual([2, 2]);
  });
});
