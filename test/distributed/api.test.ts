// torch.distributed without a process group (no addon needed): strict options, the not-initialized
// errors, and what reports availability.
import { describe, it, expect } from 'vitest';
import * as torch from '../../src/index.js';

const dist = torch.distributed;

describe('torch.distributed API', () => {
  it('checks option keys strictly', () => {
    const t = torch.ones(2);
    expect(() => dist.allReduce(t, { opp: 'sum' } as never)).toThrow(TypeError);
    expect(() => dist.allReduce(t, { opp: 'sum' } as never)).toThrow(/allReduce.*opp/);
    expect(() => dist.gather(t, { gather_list: [] } as never)).toThrow(/gatherList/);
    expect(() => dist.initProcessGroup({ world_size: 2 } as never)).toThrow(/worldSize/);
  });

  it("says the default group is not initialized, as PyTorch's", async () => {
    expect(dist.isInitialized()).toBe(false);
    expect(dist.isAvailable()).toBe(true);
    expect(dist.isNcclAvailable()).toBe(false);
    expect(() => dist.getRank()).toThrow('getRank: Default process group has not been initialized, please make sure to call initProcessGroup.');
    expect(() => dist.allReduce(torch.ones(2))).toThrow(/allReduce: Default process group has not been initialized/);
    expect(() => new torch.nn.parallel.DistributedDataParallel(new torch.nn.Linear(2, 2))).toThrow(/DistributedDataParallel: Default process group has not been initialized/);
    await expect(dist.initProcessGroup({ initMethod: 'env://', rank: 0, worldSize: 1 })).rejects.toThrow(/needs the environment variable\(s\) MASTER_ADDR, MASTER_PORT/);
    await expect(dist.initProcessGroup({ initMethod: 'tcp://127.0.0.1:1' })).rejects.toThrow(/initMethod 'tcp:\/\/127.0.0.1:1' needs rank and worldSize/);
    await expect(dist.initProcessGroup({ initMethod: 'tcp://127.0.0.1:1', rank: 2, worldSize: 2 })).rejects.toThrow(/rank 2 is out of range for worldSize 2/);
  });
});
