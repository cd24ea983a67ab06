// torch.distributed backend 'nccl' on a real GPU with the real NCCL: world size 1 (every collective
// against independently computed values, views, asyncOp, newGroup, object collectives) and DDP on
// 'cuda' against one process (<= 1e-6), through bench/nccl-check.mjs's ncclChecks. Runs only where
// torch.cuda.isAvailable() and the addon found libnccl.so.2 (the GPU machine: bench/gpu.sh runs the
// same checks without vitest); elsewhere it is a loud skip, and this file checks the refusal instead.

import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { ncclChecks } from '../../bench/nccl-check.mjs';

const dist = torch.distributed;
await torch.init();
const gpu = torch.cuda.isAvailable() && dist.isNcclAvailable();
if (!gpu) {
  console.warn(`\n*** SKIPPING the NCCL GPU tests: ${torch.cuda.unavailableReason() ?? 'the CUDA addon found no libnccl.so.2'} ***\n`);
}

describe.runIf(gpu)("backend 'nccl' on the GPU (world size 1)", () => {
  afterAll(async () => { if (dist.isInitialized()) await dist.destroyProcessGroup(); });

  it('every collective, views, newGroup, object collectives, DDP vs one process', async () => {
    const checks = await ncclChecks(torch);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.length).toBeGreaterThan(30);
  }, 300_000);
});

describe.runIf(!torch.cuda.isAvailable())("backend 'nccl' without CUDA", () => {
  it("says it needs CUDA, with torch.cuda's reason", async () => {
    expect(dist.isNcclAvailable()).toBe(false);
    await expect(dist.initProcessGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1 }))
      .rejects.toThrow(`initProcessGroup: backend 'nccl' needs CUDA: ${torch.cuda.unavailableReason()}`);
    expect(torch.cuda.unavailableReason()).toMatch(/\S/);
    expect(dist.isInitialized()).toBe(false);
  });
});
