// nccl-ops.ts with three ranks and no GPU: three NcclGroups in this process on the emulated CUDA
// addon, over a stand-in NCCL (class World) that carries out a collective once every rank issued it
// and matches send/recv per pair: roots, peers, gather/scatter/allToAll's pairs, reduceScatter's
// chunks, timeouts. Nothing about NCCL itself: bench/nccl-check.mjs runs the real one on GPUs.

import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index.js';

process.env.TORCHLET_CUDA_EMULATE = '1'; // before torchlet is imported (one process per test file)
const torch = await import('../../src/index.js');
const { realBackend } = await import('../../src/backends/registry.js');
const { CudaBuffer } = await import('../../src/backends/cuda/index.js');
const { NcclGroup } = await import('../../src/distributed/nccl.js');
const ops = await import('../../src/distributed/nccl-ops.js');

const built = existsSync('native-cuda/build/torchlet_cuda_emu.node');
if (!built) {
  if (process.env.CI === 'true') throw new Error('native-cuda/build/torchlet_cuda_emu.node is missing: CI must run `npm run build:cuda -- --emulate` first');
  console.warn('\n*** SKIPPING the multi-rank NCCL stand-in tests: build the emulator with `npm run build:cuda -- --emulate` ***\n');
}

interface Args { send: number; recv: number; count: number; dtype: string; redOp?: string; root?: number; peer?: number }
type Dt = 'float32' | 'float16' | 'float64' | 'int32' | 'uint8';
const BYTES: Record<Dt, number> = { float32: 4, float16: 2, float64: 8, int32: 4, uint8: 1 };
const KERNEL = { sum: 'add', prod: 'mul', max: 'maximum', min: 'minimum', avg: 'add' } as const;

/**
 * NCCL's semantics for `n` ranks in one process, over emulated device 0: reductions with the CUDA
 * backend's own kernels, moves with device copies. Ranks run one after the other here, so device
 * work a rank does after its NCCL call runs before the others' calls: only ops without such work
 * are checked with it (integer AVG, lists, non-contiguous tensors: one rank, nccl-emulated.test.ts).
 */
class World {
  readonly pending: { op: string; a: Args }[][];
  readonly p2p = new Map<string, { send?: Args[]; recv?: Args[] }>();
  readonly log: string[] = [];
  private readonly b = realBackend('cuda');
  constructor(readonly n: number) { this.pending = Array.from({ length: n }, () => []); }

  private view(ptr: number, count: number, dtype: Dt) {
    return { buf: new CudaBuffer(count * BYTES[dtype], ptr), dtype, shape: [count], strides: [1], offset: 0 };
  }
  private copy(dst: number, src: number, count: number, dtype: Dt): void {
    if (count) this.b.copy(this.view(src, count, dtype), this.view(dst, count, dtype));
  }

  /** The addon rank r's NcclGroup calls. */
  addon(r: number) {
    return {
      ncclCollective: (_c: number, op: string, a: Args) => {
        this.log.push(`${r}:${op}${a.peer !== undefined && (op === 'send' || op === 'recv') ? `:${a.peer}` : ''}`);
        if (op === 'send' || op === 'recv') this.postP2p(r, op, a);
        else { this.pending[r]!.push({ op, a }); this.tryCollective(); }
      },
      ncclGroupStart: () => { this.log.push(`${r}:(`); },
      ncclGroupEnd: () => { this.log.push(`${r}:)`); },
      ncclGetUniqueId: () => new Uint8Array(128), ncclCommInitRank: () => 1, ncclCommDestroy: () => {},
    };
  }

  private postP2p(r: number, op: 'send' | 'recv', a: Args): void {
    const [src, dst] = op === 'send' ? [r, a.peer!] : [a.peer!, r];
    const key = `${src}->${dst}`;
    const q = this.p2p.get(key) ?? {};
    (q[op] ??= []).push(a);
    this.p2p.set(key, q);
    while (q.send?.length && q.recv?.length) {
      const s = q.send.shift()!, v = q.recv.shift()!;
      if (s.count !== v.count || s.dtype !== v.dtype) throw new Error(`stand-in: send ${key} of ${s.count} ${s.dtype} met a recv of ${v.count} ${v.dtype}`);
      this.copy(v.recv, s.send, s.count, s.dtype as Dt);
    }
  }

  private tryCollective(): void {
    if (this.pending.some((q) => q.length === 0)) return;
    const calls = this.pending.map((q) => q.shift()!);
    const { op, a } = calls[0]!;
    for (const c of calls) {
      if (c.op !== op || c.a.count !== a.count || c.a.dtype !== a.dtype || c.a.root !== a.root || c.a.redOp !== a.redOp) {
        throw new Error(`stand-in: ranks disagree: ${JSON.stringify(calls)}`);
      }
    }
    const dt = a.dtype as Dt, n = this.n, count = a.count, size = BYTES[dt];
    if (op === 'allGather') {
      calls.forEach((c) => { for (let k = 0; k < n; k++) this.copy(c.a.recv + k * count * size, calls[k]!.a.send, count, dt); });
      return;
    }
    if (op === 'broadcast') {
      const root = calls[a.root!]!.a;
      const tmp = this.b.alloc(count * size) as InstanceType<typeof CudaBuffer>;
      this.copy(tmp.ptr, root.send, count, dt);
      calls.forEach((c) => this.copy(c.a.recv, tmp.ptr, count, dt));
      this.b.free(tmp);
      return;
    }
    // Reductions: allReduce, reduce, reduceScatter (whose send holds n chunks of `count`).
    const total = op === 'reduceScatter' ? count * n : count;
    const acc = this.b.alloc(total * size) as InstanceType<typeof CudaBuffer>;
    const accV = this.view(acc.ptr, total, dt);
    this.b.copy(this.view(calls[0]!.a.send, total, dt), accV);
    for (let k = 1; k < n; k++) this.b.binary(KERNEL[a.redOp as keyof typeof KERNEL], accV, this.view(calls[k]!.a.send, total, dt), accV);
    if (a.redOp === 'avg') {
      const nv = this.b.alloc(total * size);
      const nView = { ...accV, buf: nv };
      this.b.fill(nView, n);
      this.b.binary('div', accV, nView, accV);
      this.b.free(nv);
    }
    calls.forEach((c, r) => {
      if (op === 'allReduce') this.copy(c.a.recv, acc.ptr, count, dt);
      else if (op === 'reduce') { if (r === a.root) this.copy(c.a.recv, acc.ptr, count, dt); }
      else this.copy(c.a.recv, acc.ptr + r * count * size, count, dt);
    });
    this.b.free(acc);
  }

  groups() {
    return Array.from({ length: this.n }, (_, r) => new NcclGroup(this.addon(r) as never, 1, 0, r, this.n, 5000, () => Promise.resolve()));
  }
}

const cuda = (v: number[] | number[][], dtype: Dt = 'float32') => torch.tensor(v, { dtype, device: 'cuda' });
const vals = async (t: Tensor) => Array.from(await t.data(), Number);
const N = 3;
const ranks = [0, 1, 2];
/** Rank k's values: increasing in k, so MIN is rank 0's and MAX rank 2's. */
const v = (k: number) => [k + 1, 2 * k + 3, 5];

describe.runIf(built)('NCCL collectives with three ranks (stand-in over the emulated device)', () => {
  beforeAll(async () => { await torch.init(); });

  it('allReduce: every ReduceOp and dtype, each rank gets the reduction', async () => {
    for (const dtype of ['float32', 'float16', 'float64', 'int32', 'uint8'] as const) {
      for (const op of ['sum', 'product', 'min', 'max', ...(dtype === 'int32' || dtype === 'uint8' ? [] : ['avg' as const])] as const) {
        const g = new World(N).groups();
        const ts = ranks.map((k) => cuda(v(k), dtype));
        ranks.forEach((k) => ops.ncclAllReduce(g[k]!, 'allReduce', ts[k]!, op));
        const want = {
          sum: [0, 1, 2].map((i) => v(0)[i]! + v(1)[i]! + v(2)[i]!),
          product: [0, 1, 2].map((i) => v(0)[i]! * v(1)[i]! * v(2)[i]!),
          min: v(0), max: v(2),
          avg: [0, 1, 2].map((i) => (v(0)[i]! + v(1)[i]! + v(2)[i]!) / 3),
        }[op];
        for (const t of ts) {
          const got = await vals(t);
          got.forEach((x, i) => expect(x, `${op} ${dtype}`).toBeCloseTo(want[i]!, dtype === 'float16' ? 2 : 5));
        }
      }
    }
  });

  it('broadcast from rank 2; reduce into rank 1 (the others keep theirs)', async () => {
    let g = new World(N).groups();
    let ts = ranks.map((k) => cuda(v(k)));
    ranks.forEach((k) => ops.ncclBroadcast(g[k]!, 'broadcast', ts[k]!, 2));
    for (const t of ts) expect(await vals(t)).toEqual(v(2));
    g = new World(N).groups();
    ts = ranks.map((k) => cuda(v(k)));
    ranks.forEach((k) => ops.ncclReduce(g[k]!, 'reduce', ts[k]!, 1, 'sum'));
    expect(await vals(ts[0]!)).toEqual(v(0));
    expect(await vals(ts[1]!)).toEqual([6, 15, 15]);
    expect(await vals(ts[2]!)).toEqual(v(2));
  });

  it('allGatherIntoTensor in rank order; reduceScatter gives rank r the reduction of chunk r', async () => {
    let g = new World(N).groups();
    const outs = ranks.map(() => torch.zeros([N, 3], { device: 'cuda' }));
    ranks.forEach((k) => ops.ncclAllGatherIntoTensor(g[k]!, 'allGatherIntoTensor', outs[k]!, cuda(v(k))));
    for (const o of outs) expect(await vals(o)).toEqual(ranks.flatMap(v));
    g = new World(N).groups();
    // Rank k's input j is [10k + j, 1]: rank r gets [sum_k (10k + r), 3].
    const rs = ranks.map(() => torch.zeros([2], { device: 'cuda' }));
    ranks.forEach((k) => ops.ncclReduceScatter(g[k]!, 'reduceScatter', rs[k]!, ranks.map((j) => cuda([10 * k + j, 1])), 'sum'));
    for (const r of ranks) expect(await vals(rs[r]!)).toEqual([30 + 3 * r, 3]);
  });

  it('gather into rank 1 and scatter from rank 2: point-to-point calls in one NCCL group per rank', async () => {
    const w = new World(N);
    let g = w.groups();
    const list = ranks.map(() => torch.zeros([3], { device: 'cuda' }));
    ranks.forEach((k) => ops.ncclGather(g[k]!, 'gather', cuda(v(k)), k === 1 ? list : null, 1));
    for (const k of ranks) expect(await vals(list[k]!)).toEqual(v(k));
    expect(w.log).toEqual(['0:(', '0:send:1', '0:)', '1:(', '1:recv:0', '1:recv:2', '1:)', '2:(', '2:send:1', '2:)']);
    g = new World(N).groups();
    const got = ranks.map(() => torch.zeros([2], { device: 'cuda' }));
    ranks.forEach((k) => ops.ncclScatter(g[k]!, 'scatter', got[k]!, k === 2 ? ranks.map((j) => cuda([10 * j, 10 * j + 1])) : null, 2));
    for (const k of ranks) expect(await vals(got[k]!)).toEqual([10 * k, 10 * k + 1]);
  });

  it('allToAll: rank r receives input r of every rank; send/recv between two ranks', async () => {
    let g = new World(N).groups();
    const outs = ranks.map(() => ranks.map(() => torch.zeros([1], { device: 'cuda' })));
    ranks.forEach((k) => ops.ncclAllToAll(g[k]!, 'allToAll', outs[k]!, ranks.map((j) => cuda([100 * k + j]))));
    for (const r of ranks) for (const k of ranks) expect(await vals(outs[r]![k]!)).toEqual([100 * k + r]);
    g = new World(N).groups();
    const into = torch.zeros([2], { device: 'cuda' });
    ops.ncclSend(g[0]!, 'send', cuda([42, 43]), 2);
    ops.ncclRecv(g[2]!, 'recv', into, 0);
    expect(await vals(into)).toEqual([42, 43]);
  });

  it('waits share one stream synchronize per tick; one issued later gets its own', async () => {
    let syncs = 0;
    const g = new NcclGroup(new World(1).addon(0) as never, 1, 0, 0, 1, 5000, async () => { syncs++; });
    const t = cuda([1, 2]);
    const waits = [0, 1, 2, 3, 4].map(() => { ops.ncclAllReduce(g, 'allReduce', t, 'sum'); return g.done('allReduce'); });
    await Promise.all(waits);
    expect(syncs).toBe(1);
    ops.ncclBroadcast(g, 'broadcast', t, 0);
    await g.done('broadcast');
    expect(syncs).toBe(2);
    const failing = new NcclGroup(new World(1).addon(0) as never, 1, 0, 0, 1, 5000, () => Promise.reject(new Error('CUDA error: an illegal memory access was encountered')));
    await expect(failing.done('reduce')).rejects.toThrow('reduce: CUDA error: an illegal memory access was encountered');
  });

  it('a collective the stream never finishes (a dead peer) rejects its wait after the timeout, naming the device', async () => {
    const w = new World(2);
    const stuck = new NcclGroup(w.addon(0) as never, 1, 0, 0, 2, 200, () => new Promise<void>(() => {}));
    ops.ncclAllReduce(stuck, 'allReduce', cuda([1]), 'sum'); // rank 1 never comes
    const t0 = Date.now();
    await expect(stuck.done('allReduce')).rejects.toThrow("allReduce: timed out after 200 ms waiting for the NCCL operation on cuda:0 to complete (another rank died, hangs, or issued collectives in another order)");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    stuck.destroy();
    expect(() => ops.ncclAllReduce(stuck, 'allReduce', cuda([1]), 'sum')).toThrow('allReduce: the process group was destroyed (destroyProcessGroup)');
  });
});
