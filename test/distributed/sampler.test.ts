// utils.data.DistributedSampler: PyTorch's index lists for shuffle: false (padding and dropLast),
// from test/fixtures/distributed.json; with shuffle, disjoint shares of one seed+epoch permutation.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import * as torch from '../../src/index.js';
import { root } from './launch.js';

const { DistributedSampler } = torch.utils.data;
const fx = JSON.parse(readFileSync(`${root}/test/fixtures/distributed.json`, 'utf8')) as {
  samplers: { n: number; numReplicas: number; dropLast: boolean; indices: number[][] }[];
};
const data = (n: number) => ({ length: () => n });

describe('utils.data.DistributedSampler', () => {
  it("matches PyTorch's indices without shuffle", () => {
    for (const c of fx.samplers) {
      for (let rank = 0; rank < c.numReplicas; rank++) {
        const s = new DistributedSampler(data(c.n), { numReplicas: c.numReplicas, rank, shuffle: false, dropLast: c.dropLast });
        expect([...s], JSON.stringify({ ...c, rank })).toEqual(c.indices[rank]);
        expect(s.length()).toBe(c.indices[rank]!.length);
      }
    }
  });

  it('shuffles one seed + epoch permutation into disjoint shares', () => {
    const shares = (epoch: number, seed = 3) => [0, 1, 2].map((rank) => {
      const s = new DistributedSampler(data(12), { numReplicas: 3, rank, seed });
      s.setEpoch(epoch);
      return [...s];
    });
    const e0 = shares(0);
    expect(e0.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(shares(0)).toEqual(e0); // deterministic
    expect(shares(1)).not.toEqual(e0); // another epoch, another order
    expect(shares(0, 4)).toEqual(shares(1, 3)); // seed + epoch is what counts
  });

  it('rejects a bad rank and needs a process group or explicit numbers', () => {
    expect(() => new DistributedSampler(data(4), { numReplicas: 2, rank: 2 })).toThrow(/Invalid rank 2, rank should be in the interval \[0, 1\]/);
    expect(() => new DistributedSampler(data(4))).toThrow(/initProcessGroup/);
  });
});
