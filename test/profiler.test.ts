// torch.profiler on the CPU: counts in the table match the ops run, composites are parents of their
// kernels, the Chrome trace is valid JSON with one event per op/kernel, and no mode is left behind.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../src/index.js';
import { isCapturing, setDispatchMode } from '../src/backends/registry.js';
import { setScopeListener } from '../src/ops/prim.js';

/** No dispatch mode and no scope listener are installed. */
function expectClean(): void {
  const m = setDispatchMode(null); setDispatchMode(m);
  const l = setScopeListener(null); setScopeListener(l);
  expect(m).toBeNull();
  expect(l).toBeNull();
  expect(isCapturing()).toBe(false);
}

describe('torch.profiler', () => {
  it('counts 3 matmuls and 2 adds', () => {
    const a = torch.randn([4, 4]), b = torch.randn([4, 4]);
    const prof = torch.profiler.profile({ activities: ['cpu'] }, () => {
      const c = a.matmul(b).matmul(b).matmul(a);
      return c.add(a).add(b);
    });
    const avg = prof.keyAverages();
    expect(avg.get('matmul')?.count).toBe(3);
    expect(avg.get('binary.add')?.count).toBe(2);
    for (const r of avg) {
      expect(r.selfCpuTimeTotal).toBeLessThanOrEqual(r.cpuTimeTotal + 1e-9);
      expect(r.cpuTimeTotal).toBeGreaterThanOrEqual(0);
    }
    const t = avg.table({ sortBy: 'count' });
    expect(t).toMatch(/Name\s+Self CPU %\s+Self CPU\s+CPU total %\s+CPU total\s+CPU time avg\s+# of Calls/);
    expect(t).toMatch(/matmul .* 3\n/);
    expect(t).toContain('Self CPU time total:');
    expectClean();
  });

  it('records a Linear as a linear op over its kernels, with shapes', () => {
    const lin = new torch.nn.Linear(8, 3);
    const x = torch.randn([5, 8]);
    const prof = torch.profiler.profile({ recordShapes: true }, () => lin.forward(x));
    const avg = prof.keyAverages();
    expect(avg.get('linear')?.count).toBe(1);
    // The bias is added in the GEMM's epilogue (addmm): one kernel, its inputs a, b and the bias.
    expect(avg.get('matmulEpilogue')?.count).toBe(1);
    expect(avg.get('binary.add')).toBeUndefined();
    const ev = prof.events;
    const li = ev.findIndex((e) => e.name === 'linear');
    const mm = ev.find((e) => e.name === 'matmulEpilogue')!;
    expect(mm.parent).toBe(li);
    expect(mm.shapes).toEqual([[1, 5, 8], [1, 8, 3], [1, 5, 3]]) // the kernel's batched views and the broadcast bias;
    const grouped = prof.keyAverages({ groupByInputShape: true });
    expect(grouped.get('matmulEpilogue')?.inputShapes).toEqual([[1, 5, 8], [1, 8, 3], [1, 5, 3]]);
    expect(grouped.table()).toContain('Input Shapes');
    // linear's total covers its kernels; its self time is the rest.
    const lr = avg.get('linear')!;
    expect(lr.cpuTimeTotal).toBeGreaterThanOrEqual(avg.get('matmulEpilogue')!.cpuTimeTotal);
    expect(lr.selfCpuTimeTotal).toBeLessThanOrEqual(lr.cpuTimeTotal);
  });

  it('nested composites: parent times contain their children', () => {
    const logits = torch.randn([6, 10]), target = torch.tensor([1, 2, 3, 4, 5, 6], { dtype: 'int32' });
    const prof = torch.profiler.profile({}, () => torch.nn.functional.crossEntropy(logits, target));
    const ev = prof.events;
    expect(ev.some((e) => e.kind === 'op' && e.parent >= 0)).toBe(true); // e.g. logSoftmax in crossEntropy
    let childSum = new Map<number, number>();
    for (const e of ev) {
      expect(e.end).toBeGreaterThanOrEqual(e.start);
      if (e.parent >= 0) {
        const p = ev[e.parent]!;
        expect(e.start).toBeGreaterThanOrEqual(p.start);
        expect(e.end).toBeLessThanOrEqual(p.end);
        expect(e.depth).toBe(p.depth + 1);
        childSum.set(e.parent, (childSum.get(e.parent) ?? 0) + e.end - e.start);
      }
    }
    for (const [i, s] of childSum) expect(s).toBeLessThanOrEqual(ev[i]!.end - ev[i]!.start + 1e-6);
    const avg = prof.keyAverages();
    const ce = avg.get('crossEntropy')!;
    expect(ce.count).toBe(1);
    const top = ev.filter((e) => e.parent === -1).reduce((s, e) => s + e.end - e.start, 0);
    const selfSum = avg.rows.reduce((s, r) => s + r.selfCpuTimeTotal, 0);
    expect(selfSum).toBeCloseTo(top, 3);
    childSum = new Map();
  });

  it('sortBy and rowLimit', () => {
    const x = torch.randn([16, 16]);
    const prof = torch.profiler.profile({}, () => { for (let i = 0; i < 5; i++) x.exp(); x.matmul(x); });
    const lines = (t: string): string[] => t.split('\n').slice(3).filter((l) => !l.startsWith('-') && !l.startsWith('Self') && l.length > 0);
    const byCount = lines(prof.keyAverages().table({ sortBy: 'count', rowLimit: 1 }));
    expect(byCount).toHaveLength(1);
    expect(byCount[0]).toMatch(/^unary\.exp\s/);
    const rows = [...prof.keyAverages()].sort((a, b) => b.selfCpuTimeTotal - a.selfCpuTimeTotal);
    const bySelf = lines(prof.keyAverages().table({ sortBy: 'selfCpuTimeTotal', rowLimit: 2 }));
    expect(bySelf).toHaveLength(Math.min(2, rows.length));
    expect(bySelf[0]!.split(/\s+/)[0]).toBe(rows[0]!.key);
  });

  it('exports a Chrome trace with one X event per op and kernel', async () => {
    const lin = new torch.nn.Linear(4, 2, { bias: false }); // no bias: a plain matmul kernel
    const prof = torch.profiler.profile({ recordShapes: true }, () => lin.forward(torch.randn([3, 4])).relu().sum());
    const path = join(mkdtempSync(join(tmpdir(), 'torchlet-prof-')), 'trace.json');
    await prof.exportChromeTrace(path);
    const j = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: { name: string; ph: string; ts: number; dur: number; pid: number; tid: number; args: { shapes?: number[][] } }[] };
    expect(j.traceEvents).toHaveLength(prof.events.length);
    expect(j.traceEvents.every((e) => e.ph === 'X' && e.dur >= 0 && Number.isFinite(e.ts))).toBe(true);
    const count = (n: string): number => j.traceEvents.filter((e) => e.name === n).length;
    const avg = prof.keyAverages();
    for (const r of avg) expect(count(r.key)).toBe(r.count);
    expect(count('linear')).toBe(1);
    expect(j.traceEvents.find((e) => e.name === 'matmul')!.args.shapes).toEqual([[1, 3, 4], [1, 4, 2]]);
    expect(JSON.parse(prof.chromeTrace())).toEqual(j);
  });

  it('profiles a compiled function (its replayed kernels show)', () => {
    const f = torch.compile((x: torch.Tensor) => x.matmul(x).add(1).exp());
    const x = torch.randn([8, 8]);
    f(x); f(x); // compiled
    const prof = torch.profiler.profile({}, () => f(x));
    // The product and its add/exp chain replay as one kernel: the matmul with a fused epilogue.
    expect(prof.keyAverages().get('matmulEpilogue')?.count).toBe(1);
    expect(prof.events.length).toBeGreaterThanOrEqual(1);
    expectClean();
    const eager = x.matmul(x).add(1).exp();
    const out = torch.profiler.profile({}, () => f(x)); // still runs compiled, same values
    expect(out.events.length).toBe(prof.events.length);
    expect(torch.allclose(f(x), eager)).toBe(true);
  });

  it('nests with a graph capture', () => {
    const prof = torch.profiler.profile({}, () => torch.compiler.captureGraph((x: torch.Tensor) => x.exp().add(1), [torch.randn([3])]));
    expect(prof.events.length).toBeGreaterThanOrEqual(0);
    expectClean();
    const g = torch.compiler.captureGraph((x: torch.Tensor) => {
      const p = torch.profiler.profile({}, () => x.exp());
      expect(p.keyAverages().get('unary.exp')?.count).toBe(1);
      expect(torch.compiler.isCompiling()).toBe(true);
      return x.exp();
    }, [torch.randn([3])]);
    expect(g.nodes.filter((n) => n.op === 'unary.exp').length).toBe(2);
    expectClean();
  });

  it('leaves no mode behind when fn throws, sync or async', async () => {
    expect(() => torch.profiler.profile({}, () => { torch.randn([2, 3]).matmul(torch.randn([4, 5])); })).toThrow();
    expectClean();
    await expect(torch.profiler.profile({}, async () => { await Promise.resolve(); throw new Error('boom'); })).rejects.toThrow('boom');
    expectClean();
  });

  it('async fn resolves to a Profile; the disposable form stops at scope end', async () => {
    const prof = await torch.profiler.profile({}, async () => { await Promise.resolve(); torch.ones([2]).add(1); });
    expect(prof.keyAverages().get('binary.add')?.count).toBe(1);
    expectClean();
    {
      using p = torch.profiler.profile({ activities: [torch.profiler.ProfilerActivity.CPU] });
      torch.ones([2]).mul(3);
      expect(isCapturing()).toBe(false);
      expect(p.keyAverages().get('binary.mul')?.count).toBe(1);
    }
    expectClean();
    const p2 = torch.profiler.profile();
    torch.ones([2]).sub(1);
    p2.stop();
    torch.ones([2]).sub(1);
    expect(p2.keyAverages().get('binary.sub')?.count).toBe(1);
    expectClean();
  });
});
