// torch.distributed's collectives on CUDA tensors over an NCCL group (backend 'nccl'). Contract:
// each function checks its tensors (CUDA, on the group's device, a dtype NCCL moves), then enqueues
// everything on the device's stream before returning — NCCL calls on the tensors' own device memory,
// plus device copies where a tensor is not contiguous or a list must be (un)flattened. Nothing goes
// through the host; the caller's Work waits for the stream (NcclGroup.done). Ranks here are group ranks.

import type { Tensor } from '../tensor.js';
import { deviceIndex, deviceType } from '../backends/backend.js';
import { cudaDevice } from '../backends/registry.js';
import { empty } from '../ops/prim.js';
import { cat } from '../ops/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { devicePointer } from './cuda-access.js';
import type { NcclDtype, NcclGroup, NcclRedOp } from './nccl.js';

/** The reductions of ReduceOp (index.ts), by value. */
export type ReduceName = 'sum' | 'avg' | 'product' | 'min' | 'max';

/** A tensor's device memory as NCCL sees it: contiguous, with a write-back when it is a copy. */
interface Buf { ptr: number; count: number; dtype: NcclDtype; dense: Tensor; finish(): void }

/** NCCL's element type for t, or the op's error (bool moves as uint8). */
export function ncclDtype(what: string, t: Tensor): NcclDtype {
  switch (t.dtype) {
    case 'float32': case 'float16': case 'float64': case 'int32': case 'uint8': return t.dtype;
    case 'bool': return 'uint8';
    default: throw new TypeError(`${what}: tensors of dtype ${t.dtype} are not supported by the nccl backend (float32, float16, float64, int32, uint8, bool)`);
  }
}

/** Refuses a tensor NCCL cannot take: not on CUDA (PyTorch's message), or on another device than the group's. */
export function checkNcclTensor(what: string, t: Tensor, g: NcclGroup | null, name = 'tensor'): void {
  const type = deviceType(t.device);
  if (type !== 'cuda') throw new Error(`${what}: No backend type associated with device type ${type} (backend 'nccl' moves CUDA tensors; ${name} is on '${t.device}')`);
  if (g && deviceIndex(t.device) !== g.device) {
    throw new Error(`${what}: ${name} is on '${t.device}' but this rank's NCCL communicator is on '${cudaDevice(g.device)}' (torch.cuda.setDevice before initProcessGroup chooses it)`);
  }
  ncclDtype(what, t);
}

/** t itself when contiguous (a version bump marks the write), else a contiguous copy written back by finish(). */
function dense(t: Tensor, writes: boolean): Buf {
  const d = t.isContiguous() ? t : noGrad(() => t.contiguous());
  const finish = d === t ? () => { if (writes) t.storage.version++; } : () => { if (writes) noGrad(() => { t.copy_(d); }); };
  return { ptr: devicePointer(d), count: t.numel(), dtype: ncclDtype('nccl', t), dense: d, finish };
}

/** A fresh contiguous flat tensor on t's device. */
const flat = (like: Tensor, n: number): Tensor => empty([n], like.dtype, like.device);

/** NCCL's op for a reduction on dtype; `divide` says the caller divides afterwards (AVG on integers). */
function redOp(what: string, op: ReduceName, t: Tensor): { red: NcclRedOp; divide: boolean } {
  if (t.dtype === 'bool') {
    // As PyTorch's NCCL backend: a boolean SUM is an OR (MAX), a PRODUCT an AND (MIN).
    if (op === 'avg') throw new TypeError(`${what}: Cannot use ReduceOp.AVG with boolean inputs`);
    return { red: op === 'sum' || op === 'max' ? 'max' : 'min', divide: false };
  }
  if (op === 'avg') return t.dtype === 'int32' || t.dtype === 'uint8' ? { red: 'sum', divide: true } : { red: 'avg', divide: false };
  return { red: op === 'product' ? 'prod' : op, divide: false };
}
/** AVG of integers: the SUM divided by the group size, truncated (the Gloo engine's rule). */
function divideInPlace(t: Tensor, n: number): void {
  noGrad(() => { t.div_(n, { roundingMode: 'trunc' }); });
}

/** In-place allReduce of t (torch.distributed.all_reduce). */
export function ncclAllReduce(g: NcclGroup, what: string, t: Tensor, op: ReduceName): void {
  const { red, divide } = redOp(what, op, t);
  const b = dense(t, true);
  g.run(what, 'allReduce', { send: b.ptr, recv: b.ptr, count: b.count, dtype: b.dtype, redOp: red });
  if (divide) divideInPlace(b.dense, g.size);
  b.finish();
}

/** t from group rank `root` to every rank, in place (torch.distributed.broadcast). */
export function ncclBroadcast(g: NcclGroup, what: string, t: Tensor, root: number): void {
  const b = dense(t, g.rank !== root);
  g.run(what, 'broadcast', { send: b.ptr, recv: b.ptr, count: b.count, dtype: b.dtype, root });
  b.finish();
}

/** Reduces t into group rank `root`'s t; the others keep theirs (torch.distributed.reduce). */
export function ncclReduce(g: NcclGroup, what: string, t: Tensor, root: number, op: ReduceName): void {
  const { red, divide } = redOp(what, op, t);
  const mine = g.rank === root;
  const b = dense(t, mine);
  g.run(what, 'reduce', { send: b.ptr, recv: b.ptr, count: b.count, dtype: b.dtype, redOp: red, root });
  if (mine && divide) divideInPlace(b.dense, g.size);
  b.finish();
}

/** Every rank's `input` into `output` (size x numel, rank order) (torch.distributed.all_gather_into_tensor). */
export function ncclAllGatherIntoTensor(g: NcclGroup, what: string, output: Tensor, input: Tensor): void {
  const i = dense(input, false), o = dense(output, true);
  g.run(what, 'allGather', { send: i.ptr, recv: o.ptr, count: i.count, dtype: i.dtype });
  o.finish();
}

/** Every rank's `input` into outputs[r] (torch.distributed.all_gather): one allGather into a flat tensor, then device copies. */
export function ncclAllGather(g: NcclGroup, what: string, outputs: Tensor[], input: Tensor): void {
  const n = input.numel();
  const all = flat(input, n * g.size);
  ncclAllGatherIntoTensor(g, what, all, input);
  noGrad(() => { outputs.forEach((t, r) => { t.copy_(all.narrow(0, r * n, n).reshape(t.shape)); }); });
}

/** Reduces inputs[r] across ranks into rank r's `output` (torch.distributed.reduce_scatter). */
export function ncclReduceScatter(g: NcclGroup, what: string, output: Tensor, inputs: Tensor[], op: ReduceName): void {
  const { red, divide } = redOp(what, op, output);
  const all = noGrad(() => cat(inputs.map((x) => x.reshape([-1]))));
  const o = dense(output, true);
  g.run(what, 'reduceScatter', { send: devicePointer(all), recv: o.ptr, count: o.count, dtype: o.dtype, redOp: red });
  if (divide) divideInPlace(o.dense, g.size);
  o.finish();
}

/** Every rank's t into `list` on group rank `root`: point-to-point calls in one NCCL group, as PyTorch's gather. */
export function ncclGather(g: NcclGroup, what: string, t: Tensor, list: Tensor[] | null, root: number): void {
  const i = dense(t, false);
  if (g.rank !== root) {
    g.grouped(what, () => g.run(what, 'send', { send: i.ptr, recv: 0, count: i.count, dtype: i.dtype, peer: root }));
    return;
  }
  const outs = list!.map((x) => dense(x, true));
  g.grouped(what, () => {
    outs.forEach((o, r) => { if (r !== root) g.run(what, 'recv', { send: 0, recv: o.ptr, count: o.count, dtype: o.dtype, peer: r }); });
  });
  noGrad(() => { list![root]!.copy_(t.reshape(list![root]!.shape)); });
  outs.forEach((o, r) => { if (r !== root) o.finish(); });
}

/** list[r] on group rank `root` into rank r's t: point-to-point calls in one NCCL group, as PyTorch's scatter. */
export function ncclScatter(g: NcclGroup, what: string, t: Tensor, list: Tensor[] | null, root: number): void {
  if (g.rank !== root) {
    const o = dense(t, true);
    g.grouped(what, () => g.run(what, 'recv', { send: 0, recv: o.ptr, count: o.count, dtype: o.dtype, peer: root }));
    o.finish();
    return;
  }
  const ins = list!.map((x) => dense(x, false));
  g.grouped(what, () => {
    ins.forEach((b, r) => { if (r !== root) g.run(what, 'send', { send: b.ptr, recv: 0, count: b.count, dtype: b.dtype, peer: r }); });
  });
  noGrad(() => { t.copy_(list![root]!.reshape(t.shape)); });
}

/** inputs[r] to rank r, rank r's into outputs[r]: grouped send/recv (this rank's own part is a device copy). */
export function ncclAllToAll(g: NcclGroup, what: string, outputs: Tensor[], inputs: Tensor[]): void {
  const ins = inputs.map((x) => dense(x, false)), outs = outputs.map((x) => dense(x, true));
  g.grouped(what, () => {
    for (let r = 0; r < g.size; r++) {
      if (r === g.rank) continue;
      g.run(what, 'send', { send: ins[r]!.ptr, recv: 0, count: ins[r]!.count, dtype: ins[r]!.dtype, peer: r });
      g.run(what, 'recv', { send: 0, recv: outs[r]!.ptr, count: outs[r]!.count, dtype: outs[r]!.dtype, peer: r });
    }
  });
  noGrad(() => { outputs[g.rank]!.copy_(inputs[g.rank]!.reshape(outputs[g.rank]!.shape)); });
  outs.forEach((o, r) => { if (r !== g.rank) o.finish(); });
}

/** Sends t to group rank `peer` (torch.distributed.send). */
export function ncclSend(g: NcclGroup, what: string, t: Tensor, peer: number): void {
  const i = dense(t, false);
  g.run(what, 'send', { send: i.ptr, recv: 0, count: i.count, dtype: i.dtype, peer });
}

/** Receives into t from group rank `peer` (torch.distributed.recv). */
export function ncclRecv(g: NcclGroup, what: string, t: Tensor, peer: number): void {
  const o = dense(t, true);
  g.run(what, 'recv', { send: 0, recv: o.ptr, count: o.count, dtype: o.dtype, peer });
  o.finish();
}

/** An allReduce of one element on the group's device (PyTorch's NCCL barrier); the caller waits for the stream. */
export function ncclBarrier(g: NcclGroup, what: string): void {
  ncclAllReduce(g, what, empty([1], 'float32', cudaDevice(g.device)), 'sum');
}
