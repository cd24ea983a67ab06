// torch.distributed collectives over Gloo with 2 and 4 processes (torchlet run): every collective's
// values, float32 and int32, on the CPU and on WebGPU (through the host), against arithmetic done here
// on the ranks' known inputs.
import { describe, it, expect } from 'vitest';
import * as torch from '../../src/index.js';
import { hasAddon, launch, worker } from './launch.js';

const inputOf = (r: number, dtype: string) => (dtype === 'float32' ? [r + 1, 2 - r, 0.5 * (r + 1)] : [r + 1, 2 - r, 3 * r]);
const ranks = (n: number) => Array.from({ length: n }, (_, i) => i);
// (+ 0: JSON has no -0, so a product through zero reads back as 0)
const fold = (n: number, dtype: string, f: (a: number, b: number) => number) =>
  [0, 1, 2].map((k) => ranks(n).map((r) => inputOf(r, dtype)[k]!).reduce(f) + 0);

describe.skipIf(!hasAddon)('torch.distributed collectives (gloo)', () => {
  for (const n of [2, 4]) {
    it(`every collective with ${n} processes`, async () => {
      const run = await launch(n, worker('collectives.ts'));
      expect(run.code, run.stderr).toBe(0);
      expect(run.results.length).toBe(n);
      for (const res of run.results) {
        const r = res.rank as number;
        expect(res.worldSize).toBe(n);
        expect(res.initialized).toBe(true);
        expect(res.backend).toBe('gloo');
        // The workers see the devices this process sees (WebGPU on SwiftShader here).
        await torch.init();
        expect(res.devices).toEqual(['cpu', ...(torch.webgpu.isAvailable() ? ['webgpu'] : [])]);
        const cases = res.cases as Record<string, Record<string, unknown>>;
        expect(Object.keys(cases).length).toBe((res.devices as string[]).length * 2);
        for (const [key, d] of Object.entries(cases)) {
          const dtype = key.split(' ')[1]!;
          const sum = fold(n, dtype, (a, b) => a + b);
          expect(d.allReduce_sum).toEqual(sum);
          expect(d.allReduce_avg).toEqual(sum.map((v) => (dtype === 'float32' ? v / n : Math.trunc(v / n))));
          expect(d.allReduce_product).toEqual(fold(n, dtype, (a, b) => a * b));
          expect(d.allReduce_min).toEqual(fold(n, dtype, (a, b) => Math.min(a, b)));
          expect(d.allReduce_max).toEqual(fold(n, dtype, (a, b) => Math.max(a, b)));
          expect(d.workIsWork).toBe(true);
          expect(d.workDone).toBe(true);
          expect(d.broadcast).toEqual(inputOf(n - 1, dtype));
          expect(d.reduce).toEqual(r === 1 ? sum : inputOf(r, dtype));
          const all = ranks(n).map((j) => inputOf(j, dtype));
          expect(d.allGather).toEqual(all);
          expect(d.allGatherIntoTensor).toEqual(all);
          expect(d.reduceScatter).toEqual([ranks(n).reduce((a, j) => a + 10 * r + j, 0), ranks(n).reduce((a, j) => a + j, 0)]);
          expect(d.gather).toEqual(r === 0 ? all : null);
          expect(d.scatter).toEqual([r, 100 + r]);
          expect(d.allToAll).toEqual(ranks(n).map((j) => [100 * j + r]));
          expect(d.ring).toEqual([(r + n - 1) % n, 7]);
        }
        expect(res.broadcastObjectList).toEqual([{ a: [1, 2], s: 'from one' }, 5]);
        expect(res.allGatherObject).toEqual(ranks(n).map((j) => ({ rank: j, pad: 'x'.repeat(j * 3) })));
        const odd = ranks(n).filter((j) => j % 2 === 1);
        expect(res.groupSize).toBe(odd.length);
        if (r % 2 === 1) {
          expect(res.groupRank).toBe(odd.indexOf(r));
          expect(res.groupAllReduce).toEqual([odd.reduce((a, b) => a + b, 0)]);
          expect(res.groupBroadcast).toEqual([(n - 1) * 10]);
          expect(res.destroyedGroupError).toBe('allReduce: the process group was destroyed (destroyProcessGroup)');
        } else {
          expect(res.groupRank).toBe(-1);
          expect(res.nonMemberError).toMatch(/not a member of the group \[1(, 3)?\]/);
        }
        expect(res.float16Error).toMatch(/dtype float16 are not supported by the gloo backend/);
        expect(res.initializedAfter).toBe(false);
      }
    }, 90000);
  }
});
