// torch.distributed's NCCL path on the emulated CUDA addon (`npm run build:cuda -- --emulate`, two
// devices, no NCCL): the refusal, then a one-rank stand-in behind the addon's NCCL entry points
// (each collective a recorded device copy) tests our side: addresses of views, the NCCL ops,
// reductions and dtypes asked for, grouping, refusals, object collectives, DDP's CUDA buckets.
// Nothing about NCCL itself: nccl-gpu.test.ts and bench/nccl-check.mjs run the real one on a GPU.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor, distributed as Dist } from '../../src/index.js';

process.env.TORCHLET_CUDA_EMULATE = '1'; // before torchlet is imported (one process per test file)
process.env.TORCHLET_CUDA_EMULATE_DEVICES = '2';
const torch = await import('../../src/index.js');
const { realBackend } = await import('../../src/backends/registry.js');
const { hasAddon } = await import('./launch.js');
const dist = torch.distributed;

const built = existsSync('native-cuda/build/torchlet_cuda_emu.node');
if (!built) {
  if (process.env.CI === 'true') throw new Error('native-cuda/build/torchlet_cuda_emu.node is missing: CI must run `npm run build:cuda -- --emulate` first');
  console.warn('\n*** SKIPPING the emulated NCCL tests: build the emulator with `npm run build:cuda -- --emulate` ***\n');
}

interface Call { op: string; send?: number; recv?: number; count?: number; dtype?: string; redOp?: string; root?: number; peer?: number }
const calls: Call[] = [];
/** ncclCommInitRank calls seen: the id's first bytes, world size and rank. */
const inits: { dev: number; id: string; n: number; rank: number }[] = [];
const BYTES: Record<string, number> = { float32: 4, float16: 2, float64: 8, int32: 4, uint8: 1 };

/** Replaces each emulated device's NCCL entry points by a world of one rank (see the header). */
function installOneRankNccl(): void {
  for (const d of ['cuda', 'cuda:1'] as const) {
    const b = realBackend(d) as unknown as { addon: Record<string, unknown>; info: Record<string, unknown> };
    const real = b.addon as unknown as { copyDevice(dev: number, dst: number, src: number, n: number): void };
    const devOf = new Map<number, number>();
    b.addon = {
      ...b.addon,
      ncclGetUniqueId: () => Uint8Array.from({ length: 128 }, () => Math.floor(Math.random() * 256)),
      ncclCommInitRank: async (dev: number, id: Uint8Array, n: number, rank: number) => {
        inits.push({ dev, id: Buffer.from(id).toString('hex'), n, rank });
        if (id.length !== 128) throw new Error(`ncclCommInitRank: id must hold 128 bytes, got ${id.length}`);
        devOf.set(devOf.size + 1, dev); // a communicator of n > 1 ranks is only made here (the rendezvous test), never used
        return devOf.size;
      },
      ncclCommDestroy: (c: number) => { devOf.delete(c); },
      ncclCollective: (c: number, op: string, o: Omit<Call, 'op'>) => {
        calls.push({ op, ...o });
        const dev = devOf.get(c);
        if (dev === undefined) throw new Error(`NCCL: ${c} is not a live communicator`);
        if (op === 'send' || op === 'recv') throw new Error('the stand-in NCCL has no peer');
        if (o.send !== o.recv) real.copyDevice(dev, o.recv!, o.send!, o.count! * BYTES[o.dtype!]!);
      },
      ncclGroupStart: () => { calls.push({ op: 'groupStart' }); },
      ncclGroupEnd: () => { calls.push({ op: 'groupEnd' }); },
    };
    b.info = { ...b.info, nccl: 'stand-in (one rank)' };
  }
}

const vals = async (t: Tensor) => Array.from(await t.data(), Number);
const ops = () => calls.map((c) => c.op);

describe.runIf(built)('torch.distributed on emulated CUDA', () => {
  beforeAll(async () => { await torch.init(); });
  afterAll(async () => { if (dist.isInitialized()) await dist.destroyProcessGroup(); });

  it("refuses backend 'nccl' when the addon has no NCCL (the emulator's case)", async () => {
    expect(torch.cuda.isAvailable()).toBe(true);
    expect(dist.isNcclAvailable()).toBe(false);
    await expect(dist.initProcessGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1 }))
      .rejects.toThrow("initProcessGroup: backend 'nccl' needs libnccl.so.2: NCCL is not available in the CUDA emulator");
  });

  it.runIf(hasAddon)("backend 'gloo' moves CUDA tensors through the host; DDP refuses CUDA parameters there", async () => {
    await dist.initProcessGroup({ backend: 'gloo', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1 });
    try {
      const t = torch.tensor([1.5, -2, 3], { device: 'cuda:1' });
      await dist.allReduce(t, { op: dist.ReduceOp.MAX });
      expect(t.device).toBe('cuda:1');
      expect(await vals(t)).toEqual([1.5, -2, 3]);
      const lin = new torch.nn.Linear(2, 2).cuda();
      expect(() => new torch.nn.parallel.DistributedDataParallel(lin)).toThrow("DistributedDataParallel: parameter 'weight' is on 'cuda'; backend 'gloo' reduces CPU parameters (CUDA parameters need initProcessGroup({ backend: 'nccl' }))");
    } finally { await dist.destroyProcessGroup(); }
  });

  describe("backend 'nccl' over a one-rank stand-in", () => {
    beforeAll(async () => {
      installOneRankNccl();
      expect(dist.isNcclAvailable()).toBe(true);
      await dist.initProcessGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1, timeout: 20000 });
    });
    afterAll(async () => { await dist.destroyProcessGroup(); });

    it('allReduce: each ReduceOp maps to NCCL, in place at the tensor\'s address', async () => {
      expect(dist.getBackend()).toBe('nccl');
      const t = torch.tensor([1, -2, 3.5], { device: 'cuda' });
      const v0 = t.version;
      const map = { sum: 'sum', avg: 'avg', product: 'prod', min: 'min', max: 'max' } as const;
      for (const [op, nccl] of Object.entries(map)) {
        calls.length = 0;
        await dist.allReduce(t, { op: op as Dist.ReduceOpName });
        expect(calls).toEqual([{ op: 'allReduce', send: calls[0]!.send, recv: calls[0]!.send, count: 3, dtype: 'float32', redOp: nccl }]);
      }
      expect(await vals(t)).toEqual([1, -2, 3.5]);
      expect(t.version).toBeGreaterThan(v0); // the op wrote t (autograd's version counter knows)
      // AVG of integers: NCCL sums, the division truncates on the device (as the gloo engine); booleans reduce as OR/AND.
      calls.length = 0;
      const i = torch.tensor([7, -7, 9], { dtype: 'int32', device: 'cuda' });
      await dist.allReduce(i, { op: dist.ReduceOp.AVG });
      expect(calls.map((c) => [c.redOp, c.dtype])).toEqual([['sum', 'int32']]);
      expect(await vals(i)).toEqual([7, -7, 9]);
      calls.length = 0;
      const b = torch.tensor([true, false], { device: 'cuda' });
      await dist.allReduce(b); await dist.allReduce(b, { op: dist.ReduceOp.PRODUCT });
      expect(calls.map((c) => [c.redOp, c.dtype])).toEqual([['max', 'uint8'], ['min', 'uint8']]);
      expect(() => dist.allReduce(b, { op: dist.ReduceOp.AVG })).toThrow('allReduce: Cannot use ReduceOp.AVG with boolean inputs');
      for (const dtype of ['float16', 'float64', 'uint8'] as const) {
        calls.length = 0;
        const x = torch.tensor([1, 2, 250], { dtype, device: 'cuda' });
        await dist.allReduce(x);
        expect(calls.map((c) => [c.dtype, c.count])).toEqual([[dtype, 3]]);
        expect(await vals(x)).toEqual([1, 2, 250]);
      }
    });

    it('views: an offset reaches NCCL as the address of the first element; non-contiguous tensors go through a device copy', async () => {
      const big = torch.arange(10, { dtype: 'float32', device: 'cuda' });
      const part = big.narrow(0, 3, 4); // elements 3..6, offset 3
      const out = torch.zeros([4], { device: 'cuda' });
      calls.length = 0;
      await dist.allGatherIntoTensor(out, part);
      expect(calls[0]!.send! - devAddr(big)).toBe(3 * 4);
      expect(await vals(out)).toEqual([3, 4, 5, 6]);
      const m = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device: 'cuda' });
      const mt = m.t(); // [3, 2], not contiguous
      const into = torch.zeros([2, 3], { device: 'cuda' }).t();
      await dist.allGatherIntoTensor(into, mt);
      expect(await vals(into.contiguous())).toEqual([1, 4, 2, 5, 3, 6]);
      await dist.broadcast(mt, 0);
      expect(await vals(m)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('every collective of the list, with the NCCL calls each one makes', async () => {
      const t = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32', device: 'cuda' });
      const seen: Record<string, string[]> = {};
      const run = async (name: string, f: () => PromiseLike<void>) => { calls.length = 0; await f(); seen[name] = ops(); };
      await run('broadcast', () => dist.broadcast(t, 0));
      await run('reduce', () => dist.reduce(t, 0, { op: dist.ReduceOp.MIN }));
      const list = [torch.zeros([2, 2], { device: 'cuda' })];
      await run('allGather', () => dist.allGather(list, t));
      expect(await vals(list[0]!)).toEqual([1, 2, 3, 4]);
      const rs = torch.zeros([2, 2], { device: 'cuda' });
      await run('reduceScatter', () => dist.reduceScatter(rs, [t]));
      expect(await vals(rs)).toEqual([1, 2, 3, 4]);
      const g = [torch.zeros([2, 2], { device: 'cuda' })];
      await run('gather', () => dist.gather(t, { gatherList: g }));
      expect(await vals(g[0]!)).toEqual([1, 2, 3, 4]);
      const s = torch.zeros([2, 2], { device: 'cuda' });
      await run('scatter', () => dist.scatter(s, { scatterList: [t] }));
      expect(await vals(s)).toEqual([1, 2, 3, 4]);
      const a = [torch.zeros([2, 2], { device: 'cuda' })];
      await run('allToAll', () => dist.allToAll(a, [t]));
      expect(await vals(a[0]!)).toEqual([1, 2, 3, 4]);
      await run('barrier', () => dist.barrier());
      expect(seen).toEqual({
        broadcast: ['broadcast'], reduce: ['reduce'], allGather: ['allGather'], reduceScatter: ['reduceScatter'],
        // gather/scatter/allToAll are point-to-point calls in one NCCL group; a rank's own part is a device copy
        gather: ['groupStart', 'groupEnd'], scatter: ['groupStart', 'groupEnd'], allToAll: ['groupStart', 'groupEnd'],
        barrier: ['allReduce'],
      });
      expect(await vals(t)).toEqual([1, 2, 3, 4]);
      const w = dist.allReduce(t, { asyncOp: true });
      await w.wait();
      expect(w.isCompleted()).toBe(true);
    });

    it('object collectives travel through device memory', async () => {
      const objs: unknown[] = [{ a: 1 }, 'x'];
      await dist.broadcastObjectList(objs, 0);
      expect(objs).toEqual([{ a: 1 }, 'x']);
      const got: unknown[] = [null];
      calls.length = 0;
      await dist.allGatherObject(got, { rank: 0, s: 'héllo' });
      expect(got).toEqual([{ rank: 0, s: 'héllo' }]);
      expect(calls.map((c) => [c.op, c.dtype])).toEqual([['allGather', 'int32'], ['allGather', 'uint8']]);
    });

    it("refuses what NCCL cannot take: CPU tensors (PyTorch's message), other devices, dtypes, p2p with itself", () => {
      expect(() => dist.allReduce(torch.ones([2]))).toThrow('allReduce: No backend type associated with device type cpu');
      expect(() => dist.broadcast(torch.ones([2], { device: 'cuda:1' }), 0)).toThrow("broadcast: tensor is on 'cuda:1' but this rank's NCCL communicator is on 'cuda'");
      expect(() => dist.allGather([torch.ones([2])], torch.ones([2], { device: 'cuda' }))).toThrow(/allGather: No backend type associated with device type cpu/);
      expect(() => dist.allReduce(torch.ones([2], { dtype: 'complex64', device: 'cuda' }))).toThrow(/tensors of dtype complex64 are not supported by the nccl backend/);
      expect(() => dist.isend(torch.ones([1], { device: 'cuda' }), 0)).toThrow('send: cannot send to itself (rank 0)');
      expect(() => new torch.nn.parallel.DistributedDataParallel(new torch.nn.Linear(2, 2))).toThrow("DistributedDataParallel: No backend type associated with device type cpu (backend 'nccl' moves CUDA tensors; parameter 'weight' is on 'cpu')");
    });

    it('rendezvous: the group\'s rank 0 makes the unique id, every member inits with it once all have read it', async () => {
      const { StoreServer, StoreClient } = await import('../../src/distributed/store.js');
      const { newNcclGroup } = await import('../../src/distributed/nccl.js');
      const server = await StoreServer.listen(0, 3);
      const clients = await Promise.all([0, 1, 2].map(() => StoreClient.connect('127.0.0.1', server.port, 5000)));
      try {
        inits.length = 0;
        // Rank 2 asks first: it waits for rank 0's id in the store.
        const groups = await Promise.all([2, 1, 0].map((rank) => newNcclGroup({ store: clients[rank]!, prefix: 'g7', rank, size: 3, device: 1, timeout: 5000 })));
        expect(groups.map((g) => [g.rank, g.size, g.device])).toEqual([[2, 3, 1], [1, 3, 1], [0, 3, 1]]);
        expect(inits.map((i) => [i.dev, i.n, i.rank]).sort()).toEqual([[1, 3, 0], [1, 3, 1], [1, 3, 2]]);
        expect(new Set(inits.map((i) => i.id)).size).toBe(1);
        expect(Buffer.from(await clients[1]!.get('g7/ncclUniqueId')).toString('hex')).toBe(inits[0]!.id);
        // A member whose rank 0 never comes says so after the timeout.
        await expect(newNcclGroup({ store: clients[1]!, prefix: 'g8', rank: 1, size: 2, device: 0, timeout: 300 }))
          .rejects.toThrow(/rank 1 of the NCCL group 'g8' did not get the unique id from its rank 0 within 300 ms/);
      } finally {
        for (const c of clients) c.close();
        server.close();
      }
    });

    it('newGroup makes a communicator of its own', async () => {
      const g = await dist.newGroup([0]);
      calls.length = 0;
      const t = torch.tensor([5, 6], { device: 'cuda' });
      await dist.allReduce(t, { group: g });
      expect(ops()).toEqual(['allReduce']);
      expect(g.rank()).toBe(0);
      await dist.destroyProcessGroup(g);
      expect(() => dist.allReduce(t, { group: g })).toThrow(/the process group was destroyed/);
    });

    it("bench/nccl-check.mjs's checks pass on the stand-in (so a GPU run fails only for GPU reasons)", async () => {
      const { ncclChecks } = await import('../../bench/nccl-check.mjs');
      const checks = await ncclChecks(torch);
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.length).toBeGreaterThan(30);
    });

    it('DDP on cuda: flat CUDA buckets all-reduced by NCCL; 20 steps equal one process (world of one)', async () => {
      torch.manualSeed(3);
      const make = () => new torch.nn.Sequential(new torch.nn.Linear(5, 8), new torch.nn.Tanh(), new torch.nn.Linear(8, 3));
      const ref = make();
      const local = make();
      local.loadStateDict(ref.stateDict());
      ref.cuda(); local.cuda();
      const x = torch.randn([16, 5]).cuda(), y = torch.randn([16, 3]).cuda();
      const ddp = new torch.nn.parallel.DistributedDataParallel(local, { bucketCapMb: 0.0001 }); // ~100-byte buckets: several
      const o1 = new torch.optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9 });
      const o2 = new torch.optim.SGD(ref.parameters(), { lr: 0.1, momentum: 0.9 });
      calls.length = 0;
      for (let s = 0; s < 20; s++) {
        o1.zeroGrad(); torch.nn.functional.mseLoss(ddp.call(x) as Tensor, y).backward(); o1.step();
        o2.zeroGrad(); torch.nn.functional.mseLoss(ref.call(x) as Tensor, y).backward(); o2.step();
      }
      const buckets = calls.filter((c) => c.op === 'allReduce');
      expect(buckets.length % 20).toBe(0);
      expect(buckets.length / 20).toBeGreaterThan(1);
      expect(buckets.reduce((n, c) => n + c.count!, 0) / 20).toBe(5 * 8 + 8 + 8 * 3 + 3);
      const a = ddp.module.stateDict(), b = ref.stateDict();
      for (const k of Object.keys(b)) {
        const d = await vals((a[k] as Tensor).sub(b[k] as Tensor).abs().max());
        expect(d[0]).toBeLessThanOrEqual(1e-6);
      }
    });
  });

  it('a rank uses the device torch.cuda.setDevice chose; tensors elsewhere are refused', async () => {
    torch.cuda.setDevice(1);
    try {
      await dist.initProcessGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1 });
      const t = torch.ones([3], { device: 'cuda' });
      expect(t.device).toBe('cuda:1');
      await dist.allReduce(t);
      expect(() => dist.allReduce(torch.ones([3], { device: 'cuda:0' }))).toThrow("allReduce: tensor is on 'cuda' but this rank's NCCL communicator is on 'cuda:1'");
      await dist.destroyProcessGroup();
    } finally { torch.cuda.setDevice(0); }
  });
});

function devAddr(t: Tensor): number {
  return (t.view_().buf as unknown as { ptr: number }).ptr;
}
