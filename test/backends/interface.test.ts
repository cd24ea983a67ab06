// The Backend interface every device implements (src/backends/backend.ts): synchronize() resolves
// once queued kernels have finished (a result read afterwards needs no wait) and emptyCache() keeps
// live tensors intact, on every test device; during graph capture the recorder forwards both.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';

for (const device of testDevices()) {
  describe(`Backend synchronize / emptyCache on ${device}`, () => {
    it('synchronize resolves after queued work; emptyCache keeps live tensors', async () => {
      const x = torch.arange(6, { device, dtype: 'float32' }).reshape([2, 3]);
      const y = x.matmul(x.t()).add(1);
      await getBackend(device).synchronize();
      getBackend(device).emptyCache();
      expect(await y.tolist()).toEqual([[6, 15], [15, 51]]);
      const before = getBackend(device).memory().allocatedBytes;
      getBackend(device).emptyCache();
      expect(getBackend(device).memory().allocatedBytes).toBe(before); // only cached, unused memory may go
    });
    it('during graph capture the recorder forwards both to the device', () => {
      let synced: unknown = null;
      torch.compiler.captureGraph((t: torch.Tensor) => {
        const be = getBackend(device); // the capture's recorder while it runs
        synced = be.synchronize();
        be.emptyCache();
        return t.add(1);
      }, [torch.ones([2], { device })]);
      expect(synced).toBeInstanceOf(Promise);
    });
  });
}
