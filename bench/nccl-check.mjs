// GPU-only check of backend 'nccl' on the real NCCL: every collective on CUDA tensors against values
// computed here, views, asyncOp, newGroup, object collectives, the CPU refusal, DDP (20 steps) vs one
// process (<= 1e-6). `node bench/nccl-check.mjs` after `npm run build` and `npm run build:cuda`:
// world size 1, then one process per GPU when there are 2+; exits 1 on any failure. Plain JavaScript
// (no TypeScript loader on the GPU machine); test/distributed/nccl-gpu.test.ts runs it on the sources.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @typedef {{ name: string, ok: boolean, detail?: string }} Check */

/**
 * Runs every check in this process (already in a 'nccl' process group, or joining a world of one).
 * @param {any} torch the torchlet module (dist bundle or sources)
 * @returns {Promise<Check[]>}
 */
export async function ncclChecks(torch) {
  const dist = torch.distributed;
  /** @type {Check[]} */
  const out = [];
  const check = async (name, fn) => {
    try { const detail = await fn(); out.push({ name, ok: detail === undefined || detail === true, detail: detail === true ? undefined : detail }); }
    catch (e) { out.push({ name, ok: false, detail: (e && e.stack) || String(e) }); }
  };
  const vals = async (t) => Array.from(await t.data(), Number);
  const near = (got, want, tol) => {
    if (got.length !== want.length) return `got ${got.length} values, want ${want.length}`;
    for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])))) return `[${got}] != [${want}]`;
    return undefined;
  };
  const same = async (t, want, tol = 0) => near(await vals(t), want, tol);

  if (!dist.isInitialized()) {
    await torch.init();
    await dist.initProcessGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1, timeout: 120000 });
  }
  const n = dist.getWorldSize(), r = dist.getRank();
  const ks = Array.from({ length: n }, (_, k) => k);
  const cuda = (v, dtype = 'float32') => torch.tensor(v, { dtype, device: 'cuda' });
  const sumOver = (f) => ks.reduce((s, k) => s + f(k), 0);
  const prodOver = (f) => ks.reduce((s, k) => s * f(k), 1);

  // Rank k holds [k+1, 2k+3, 5]: increasing in k, so MIN is rank 0's and MAX rank n-1's.
  const v = (k) => [k + 1, 2 * k + 3, 5];
  for (const dtype of ['float32', 'float16', 'float64', 'int32', 'uint8']) {
    const integer = dtype === 'int32' || dtype === 'uint8';
    const tol = dtype === 'float16' ? 1e-3 : dtype === 'float32' ? 1e-6 : 0;
    const want = {
      sum: [0, 1, 2].map((i) => sumOver((k) => v(k)[i])),
      product: [0, 1, 2].map((i) => prodOver((k) => v(k)[i])),
      min: v(0), max: v(n - 1),
      avg: [0, 1, 2].map((i) => { const s = sumOver((k) => v(k)[i]) / n; return integer ? Math.trunc(s) : s; }),
    };
    for (const op of ['sum', 'avg', 'product', 'min', 'max']) {
      if (dtype === 'uint8' && op === 'product' && want.product.some((x) => x > 255)) continue;
      await check(`allReduce ${op} ${dtype}`, async () => {
        const t = cuda(v(r), dtype);
        await dist.allReduce(t, { op });
        return same(t, want[op], tol);
      });
    }
  }
  await check('allReduce bool (SUM is OR)', async () => {
    const t = torch.tensor([r === 0, false], { device: 'cuda' });
    await dist.allReduce(t);
    return same(t, [1, 0]);
  });
  await check('broadcast from the last rank', async () => {
    const t = cuda(v(r)); await dist.broadcast(t, n - 1); return same(t, v(n - 1));
  });
  await check('reduce SUM to rank 0 (others keep theirs)', async () => {
    const t = cuda(v(r)); await dist.reduce(t, 0);
    return same(t, r === 0 ? [0, 1, 2].map((i) => sumOver((k) => v(k)[i])) : v(r));
  });
  await check('allGather', async () => {
    const list = ks.map(() => torch.zeros([3], { device: 'cuda' }));
    await dist.allGather(list, cuda(v(r)));
    for (const k of ks) { const bad = await same(list[k], v(k)); if (bad) return `rank ${k}: ${bad}`; }
    return undefined;
  });
  await check('allGatherIntoTensor', async () => {
    const o = torch.zeros([n, 3], { device: 'cuda' });
    await dist.allGatherIntoTensor(o, cuda(v(r)));
    return same(o, ks.flatMap(v));
  });
  await check('reduceScatter SUM', async () => {
    // Rank k's input j is [k + j, 1]: rank r gets [sum_k (k + r), n].
    const o = torch.zeros([2], { device: 'cuda' });
    await dist.reduceScatter(o, ks.map((j) => cuda([r + j, 1])));
    return same(o, [sumOver((k) => k + r), n]);
  });
  await check('gather to rank 0', async () => {
    const list = r === 0 ? ks.map(() => torch.zeros([3], { device: 'cuda' })) : null;
    await dist.gather(cuda(v(r)), { gatherList: list, dst: 0 });
    if (list) for (const k of ks) { const bad = await same(list[k], v(k)); if (bad) return `from rank ${k}: ${bad}`; }
    return undefined;
  });
  await check('scatter from rank 0', async () => {
    const t = torch.zeros([2], { device: 'cuda' });
    await dist.scatter(t, { scatterList: r === 0 ? ks.map((k) => cuda([10 * k, 10 * k + 1])) : null, src: 0 });
    return same(t, [10 * r, 10 * r + 1]);
  });
  await check('allToAll', async () => {
    const outs = ks.map(() => torch.zeros([1], { device: 'cuda' }));
    await dist.allToAll(outs, ks.map((j) => cuda([100 * r + j])));
    for (const k of ks) { const bad = await same(outs[k], [100 * k + r]); if (bad) return `from rank ${k}: ${bad}`; }
    return undefined;
  });
  await check('barrier', async () => { await dist.barrier(); });
  if (n >= 2) {
    await check('send/recv between ranks 0 and 1', async () => {
      if (r === 0) await dist.send(cuda([42, 43]), 1);
      if (r === 1) { const t = torch.zeros([2], { device: 'cuda' }); await dist.recv(t, 0); return same(t, [42, 43]); }
      return undefined;
    });
  }
  await check('views: offset and non-contiguous tensors', async () => {
    const big = torch.arange(10, { dtype: 'float32', device: 'cuda' }).add(r);
    const part = big.narrow(0, 3, 4);
    await dist.allReduce(part);
    const bad = await same(big, Array.from({ length: 10 }, (_, i) => (i >= 3 && i < 7 ? sumOver((k) => i + k) : i + r)));
    if (bad) return `narrow: ${bad}`;
    const m = cuda([[1, 2, 3], [4, 5, 6]]).mul(r + 1);
    await dist.allReduce(m.t());
    return same(m, [1, 2, 3, 4, 5, 6].map((x) => x * sumOver((k) => k + 1)));
  });
  await check('asyncOp work handle', async () => {
    const t = cuda(v(r));
    const w = dist.allReduce(t, { op: dist.ReduceOp.MAX, asyncOp: true });
    await w.wait();
    if (!w.isCompleted()) return 'isCompleted() false after wait()';
    return same(t, v(n - 1));
  });
  await check('object collectives', async () => {
    const objs = r === 0 ? [{ a: [1, 2] }, 'zero'] : [null, null];
    await dist.broadcastObjectList(objs, 0);
    if (JSON.stringify(objs) !== JSON.stringify([{ a: [1, 2] }, 'zero'])) return `broadcastObjectList: ${JSON.stringify(objs)}`;
    const got = ks.map(() => null);
    await dist.allGatherObject(got, { rank: r, s: 'é'.repeat(r + 1) });
    return JSON.stringify(got) === JSON.stringify(ks.map((k) => ({ rank: k, s: 'é'.repeat(k + 1) }))) ? undefined : `allGatherObject: ${JSON.stringify(got)}`;
  });
  await check('newGroup of every rank', async () => {
    const g = await dist.newGroup();
    const t = cuda([r + 1]);
    await dist.allReduce(t, { group: g });
    await dist.destroyProcessGroup(g);
    return same(t, [sumOver((k) => k + 1)]);
  });
  await check("CPU tensors refused with PyTorch's message", async () => {
    try { dist.allReduce(torch.ones([2])); } catch (e) { return /No backend type associated with device type cpu/.test(e.message) ? undefined : e.message; }
    return 'no error';
  });
  await check('DDP: 20 SGD steps equal one process on the whole batch (<= 1e-6)', () => ddpCheck(torch, n, r));
  return out;
}

/** DDP on 'cuda' (small buckets: several) against one process on the concatenated batches. */
async function ddpCheck(torch, n, r) {
  const nn = torch.nn;
  if (16 % n) return undefined; // the batch splits evenly for 1, 2, 4, 8 ranks
  torch.manualSeed(0);
  const make = () => new nn.Sequential(new nn.Linear(5, 8), new nn.Tanh(), new nn.Linear(8, 3));
  const init = make().stateDict();
  const x = torch.randn([16, 5]), y = torch.randn([16, 3]);
  const fresh = () => { const m = make(); m.loadStateDict(init); return m.cuda(); };
  const local = fresh();
  if (r > 0) torch.noGrad(() => { for (const p of local.parameters()) p.add_(1); }); // replaced by rank 0's
  const ddp = new nn.parallel.DistributedDataParallel(local, { bucketCapMb: 0.0001 });
  const rows = 16 / n;
  const xs = x.narrow(0, r * rows, rows).cuda(), ys = y.narrow(0, r * rows, rows).cuda();
  const o1 = new torch.optim.SGD(ddp.parameters(), { lr: 0.1, momentum: 0.9 });
  const single = fresh();
  const o2 = new torch.optim.SGD(single.parameters(), { lr: 0.1, momentum: 0.9 });
  const xc = x.cuda(), yc = y.cuda();
  for (let s = 0; s < 20; s++) {
    o1.zeroGrad(); nn.functional.mseLoss(ddp.call(xs), ys).backward(); o1.step();
    o2.zeroGrad(); nn.functional.mseLoss(single.call(xc), yc).backward(); o2.step();
  }
  const a = ddp.module.stateDict(), b = single.stateDict();
  let worst = 0;
  for (const k of Object.keys(b)) worst = Math.max(worst, Number((await a[k].sub(b[k]).abs().max().data())[0]));
  return worst <= 1e-6 ? undefined : `max |DDP - single| = ${worst}`;
}

/** Prints the checks; true when all passed. */
function report(checks, rank) {
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} [rank ${rank}] ${c.name}${c.ok ? '' : `: ${c.detail}`}`);
  return checks.every((c) => c.ok);
}

async function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const torch = await import(pathToFileURL(join(root, 'dist/torchlet.js')).href);
  if (process.argv.includes('--worker')) { // one rank of `torchlet run` (environment from the launcher)
    await torch.init();
    await torch.distributed.initProcessGroup({ backend: 'nccl', timeout: 120000 });
    const ok = report(await ncclChecks(torch), torch.distributed.getRank());
    await torch.distributed.destroyProcessGroup();
    process.exit(ok ? 0 : 1);
  }
  await torch.init();
  if (!torch.distributed.isNcclAvailable()) {
    // initProcessGroup says why (no CUDA: torch.cuda's reason; no NCCL: where the addon looked).
    const why = await torch.distributed.initProcessGroup({ backend: 'nccl', initMethod: 'tcp://127.0.0.1:0', rank: 0, worldSize: 1 }).then(() => 'unknown', (e) => e.message);
    console.error(`nccl-check: backend 'nccl' is not available here: ${why}`);
    process.exit(1);
  }
  console.log(`nccl-check: ${torch.cuda.deviceCount()} CUDA device(s), ${torch.cuda.getDeviceName(0)}`);
  const t0 = Date.now();
  let ok = report(await ncclChecks(torch), 0);
  await torch.distributed.destroyProcessGroup();
  console.log(`nccl-check: world size 1 ${ok ? 'passed' : 'FAILED'} in ${Date.now() - t0} ms`);
  const gpus = torch.cuda.deviceCount();
  if (gpus >= 2) {
    const r = spawnSync(process.execPath, [join(root, 'bin/torchlet.mjs'), 'run', '--standalone', '--nproc-per-node', String(gpus), fileURLToPath(import.meta.url), '--worker'], { stdio: 'inherit' });
    console.log(`nccl-check: world size ${gpus} (one process per GPU) ${r.status === 0 ? 'passed' : 'FAILED'}`);
    ok &&= r.status === 0;
  } else {
    console.log('nccl-check: one GPU: the multi-process checks need 2+ GPUs (NCCL refuses two ranks on one device)');
  }
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
