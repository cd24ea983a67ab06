// Worker of collectives.test.ts (one process per rank, started by `torchlet run`): runs every
// collective on float32 and int32 inputs derived from the rank and prints what each left behind as
// one `RESULT <json>` line; the test checks the values with its own arithmetic.
import * as torch from '../../../src/index.js';

const dist = torch.distributed;
await dist.initProcessGroup({ backend: 'gloo', timeout: 20000 });
const r = dist.getRank(), n = dist.getWorldSize();
const out: Record<string, unknown> = { rank: r, worldSize: n, initialized: dist.isInitialized(), backend: dist.getBackend() };
const input = (dtype: 'float32' | 'int32') => (dtype === 'float32' ? torch.tensor([r + 1, 2 - r, 0.5 * (r + 1)], { dtype }) : torch.tensor([r + 1, 2 - r, 3 * r], { dtype: 'int32' }));
const list = (t: torch.Tensor) => t.tolistSync();

for (const dtype of ['float32', 'int32'] as const) {
  const res: Record<string, unknown> = {};
  for (const op of ['sum', 'avg', 'product', 'min', 'max'] as const) {
    const t = input(dtype);
    await dist.allReduce(t, { op });
    res[`allReduce_${op}`] = list(t);
  }
  const w = dist.allReduce(input(dtype).mul(2), { asyncOp: true });
  res.workIsWork = w instanceof dist.Work;
  await w.wait();
  res.workDone = w.isCompleted();
  const b = input(dtype);
  await dist.broadcast(b, n - 1);
  res.broadcast = list(b);
  const red = input(dtype);
  await dist.reduce(red, 1, { op: dist.ReduceOp.SUM });
  res.reduce = list(red);
  const gathered = Array.from({ length: n }, () => torch.zeros([3], { dtype }));
  await dist.allGather(gathered, input(dtype));
  res.allGather = gathered.map(list);
  const into = torch.zeros([n, 3], { dtype });
  await dist.allGatherIntoTensor(into, input(dtype));
  res.allGatherIntoTensor = list(into);
  // reduceScatter: rank j's input i is [10 i + j, j]; output on rank i = sum over j.
  const rsOut = torch.zeros([2], { dtype });
  await dist.reduceScatter(rsOut, Array.from({ length: n }, (_, i) => torch.tensor([10 * i + r, r], { dtype })));
  res.reduceScatter = list(rsOut);
  const gl = r === 0 ? Array.from({ length: n }, () => torch.zeros([3], { dtype })) : null;
  await dist.gather(input(dtype), { gatherList: gl, dst: 0 });
  res.gather = gl ? gl.map(list) : null;
  const sc = torch.zeros([2], { dtype });
  await dist.scatter(sc, { scatterList: r === 0 ? Array.from({ length: n }, (_, i) => torch.tensor([i, 100 + i], { dtype })) : null, src: 0 });
  res.scatter = list(sc);
  // allToAll: rank j sends [100 j + i] to rank i.
  const a2aOut = Array.from({ length: n }, () => torch.zeros([1], { dtype }));
  await dist.allToAll(a2aOut, Array.from({ length: n }, (_, i) => torch.tensor([100 * r + i], { dtype })));
  res.allToAll = a2aOut.map(list);
  // send/recv around the ring: r sends [r, 7] to r + 1.
  const got = torch.zeros([2], { dtype });
  const rq = dist.irecv(got, (r + n - 1) % n, { tag: 3 });
  await dist.send(torch.tensor([r, 7], { dtype }), (r + 1) % n, { tag: 3 });
  await rq.wait();
  res.ring = list(got);
  out[dtype] = res;
}

await dist.barrier();
const objs: unknown[] = r === 1 ? [{ a: [1, 2], s: 'from one' }, 5] : [null, null];
await dist.broadcastObjectList(objs, 1);
out.broadcastObjectList = objs;
const all: unknown[] = new Array(n).fill(null);
await dist.allGatherObject(all, { rank: r, pad: 'x'.repeat(r * 3) });
out.allGatherObject = all;
// A group of the odd ranks (every rank calls newGroup).
const odd = await dist.newGroup(Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 1));
out.groupRank = odd.rank();
out.groupSize = dist.getWorldSize(odd);
if (odd.rank() >= 0) {
  const t = torch.tensor([r]);
  await dist.allReduce(t, { group: odd });
  out.groupAllReduce = list(t);
  const bt = torch.tensor([r * 10]);
  await dist.broadcast(bt, n - 1, { group: odd });
  out.groupBroadcast = list(bt);
} else {
  try { await dist.allReduce(torch.tensor([0]), { group: odd }); } catch (e) { out.nonMemberError = (e as Error).message; }
}
await dist.barrier();
try { await dist.allReduce(torch.zeros([2], { dtype: "float16" })); } catch (e) { out.float16Error = (e as Error).message; }
await dist.destroyProcessGroup();
out.initializedAfter = dist.isInitialized();
console.log(`RESULT ${JSON.stringify(out)}`);
