// Worker of ddp.test.ts: DistributedDataParallel training and its options, one process per rank.
// Prints `RESULT <json>` with final weights (DDP and, on rank 0, one process on the whole batch),
// noSync-accumulated gradients and the findUnusedParameters outcomes; the test compares them with
// PyTorch's single-process reference (test/fixtures/distributed.json).
import { readFileSync } from 'node:fs';
import * as torch from '../../../src/index.js';

const dist = torch.distributed;
const nn = torch.nn;
const fx = JSON.parse(readFileSync(new URL('../../fixtures/distributed.json', import.meta.url), 'utf8')).ddp;
await dist.initProcessGroup({ backend: 'gloo', timeout: 20000 });
const r = dist.getRank(), n = dist.getWorldSize();
const out: Record<string, unknown> = { rank: r };

const mlp = () => {
  const m = new nn.Sequential(new nn.Linear(5, 8), new nn.Tanh(), new nn.Linear(8, 3));
  m.loadStateDict(Object.fromEntries(Object.entries(fx.init as Record<string, number[]>).map(([k, v]) => [k, torch.tensor(v)])));
  return m;
};
const stateOf = (m: torch.nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, (v as torch.Tensor).tolistSync()]));
const x = torch.tensor(fx.x as number[][]), y = torch.tensor(fx.y as number[][]);
const rows = 16 / n;
const xs = x.narrow(0, r * rows, rows), ys = y.narrow(0, r * rows, rows);

// A group rank 0 is not in, right before DDP's blocking broadcast: rank 0 must still serve the
// store the members rendezvous through (newGroup ends with a world barrier).
await dist.newGroup(n === 2 ? [1] : [1, 2]);

// 1. 20 SGD steps; rank r > 0 starts from perturbed weights, which the constructor's broadcast replaces.
const local = mlp();
if (r > 0) torch.noGrad(() => { for (const p of local.parameters()) p.add_(1); });
const ddp = new nn.parallel.DistributedDataParallel(local, { bucketCapMb: 0.0001 }); // ~100-byte buckets: several of them
const opt = new torch.optim.SGD(ddp.parameters(), { lr: fx.lr, momentum: fx.momentum });
for (let s = 0; s < fx.steps; s++) {
  opt.zeroGrad();
  const loss = nn.functional.mseLoss(ddp.call(xs) as torch.Tensor, ys);
  loss.backward();
  opt.step();
}
out.ddpFinal = stateOf(ddp.module);
out.stateDictKeys = Object.keys(ddp.stateDict());
if (r === 0) {
  const single = mlp();
  const o = new torch.optim.SGD(single.parameters(), { lr: fx.lr, momentum: fx.momentum });
  for (let s = 0; s < fx.steps; s++) {
    o.zeroGrad();
    nn.functional.mseLoss(single.call(x) as torch.Tensor, y).backward();
    o.step();
  }
  out.singleFinal = stateOf(single);
}

// 2. noSync: two micro-batches of 4 rows per rank, the first without synchronization.
if (n === 2) {
  const acc = new nn.parallel.DistributedDataParallel(mlp());
  const mb = (k: number) => [x.narrow(0, r * 8 + 4 * k, 4), y.narrow(0, r * 8 + 4 * k, 4)] as const;
  acc.noSync(() => { const [a, b] = mb(0); nn.functional.mseLoss(acc.call(a) as torch.Tensor, b).backward(); });
  const [a, b] = mb(1);
  nn.functional.mseLoss(acc.call(a) as torch.Tensor, b).backward();
  out.accGrads = Object.fromEntries(acc.module.namedParameters().map(([k, p]) => [k, p.grad!.tolistSync()]));
}

// 2b. broadcastBuffers: before each forward, rank 0's BatchNorm running stats replace this rank's.
{
  const bn = new nn.parallel.DistributedDataParallel(new nn.BatchNorm1d(5, { affine: false }));
  bn.call(xs); // running_mean = 0.1 * mean(xs) on each rank, from its own rows
  bn.call(xs); // starts from rank 0's: 0.9 * 0.1 * mean(rank 0 rows) + 0.1 * mean(xs)
  out.bnRunningMean = (bn.module.runningMean as torch.Tensor).tolistSync();
  const off = new nn.parallel.DistributedDataParallel(new nn.BatchNorm1d(5, { affine: false }), { broadcastBuffers: false });
  off.call(xs); off.call(xs); // 0.19 * mean(xs): its own statistics only
  out.bnRunningMeanNoBroadcast = (off.module.runningMean as torch.Tensor).tolistSync();
}

// 3. findUnusedParameters: a branch the loss does not use.
class TwoHeads extends nn.Module {
  a = new nn.Linear(5, 1);
  b = new nn.Linear(5, 1);
  forward(t: torch.Tensor) { return this.a.call(t); }
}
const withFind = new nn.parallel.DistributedDataParallel(new TwoHeads(), { findUnusedParameters: true });
for (let s = 0; s < 2; s++) {
  withFind.zeroGrad();
  (withFind.call(xs) as torch.Tensor).sum().backward();
}
out.findUnused = { aGrad: withFind.module.a.weight.grad !== null, bGrad: withFind.module.b.weight.grad };
const noFind = new nn.parallel.DistributedDataParallel(new TwoHeads());
(noFind.call(xs) as torch.Tensor).sum().backward();
try { noFind.call(xs); out.noFindError = null; } catch (e) { out.noFindError = (e as Error).message; }

await dist.destroyProcessGroup();
console.log(`RESULT ${JSON.stringify(out)}`);
