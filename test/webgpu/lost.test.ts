// Device loss: after the GPUDevice is gone, the next read rejects with a clear error and later work
// keeps failing loudly instead of returning stale data. Own file: it kills this process's device.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

describe.skipIf(!torch.webgpu.isAvailable())('webgpu device loss', () => {
  it('surfaces at the next read and stays an error', async () => {
    const x = torch.tensor([1, 2, 3], { device: 'webgpu' });
    expect(Array.from(await x.add(1).data())).toEqual([2, 3, 4]);
    const y = x.mul(2);
    (getBackend('webgpu') as WebGPUBackend).gpu.destroy();
    await expect(y.data()).rejects.toThrow(/webgpu/);
    await new Promise((r) => setTimeout(r, 50));
    await expect((async () => x.add(1).data())()).rejects.toThrow(/device lost/);
  });
});
