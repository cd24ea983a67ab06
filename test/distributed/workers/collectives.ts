// Worker of collectives.test.ts (one process per rank, started by `torchlet run`): runs every
// collective on float32 and int32 inputs derived from the rank and prints what each left behind as
// one `RESULT <json>` line; the test checks the values with its own arithmetic.
import * as torch from '../../../src/index.js';

const dist = torch.distributed;
await dist.initProcessGroup({ backend: 'gloo', timeout: 20000 });
const r = dist.getRank(), n = dist.getWorldSize();
const out: Record<string, unknown> = { rank: r, worldSize: n, initialized: dist.isInitialized(), backend: dist.getBackend() };
const input = (dtype: 'float32' | 'int32', device: string) => (dtype === 'float32'
  ? torch.tensor([r + 1, 2 - r, 0.5 * (r + 1)], { dtype, device }) : torch.tensor([r + 1, 2 - r, 3 * r], { dtype, device }));
const list = (t: torch.Tensor) => t.tolist();

// Every device this process has (WebGPU tensors go through the host), float32 and int32.
await torch.init();
const devices = ['cpu', ...(torch.webgpu.isAvailable() ? ['webgpu'] : [])];
out.devices = devices;
const cases: Record<string, unknown> = {};
for (const device of devices) for (const dtype of ['float32', 'int32'] as const) {
  const o = { dtype, device };
  const res: Record<string, unknown> = {};
  for (const op of ['sum', 'avg', 'product', 'min', 'max'] as const) {
    const t = input(dtype, device);
    await dist.allReduce(t, { op });
    res[`allReduce_${op}`] = await list(t);
  }
  const w = dist.allReduce(input(dtype, device).mul(2), { asyncOp: true });
  res.workIsWork = w instanceof dist.Work;
  await w.wait();
  res.workDone = w.isCompleted();
  const b = input(dtype, device);
  await dist.broadcast(b, n - 1);
  res.broadcast = await list(b);
  const red = input(dtype, device);
  await dist.reduce(red, 1, { op: dist.ReduceOp.SUM });
  res.reduce = await list(red);
  const gathered = Array.from({ length: n }, () => torch.zeros([3], o));
  await dist.allGather(gathered, input(dtype, device));
  res.allGather = await Promise.all(gathered.map(list));
  const into = torch.zeros([n, 3], o);
  await dist.allGatherIntoTensor(into, input(dtype, device));
  res.allGatherIntoTensor = await list(into);
  // reduceScatter: rank j's input i is [10 i + j, j]; output on rank i = sum over j.
  const rsOut = torch.zeros([2], o);
  await dist.reduceScatter(rsOut, Array.from({ length: n }, (_, i) => torch.tensor([10 * i + r, r], o)));
  res.reduceScatter = await list(rsOut);
  const gl = r === 0 ? Array.from({ length: n }, () => torch.zeros([3], o)) : null;
  await dist.gather(input(dtype, device), { gatherList: gl, dst: 0 });
  res.gather = gl ? await Promise.all(gl.map(list)) : null;
  const sc = torch.zeros([2], o);
  await dist.scatter(sc, { scatterList: r === 0 ? Array.from({ length: n }, (_, i) => torch.tensor([i, 100 + i], o)) : null, src: 0 });
  res.scatter = await list(sc);
  // allToAll: rank j sends [100 j + i] to rank i.
  const a2aOut = Array.from({ length: n }, () => torch.zeros([1], o));
  await dist.allToAll(a2aOut, Array.from({ length: n }, (_, i) => torch.tensor([100 * r + i], o)));
  res.allToAll = await Promise.all(a2aOut.map(list));
  // send/recv around the ring: r sends [r, 7] to r + 1.
  const got = torch.zeros([2], o);
  const rq = dist.irecv(got, (r + n - 1) % n, { tag: 3 });
  await dist.send(torch.tensor([r, 7], o), (r + 1) % n, { tag: 3 });
  await rq.wait();
  res.ring = await list(got);
  cases[`${device} ${dtype}`] = res;
}
out.cases = cases;

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
  out.groupAllReduce = await list(t);
  const bt = torch.tensor([r * 10]);
  await dist.broadcast(bt, n - 1, { group: odd });
  out.groupBroadcast = await list(bt);
} else {
  try { await dist.allReduce(torch.tensor([0]), { group: odd }); } catch (e) { out.nonMemberError = (e as Error).message; }
}
await dist.barrier();
if (odd.rank() >= 0) {
  await dist.destroyProcessGroup(odd);
  try { await dist.allReduce(torch.tensor([1]), { group: odd }); } catch (e) { out.destroyedGroupError = (e as Error).message; }
}
try { await dist.allReduce(torch.zeros([2], { dtype: "float16" })); } catch (e) { out.float16Error = (e as Error).message; }
await dist.destroyProcessGroup();
out.initializedAfter = dist.isInitialized();
console.log(`RESULT ${JSON.stringify(out)}`);
