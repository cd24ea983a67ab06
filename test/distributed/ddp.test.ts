// nn.parallel.DistributedDataParallel with 2 and 4 processes: 20 SGD steps on shards give the weights
// of one process on the whole batch (PyTorch's, test/fixtures/distributed.json, and torchlet's own
// single-process run), noSync accumulation, findUnusedParameters and the unfinished-reduction error.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { hasAddon, launch, worker, root } from './launch.js';

const fx = JSON.parse(readFileSync(`${root}/test/fixtures/distributed.json`, 'utf8')).ddp;
type State = Record<string, number[] | number[][]>;
const flat = (s: State) => Object.keys(s).sort().flatMap((k) => (s[k] as unknown[]).flat() as number[]);
function maxDiff(a: State, b: State): number {
  const x = flat(a), y = flat(b);
  expect(x.length).toBe(y.length);
  return Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
}

describe.skipIf(!hasAddon)('nn.parallel.DistributedDataParallel (gloo)', () => {
  for (const n of [2, 4]) {
    it(`${n} processes train to the single-process weights`, async () => {
      const run = await launch(n, worker('ddp.ts'));
      expect(run.code, run.stderr).toBe(0);
      expect(run.results.length).toBe(n);
      const r0 = run.results.find((x) => x.rank === 0)!;
      for (const res of run.results) {
        // Every rank holds the same weights (the broadcast replaced rank > 0's perturbed start).
        expect(maxDiff(res.ddpFinal as State, r0.ddpFinal as State)).toBe(0);
        expect(res.stateDictKeys).toEqual(['module.0.weight', 'module.0.bias', 'module.2.weight', 'module.2.bias']);
        expect(res.findUnused).toEqual({ aGrad: true, bGrad: null });
        expect(res.noFindError).toMatch(/Expected to have finished reduction in the prior iteration.*findUnusedParameters: true.*b\.weight, b\.bias/);
      }
      // Against one torchlet process on the whole batch (same float32 arithmetic but the split sum) ...
      expect(maxDiff(r0.ddpFinal as State, r0.singleFinal as State)).toBeLessThanOrEqual(1e-6);
      // ... and against PyTorch's single-process run.
      expect(maxDiff(r0.ddpFinal as State, fx.final as State)).toBeLessThanOrEqual(1e-5);
      // broadcastBuffers, against the column means of each rank's rows worked out here.
      const colMean = (rank: number) => [0, 1, 2, 3, 4].map((c) => {
        const rows = (fx.x as number[][]).slice(rank * (16 / n), (rank + 1) * (16 / n));
        return rows.reduce((a, row) => a + row[c]!, 0) / rows.length;
      });
      for (const res of run.results) {
        const r = res.rank as number;
        const want = colMean(r).map((m, c) => 0.9 * 0.1 * colMean(0)[c]! + 0.1 * m);
        (res.bnRunningMean as number[]).forEach((v, c) => expect(v).toBeCloseTo(want[c]!, 5));
        (res.bnRunningMeanNoBroadcast as number[]).forEach((v, c) => expect(v).toBeCloseTo(0.19 * colMean(r)[c]!, 5));
      }
      if (n === 2) {
        for (const res of run.results) expect(maxDiff(res.accGrads as State, fx.accGrads as State)).toBeLessThanOrEqual(1e-6);
      }
    }, 120000);
  }
});
