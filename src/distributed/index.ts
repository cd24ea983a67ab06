// torch.distributed: process groups over a collective engine (Gloo for CPU tensors, NCCL for CUDA
// tensors), rendezvous through our TCP store (store.ts). Collectives work in place and return an
// awaitable Work (`await dist.allReduce(t)`, or `work.wait()`). Gloo runs them off the JS thread on
// host memory (a contiguous CPU tensor's own, else a copy written back under noGrad when the op
// completes); NCCL enqueues them on the CUDA stream at the call, on device memory (nccl-ops.ts), and
// the Work resolves when the stream gets there. Every rank must call collectives, and newGroup, in
// the same order.

import { Tensor } from '../tensor.js';
import { tensor as makeTensor } from '../ops/creation.js';
import { noGrad } from '../autograd/grad-mode.js';
import { StoreClient, StoreServer } from './store.js';
import { cpuLiveArray, openEngine, glooAvailable, type Engine, type EngineGroup, type EngineDtype, type EngineReduce, type HostArray, type EngineWork } from './engine.js';
import { NcclGroup, newNcclGroup } from './nccl.js';
import { ensureCuda, ncclUnavailableReason, ncclDevice } from './cuda-access.js';
import { cudaDevice } from '../backends/registry.js';
import * as nccl from './nccl-ops.js';

/** Reduction operations (torch.distributed.ReduceOp). AVG divides the SUM by the group size (truncating for integers). */
export const ReduceOp = { SUM: 'sum', AVG: 'avg', PRODUCT: 'product', MIN: 'min', MAX: 'max' } as const;
/** One of ReduceOp's values. */
export type ReduceOpName = typeof ReduceOp[keyof typeof ReduceOp];
/** Backend names: 'gloo' (CPU tensors; others through the host) and 'nccl' (CUDA tensors; needs the CUDA addon with libnccl). */
export type DistBackend = 'gloo' | 'nccl';

/** Options of initProcessGroup (torch.distributed.init_process_group's keywords). */
export interface InitProcessGroupOptions {
  /** 'gloo' (default) or 'nccl'. */
  backend?: DistBackend;
  /** 'env://' (default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE), 'tcp://host:port' or 'file:///path'. */
  initMethod?: string;
  /** This process's rank (default: RANK). */
  rank?: number;
  /** Number of processes (default: WORLD_SIZE). */
  worldSize?: number;
  /** Milliseconds any rendezvous or collective may wait before failing (default 30 minutes). */
  timeout?: number;
}

/** A set of ranks that run collectives together (torch.distributed.ProcessGroup); from newGroup or the default group. */
export class ProcessGroup {
  /** @internal */
  constructor(
    /** Global ranks of the members, in group-rank order. */
    readonly ranks: readonly number[],
    /** @internal The engine's communicator: Gloo's or NCCL's, null when this process is not a member. */
    readonly engine: EngineGroup | NcclGroup | null,
  ) {}
  /** This process's rank inside the group (-1 when it is not a member). */
  rank(): number { return this.engine ? this.engine.rank : -1; }
  /** Number of ranks in the group. */
  size(): number { return this.ranks.length; }
}

/**
 * A collective in flight: `await work` or `await work.wait()` resolves once the tensors hold the
 * result. Every collective returns one (it is awaitable), with or without `{ asyncOp: true }`.
 */
export class Work implements PromiseLike<void> {
  private completed = false;
  /** @internal */
  constructor(private readonly promise: Promise<void>) {
    promise.then(() => { this.completed = true; }, () => { this.completed = true; });
  }
  /** Makes the Work awaitable: `await dist.allReduce(t)`. */
  then<A = void, B = never>(onFulfilled?: ((v: void) => A | PromiseLike<A>) | null, onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.promise.then(onFulfilled, onRejected);
  }
  /** Resolves when the op is done and its outputs are written; rejects with its error. */
  wait(): Promise<void> { return this.promise; }
  /** Whether the op has finished (successfully or not). */
  isCompleted(): boolean { return this.completed; }
}

interface State {
  /** Gloo's engine, null for 'nccl' (whose groups come from newNcclGroup on `device`). */
  engine: Engine | null; backend: DistBackend; device: number; rank: number; worldSize: number; timeout: number;
  host: string; port: number; hostname: string; iface: string;
  store: StoreClient; server: StoreServer | null; world: ProcessGroup; groups: ProcessGroup[]; nextGroup: number;
  removeFile: string | null;
}
let state: State | null = null;

type Env = Record<string, string | undefined>;
const env = (): Env => (globalThis as { process?: { env?: Env } }).process?.env ?? {};
const notInit = (what: string) => new Error(`${what}: Default process group has not been initialized, please make sure to call initProcessGroup.`);

function intFrom(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`initProcessGroup: ${what} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/**
 * Joins the job: rank 0 hosts the TCP store, every rank announces itself there (a duplicate rank or
 * another world size fails), then the engine connects every pair (torch.distributed.init_process_group).
 * With 'nccl', the rank's GPU is cuda:(LOCAL_RANK % torch.cuda.deviceCount()) unless
 * torch.cuda.setDevice chose another first; it becomes the current device ('cuda' means it).
 * @example
 * ```ts
 * await dist.initProcessGroup({ backend: 'gloo' });   // RANK, WORLD_SIZE, MASTER_ADDR/PORT from torchlet run
 * // or, for CUDA tensors (one GPU per local rank): await dist.initProcessGroup({ backend: 'nccl' });
 * ```
 */
export async function initProcessGroup(opts: InitProcessGroupOptions = {}): Promise<void> {
  if (state) throw new Error('initProcessGroup: trying to initialize the default process group twice!');
  const backend = opts.backend ?? 'gloo';
  const initMethod = opts.initMethod ?? 'env://';
  const timeout = opts.timeout ?? 30 * 60 * 1000;
  if (!(timeout > 0)) throw new Error(`initProcessGroup: timeout must be a positive number of milliseconds, got ${timeout}`);
  const e = env();
  let rank = intFrom(opts.rank, 'rank'), worldSize = intFrom(opts.worldSize, 'worldSize');
  let host: string, port: number, file: string | null = null;
  if (initMethod.startsWith('env://')) {
    const missing = ['MASTER_ADDR', 'MASTER_PORT', ...(rank === undefined ? ['RANK'] : []), ...(worldSize === undefined ? ['WORLD_SIZE'] : [])].filter((k) => !e[k]);
    if (missing.length) throw new Error(`initProcessGroup: initMethod 'env://' needs the environment variable(s) ${missing.join(', ')} (set by \`torchlet run\`), or pass rank/worldSize`);
    host = e.MASTER_ADDR!; port = intFrom(e.MASTER_PORT, 'MASTER_PORT')!;
    rank ??= intFrom(e.RANK, 'RANK'); worldSize ??= intFrom(e.WORLD_SIZE, 'WORLD_SIZE');
  } else if (initMethod.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(initMethod);
    if (!m) throw new Error(`initProcessGroup: initMethod '${initMethod}' is not tcp://host:port`);
    host = m[1]!.replace(/^\[|\]$/g, ''); port = Number(m[2]);
  } else if (initMethod.startsWith('file://')) {
    file = initMethod.slice('file://'.length);
    if (!file) throw new Error(`initProcessGroup: initMethod '${initMethod}' names no file`);
    host = e.MASTER_ADDR ?? '127.0.0.1'; port = 0;
  } else {
    throw new Error(`initProcessGroup: unknown initMethod '${initMethod}' (expected env://, tcp://host:port or file:///path)`);
  }
  if (rank === undefined || worldSize === undefined) throw new Error(`initProcessGroup: initMethod '${initMethod}' needs rank and worldSize`);
  if (worldSize < 1) throw new Error(`initProcessGroup: worldSize must be at least 1, got ${worldSize}`);
  if (rank >= worldSize) throw new Error(`initProcessGroup: rank ${rank} is out of range for worldSize ${worldSize} (ranks are 0..${worldSize - 1})`);

  // Before binding anything: a missing addon or CUDA fails first.
  let engine: Engine | null = null, device = -1;
  if (backend === 'nccl') {
    await ensureCuda();
    const why = ncclUnavailableReason();
    if (why) throw new Error(`initProcessGroup: ${why}`);
    device = ncclDevice(intFrom(e.LOCAL_RANK, 'LOCAL_RANK') ?? rank);
  } else {
    engine = await openEngine(backend);
  }
  let server: StoreServer | null = null;
  if (rank === 0) {
    server = await StoreServer.listen(port, worldSize);
    port = server.port;
    if (file) await publishAddress(file, `${host}:${port}`);
  } else if (file) {
    [host, port] = await readAddress(file, timeout);
  }
  let store: StoreClient | null = null;
  try {
    store = await StoreClient.connect(host, port, timeout);
    await store.hello(rank, worldSize);
    try {
      await store.get('__ready', timeout);
    } catch (err) {
      const joined = await store.get('__joined', 1).then((v) => new TextDecoder().decode(v), () => '[]');
      const msg = (err as Error).message;
      throw new Error(/timed out/.test(msg) ? `initProcessGroup: timed out after ${timeout} ms waiting for all ${worldSize} ranks to join (joined: ${joined})`
        : /closed the connection/.test(msg) ? `initProcessGroup: the store at ${host}:${port} went away while waiting for all ${worldSize} ranks to join (rank 0 timed out or exited)`
          : msg);
    }
    const hostname = isLoopback(host) ? '127.0.0.1' : (e.GLOO_SOCKET_HOSTNAME ?? await localHostname());
    const iface = e.GLOO_SOCKET_IFNAME ?? '';
    const worldEngine = engine ? await engine.newGroup({ host, port, prefix: 'world', rank, size: worldSize, timeout, hostname, iface })
      : await newNcclGroup({ store, prefix: 'world', rank, size: worldSize, device, timeout });
    const world = new ProcessGroup(Array.from({ length: worldSize }, (_, i) => i), worldEngine);
    state = { engine, backend, device, rank, worldSize, timeout, host, port, hostname, iface, store, server, world, groups: [world], nextGroup: 1, removeFile: rank === 0 ? file : null };
  } catch (err) {
    store?.close();
    server?.close();
    throw err;
  }
}

const isLoopback = (h: string) => h === 'localhost' || h.startsWith('127.') || h === '::1';
async function localHostname(): Promise<string> {
  const os = (await import('node:os')) as unknown as { hostname(): string };
  return os.hostname();
}
async function publishAddress(file: string, addr: string): Promise<void> {
  const fs = (await import('node:fs/promises')) as unknown as { writeFile(p: string, d: string): Promise<void>; rename(a: string, b: string): Promise<void> };
  await fs.writeFile(`${file}.tmp`, addr);
  await fs.rename(`${file}.tmp`, file);
}
async function readAddress(file: string, timeout: number): Promise<[string, number]> {
  const fs = (await import('node:fs/promises')) as unknown as { readFile(p: string, enc: string): Promise<string> };
  const deadline = Date.now() + timeout;
  for (;;) {
    const s = await fs.readFile(file, 'utf8').catch(() => '');
    const m = /^(.*):(\d+)$/.exec(s.trim());
    if (m) return [m[1]!, Number(m[2])];
    if (Date.now() > deadline) throw new Error(`initProcessGroup: timed out after ${timeout} ms waiting for rank 0 to write its store address into ${file}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the default process group is initialized (torch.distributed.is_initialized). */
export function isInitialized(): boolean { return state !== null; }
/** Whether torch.distributed can run here: Node.js (the TCP store); the Gloo addon is checked by isGlooAvailable(). */
export function isAvailable(): boolean { return !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node; }
/** Whether the Gloo addon is built and loads (torch.distributed.is_gloo_available; async: it loads the addon). */
export function isGlooAvailable(): Promise<boolean> { return glooAvailable(); }
/** Whether backend 'nccl' can run: the CUDA backend is up (after torch.init()) and its addon found libnccl (torch.distributed.is_nccl_available). */
export function isNcclAvailable(): boolean { return ncclUnavailableReason() === null; }
/** The default group's backend name (torch.distributed.get_backend). */
export function getBackend(): DistBackend { if (!state) throw notInit('getBackend'); return state.backend; }

/** This process's rank in the group (default: the world); -1 when not a member (torch.distributed.get_rank). */
export function getRank(group?: ProcessGroup | null): number {
  if (!state) throw notInit('getRank');
  return (group ?? state.world).rank();
}
/** Number of ranks in the group (default: the world) (torch.distributed.get_world_size). */
export function getWorldSize(group?: ProcessGroup | null): number {
  if (!state) throw notInit('getWorldSize');
  return (group ?? state.world).size();
}

/**
 * A new group of the given global ranks (default: all). Every rank must call it, members or not,
 * in the same order (torch.distributed.new_group); non-members get a group whose rank() is -1.
 */
export async function newGroup(ranks?: number[] | null, opts: { timeout?: number } = {}): Promise<ProcessGroup> {
  if (!state) throw notInit('newGroup');
  const s = state;
  const list = ranks ? [...ranks] : Array.from({ length: s.worldSize }, (_, i) => i);
  for (const r of list) if (!Number.isInteger(r) || r < 0 || r >= s.worldSize) throw new Error(`newGroup: rank ${r} is out of range for worldSize ${s.worldSize}`);
  if (new Set(list).size !== list.length) throw new Error(`newGroup: duplicate ranks in [${list.join(', ')}]`);
  const id = s.nextGroup++;
  const me = list.indexOf(s.rank);
  let eg: EngineGroup | NcclGroup | null = null;
  const o = { prefix: `group${id}`, rank: me, size: list.length, timeout: opts.timeout ?? s.timeout };
  if (me >= 0) {
    eg = s.engine ? await s.engine.newGroup({ ...o, host: s.host, port: s.port, hostname: s.hostname, iface: s.iface })
      : await newNcclGroup({ ...o, store: s.store, device: s.device });
  }
  // Every rank waits (without blocking its thread) until the members are connected: a non-member
  // rank 0 must keep serving the store the members rendezvous through.
  await barrier();
  const g = new ProcessGroup(list, eg);
  s.groups.push(g);
  return g;
}

/** Leaves the job: closes every group's connections and the store (torch.distributed.destroy_process_group). */
export async function destroyProcessGroup(group?: ProcessGroup | null): Promise<void> {
  if (!state) throw notInit('destroyProcessGroup');
  const s = state;
  // NCCL: the stream finishes what it was given before the communicators go (an error there was
  // already the failed op's; a stuck stream makes this wait up to the timeout).
  const drain = async (g: ProcessGroup) => { if (g.engine instanceof NcclGroup) await g.engine.done('destroyProcessGroup').catch(() => {}); };
  if (group && group !== s.world) {
    await drain(group);
    group.engine?.destroy();
    s.groups = s.groups.filter((g) => g !== group);
    return;
  }
  await drain(s.world);
  for (const g of s.groups) g.engine?.destroy();
  s.store.close();
  s.server?.close();
  if (s.removeFile) {
    const fs = (await import('node:fs/promises')) as unknown as { rm(p: string, o: { force: boolean }): Promise<void> };
    await fs.rm(s.removeFile, { force: true });
  }
  state = null;
}

// ---------------------------------------------------------------- collectives

/** Common collective options: the group (default: the world) and asyncOp (accepted as PyTorch's; the result is a Work either way). */
export interface CollectiveOptions {
  /** The group (default: the world). */
  group?: ProcessGroup | null;
  /** PyTorch's async_op: the returned Work is awaitable and has wait() with or without it. */
  asyncOp?: boolean;
}
/** Options of reductions: the op (default ReduceOp.SUM), the group, asyncOp. */
export interface ReduceOptions extends CollectiveOptions {
  /** The reduction (default ReduceOp.SUM). */
  op?: ReduceOpName;
}
/** Options of gather: the destination's gatherList, dst (default 0), the group, asyncOp. */
export interface GatherOptions extends CollectiveOptions {
  /** One tensor per rank, on the destination rank only. */
  gatherList?: Tensor[] | null;
  /** Global rank that receives (default 0). */
  dst?: number;
}
/** Options of scatter: the source's scatterList, src (default 0), the group, asyncOp. */
export interface ScatterOptions extends CollectiveOptions {
  /** One tensor per rank, on the source rank only. */
  scatterList?: Tensor[] | null;
  /** Global rank that sends (default 0). */
  src?: number;
}

/** The member communicator of `group` for `what` (Gloo's or NCCL's), or a clear error. @internal */
export function commOf(what: string, group?: ProcessGroup | null): EngineGroup | NcclGroup {
  if (!state) throw notInit(what);
  const g = group ?? state.world;
  if (!g.engine) throw new Error(`${what}: this process (rank ${state.rank}) is not a member of the group [${g.ranks.join(', ')}]`);
  return g.engine;
}
/** The Work of NCCL calls just enqueued: resolves when the stream has reached them. */
function ncclWork(g: NcclGroup, what: string): Work { return new Work(g.done(what)); }
/** Checks every tensor of an NCCL collective (CUDA, the group's device, a dtype NCCL moves). */
function ncclCheck(what: string, g: NcclGroup, ts: [Tensor, string][]): void {
  for (const [t, name] of ts) nccl.checkNcclTensor(what, t, g, name);
}
function groupRank(what: string, group: ProcessGroup | null | undefined, global: number, role: string): number {
  const g = group ?? state!.world;
  const r = g.ranks.indexOf(global);
  if (!Number.isInteger(global) || r < 0) throw new Error(`${what}: ${role} rank ${global} is not part of the group [${g.ranks.join(', ')}]`);
  return r;
}

/** Engine dtype code of a tensor, or the op's error naming the dtype. @internal */
export function dtypeCode(what: string, t: Tensor): EngineDtype {
  switch (t.dtype) {
    case 'float32': return 0;
    case 'int32': return 1;
    case 'float64': return 2;
    case 'uint8': case 'bool': return 3;
    default: throw new TypeError(`${what}: tensors of dtype ${t.dtype} are not supported by the gloo backend (float32, float64, int32, uint8, bool)`);
  }
}
function checkTensor(what: string, t: unknown, name = 'tensor'): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${what}: ${name} must be a Tensor`);
  // 'nccl' moves CUDA tensors only (PyTorch's refusal); 'gloo' takes any device, through the host.
  if (state?.backend === 'nccl') nccl.checkNcclTensor(what, t, null, name);
  return t;
}
/** A fresh host copy of t's elements (CPU: now; WebGPU: once the device has them). */
async function hostOf(t: Tensor): Promise<HostArray> {
  const d = t.device === 'cpu' ? t.dataSync() : await t.data();
  return d as HostArray;
}
/**
 * The host array an in-place collective works on: a contiguous CPU tensor's own memory (no copies:
 * the CPU backend's shared memory never moves), else a copy that `settle` writes back.
 */
async function inPlaceArray(t: Tensor): Promise<{ arr: HostArray; own: boolean }> {
  const live = cpuLiveArray(t);
  return live ? { arr: live, own: true } : { arr: await hostOf(t), own: false };
}
/** Finishes an in-place collective on t: a version bump when it wrote t's memory, else the write-back. */
function settle(t: Tensor, h: { arr: HostArray; own: boolean }): void {
  if (h.own) t.storage.version++;
  else writeBack(t, h.arr);
}
/** Writes host values into t in place (a leaf that requires grad too: under noGrad, as PyTorch's collectives). */
function writeBack(t: Tensor, arr: HostArray): void {
  noGrad(() => { t.copy_(makeTensor(arr, { dtype: t.dtype, device: t.device }).reshape(t.shape)); });
}
function sameLayout(what: string, ts: Tensor[], like: Tensor, name: string): void {
  for (const x of ts) {
    checkTensor(what, x, name);
    if (x.dtype !== like.dtype || x.numel() !== like.numel()) {
      throw new Error(`${what}: every tensor in ${name} must have the dtype and size of the input (${like.dtype}, [${like.shape.join(', ')}]), got ${x.dtype} [${x.shape.join(', ')}]`);
    }
  }
}
function engineReduce(op: ReduceOpName | undefined, what: string): { red: EngineReduce; avg: boolean } {
  const o = op ?? 'sum';
  if (!(Object.values(ReduceOp) as string[]).includes(o)) throw new Error(`${what}: unknown op '${String(o)}' (use ReduceOp.SUM, AVG, PRODUCT, MIN or MAX)`);
  return o === 'avg' ? { red: 'sum', avg: true } : { red: o as EngineReduce, avg: false };
}
function divide(arr: HostArray, n: number): void {
  if (arr instanceof Float32Array || arr instanceof Float64Array) for (let i = 0; i < arr.length; i++) arr[i] = arr[i]! / n;
  else for (let i = 0; i < arr.length; i++) arr[i] = Math.trunc(arr[i]! / n);
}
function alloc(like: HostArray, n: number): HostArray {
  return new (like.constructor as new (n: number) => HostArray)(n);
}
/** The Work of an op (asyncOp changes nothing: the Work is awaitable). */
function finish(p: Promise<void>, _asyncOp: boolean | undefined): Work {
  return new Work(p);
}
async function done(w: EngineWork): Promise<void> { await w.done; }

/** Reduces `tensor` across the group in place on every rank (torch.distributed.all_reduce). */
export function allReduce(tensor: Tensor, opts: ReduceOptions = {}): Work {
  const what = 'allReduce';
  checkTensor(what, tensor);
  const c = commOf(what, opts.group);
  const { red, avg } = engineReduce(opts.op, what);
  if (c instanceof NcclGroup) {
    ncclCheck(what, c, [[tensor, 'tensor']]);
    nccl.ncclAllReduce(c, what, tensor, opts.op ?? 'sum');
    return ncclWork(c, what);
  }
  const g = c;
  const code = dtypeCode(what, tensor);
  return finish((async () => {
    const h = await inPlaceArray(tensor);
    await done(g.allReduce(h.arr, code, red));
    if (avg) divide(h.arr, g.size);
    settle(tensor, h);
  })(), opts.asyncOp);
}

/** Copies `tensor` from global rank `src` to every rank of the group (torch.distributed.broadcast). */
export function broadcast(tensor: Tensor, src: number, opts: CollectiveOptions = {}): Work {
  const what = 'broadcast';
  checkTensor(what, tensor);
  const c = commOf(what, opts.group);
  const root = groupRank(what, opts.group, src, 'src');
  if (c instanceof NcclGroup) {
    ncclCheck(what, c, [[tensor, 'tensor']]);
    nccl.ncclBroadcast(c, what, tensor, root);
    return ncclWork(c, what);
  }
  const g = c;
  dtypeCode(what, tensor);
  return finish((async () => {
    const h = await inPlaceArray(tensor);
    await done(g.broadcast(h.arr, root));
    if (g.rank !== root) settle(tensor, h);
  })(), opts.asyncOp);
}

/** Reduces `tensor` across the group into global rank `dst`'s tensor; others keep theirs (torch.distributed.reduce). */
export function reduce(tensor: Tensor, dst: number, opts: ReduceOptions = {}): Work {
  const what = 'reduce';
  checkTensor(what, tensor);
  const c = commOf(what, opts.group);
  const { red, avg } = engineReduce(opts.op, what);
  const root = groupRank(what, opts.group, dst, 'dst');
  if (c instanceof NcclGroup) {
    ncclCheck(what, c, [[tensor, 'tensor']]);
    nccl.ncclReduce(c, what, tensor, root, opts.op ?? 'sum');
    return ncclWork(c, what);
  }
  const g = c;
  const code = dtypeCode(what, tensor);
  return finish((async () => {
    const arr = await hostOf(tensor);
    await done(g.reduce(arr, code, red, root));
    if (g.rank === root) { if (avg) divide(arr, g.size); writeBack(tensor, arr); }
  })(), opts.asyncOp);
}

/** Gathers every rank's `tensor` into `tensorList` (one per rank, in rank order) (torch.distributed.all_gather). */
export function allGather(tensorList: Tensor[], tensor: Tensor, opts: CollectiveOptions = {}): Work {
  const what = 'allGather';
  checkTensor(what, tensor);
  const g = commOf(what, opts.group);
  if (!(g instanceof NcclGroup)) dtypeCode(what, tensor);
  if (!Array.isArray(tensorList) || tensorList.length !== g.size) throw new Error(`${what}: tensorList must hold one tensor per rank (${g.size}), got ${Array.isArray(tensorList) ? tensorList.length : typeof tensorList}`);
  sameLayout(what, tensorList, tensor, 'tensorList');
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [[tensor, 'tensor'], ...tensorList.map((t): [Tensor, string] => [t, 'tensorList'])]);
    nccl.ncclAllGather(g, what, tensorList, tensor);
    return ncclWork(g, what);
  }
  return finish((async () => {
    const arr = await hostOf(tensor);
    const out = alloc(arr, arr.length * g.size);
    await done(g.allGather(arr, out));
    tensorList.forEach((t, i) => writeBack(t, out.subarray(i * arr.length, (i + 1) * arr.length) as HostArray));
  })(), opts.asyncOp);
}

/** Gathers every rank's `input` into `output` (size x input's numel, rank order) (torch.distributed.all_gather_into_tensor). */
export function allGatherIntoTensor(output: Tensor, input: Tensor, opts: CollectiveOptions = {}): Work {
  const what = 'allGatherIntoTensor';
  checkTensor(what, input, 'input'); checkTensor(what, output, 'output');
  const g = commOf(what, opts.group);
  if (!(g instanceof NcclGroup)) dtypeCode(what, input);
  if (output.dtype !== input.dtype || output.numel() !== input.numel() * g.size) {
    throw new Error(`${what}: output must have dtype ${input.dtype} and ${g.size} x ${input.numel()} elements, got ${output.dtype} [${output.shape.join(', ')}]`);
  }
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [[input, 'input'], [output, 'output']]);
    nccl.ncclAllGatherIntoTensor(g, what, output, input);
    return ncclWork(g, what);
  }
  return finish((async () => {
    const arr = await hostOf(input);
    const out = alloc(arr, arr.length * g.size);
    await done(g.allGather(arr, out));
    writeBack(output, out);
  })(), opts.asyncOp);
}

/**
 * Reduces inputList[i] across ranks into rank i's `output` (torch.distributed.reduce_scatter).
 * Gloo has no reduce-scatter collective (PyTorch's gloo backend lacks it too): this runs Gloo's
 * allreduce over the concatenated inputs and keeps this rank's part.
 */
export function reduceScatter(output: Tensor, inputList: Tensor[], opts: ReduceOptions = {}): Work {
  const what = 'reduceScatter';
  checkTensor(what, output, 'output');
  const c = commOf(what, opts.group);
  const { red, avg } = engineReduce(opts.op, what);
  if (!Array.isArray(inputList) || inputList.length !== c.size) throw new Error(`${what}: inputList must hold one tensor per rank (${c.size})`);
  sameLayout(what, inputList, output, 'inputList');
  if (c instanceof NcclGroup) {
    ncclCheck(what, c, [[output, 'output'], ...inputList.map((t): [Tensor, string] => [t, 'inputList'])]);
    nccl.ncclReduceScatter(c, what, output, inputList, opts.op ?? 'sum');
    return ncclWork(c, what);
  }
  const g = c;
  const code = dtypeCode(what, output);
  return finish((async () => {
    const parts = await Promise.all(inputList.map(hostOf));
    const n = output.numel();
    const all = alloc(parts[0]!, n * g.size);
    parts.forEach((p, i) => all.set(p as never, i * n));
    await done(g.allReduce(all, code, red));
    const mine = all.subarray(g.rank * n, (g.rank + 1) * n) as HostArray;
    if (avg) divide(mine, g.size);
    writeBack(output, mine);
  })(), opts.asyncOp);
}

/** Gathers every rank's `tensor` into `gatherList` on global rank `dst` (torch.distributed.gather). */
export function gather(tensor: Tensor, opts: GatherOptions = {}): Work {
  const what = 'gather';
  checkTensor(what, tensor);
  const g = commOf(what, opts.group);
  if (!(g instanceof NcclGroup)) dtypeCode(what, tensor);
  const root = groupRank(what, opts.group, opts.dst ?? 0, 'dst');
  const list = opts.gatherList ?? null;
  if (g.rank === root) {
    if (!list || list.length !== g.size) throw new Error(`${what}: gatherList on the destination rank must hold one tensor per rank (${g.size})`);
    sameLayout(what, list, tensor, 'gatherList');
  } else if (list && list.length) {
    throw new Error(`${what}: gatherList must be given only on the destination rank ${opts.dst ?? 0}`);
  }
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [[tensor, 'tensor'], ...(g.rank === root ? list! : []).map((t): [Tensor, string] => [t, 'gatherList'])]);
    nccl.ncclGather(g, what, tensor, list, root);
    return ncclWork(g, what);
  }
  return finish((async () => {
    const arr = await hostOf(tensor);
    const out = g.rank === root ? alloc(arr, arr.length * g.size) : null;
    await done(g.gather(arr, out, root));
    if (out) list!.forEach((t, i) => writeBack(t, out.subarray(i * arr.length, (i + 1) * arr.length) as HostArray));
  })(), opts.asyncOp);
}

/** Sends scatterList[i] from global rank `src` into rank i's `tensor` (torch.distributed.scatter). */
export function scatter(tensor: Tensor, opts: ScatterOptions = {}): Work {
  const what = 'scatter';
  checkTensor(what, tensor);
  const g = commOf(what, opts.group);
  if (!(g instanceof NcclGroup)) dtypeCode(what, tensor);
  const root = groupRank(what, opts.group, opts.src ?? 0, 'src');
  const list = opts.scatterList ?? null;
  if (g.rank === root) {
    if (!list || list.length !== g.size) throw new Error(`${what}: scatterList on the source rank must hold one tensor per rank (${g.size})`);
    sameLayout(what, list, tensor, 'scatterList');
  } else if (list && list.length) {
    throw new Error(`${what}: scatterList must be given only on the source rank ${opts.src ?? 0}`);
  }
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [[tensor, 'tensor'], ...(g.rank === root ? list! : []).map((t): [Tensor, string] => [t, 'scatterList'])]);
    nccl.ncclScatter(g, what, tensor, list, root);
    return ncclWork(g, what);
  }
  return finish((async () => {
    const ins = g.rank === root ? await Promise.all(list!.map(hostOf)) : null;
    const out = alloc(await hostOf(tensor), tensor.numel());
    await done(g.scatter(ins, out, root));
    writeBack(tensor, out);
  })(), opts.asyncOp);
}

/** Sends inputList[j] to rank j and receives rank j's into outputList[j] (equal sizes) (torch.distributed.all_to_all). */
export function allToAll(outputList: Tensor[], inputList: Tensor[], opts: CollectiveOptions = {}): Work {
  const what = 'allToAll';
  const g = commOf(what, opts.group);
  if (!Array.isArray(inputList) || inputList.length !== g.size || !Array.isArray(outputList) || outputList.length !== g.size) {
    throw new Error(`${what}: outputList and inputList must each hold one tensor per rank (${g.size})`);
  }
  const like = checkTensor(what, inputList[0], 'inputList');
  if (!(g instanceof NcclGroup)) dtypeCode(what, like);
  sameLayout(what, inputList, like, 'inputList');
  sameLayout(what, outputList, like, 'outputList');
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [...inputList.map((t): [Tensor, string] => [t, 'inputList']), ...outputList.map((t): [Tensor, string] => [t, 'outputList'])]);
    nccl.ncclAllToAll(g, what, outputList, inputList);
    return ncclWork(g, what);
  }
  return finish((async () => {
    const parts = await Promise.all(inputList.map(hostOf));
    const n = like.numel();
    const inp = alloc(parts[0]!, n * g.size);
    parts.forEach((p, i) => inp.set(p as never, i * n));
    const out = alloc(inp, n * g.size);
    await done(g.allToAll(inp, out));
    outputList.forEach((t, i) => writeBack(t, out.subarray(i * n, (i + 1) * n) as HostArray));
  })(), opts.asyncOp);
}

/** Waits until every rank of the group reaches it (torch.distributed.barrier). */
export function barrier(opts: CollectiveOptions = {}): Work {
  const g = commOf('barrier', opts.group);
  if (g instanceof NcclGroup) {
    nccl.ncclBarrier(g, 'barrier');
    return ncclWork(g, 'barrier');
  }
  return finish(done(g.barrier()), opts.asyncOp);
}

/** Options of send/recv: the group and a tag matching the peer's. */
export interface P2POptions {
  /** The group (default: the world); ranks stay global. */
  group?: ProcessGroup | null;
  /** Matches a send with the recv of the same tag (default 0). */
  tag?: number;
}
/** Sends `tensor` to global rank `dst`; resolves once it is delivered (torch.distributed.send). */
export function send(tensor: Tensor, dst: number, opts: P2POptions = {}): Promise<void> { return isend(tensor, dst, opts).wait(); }
/** Receives into `tensor` from global rank `src` (torch.distributed.recv). */
export function recv(tensor: Tensor, src: number, opts: P2POptions = {}): Promise<void> { return irecv(tensor, src, opts).wait(); }
/** send, returning a Work (torch.distributed.isend). */
export function isend(tensor: Tensor, dst: number, opts: P2POptions = {}): Work {
  const what = 'send';
  checkTensor(what, tensor);
  const g = commOf(what, opts.group);
  const peer = groupRank(what, opts.group, dst, 'dst');
  if (peer === g.rank) throw new Error(`${what}: cannot send to itself (rank ${dst})`);
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [[tensor, 'tensor']]);
    nccl.ncclSend(g, what, tensor, peer);
    return ncclWork(g, `send to rank ${dst}`);
  }
  dtypeCode(what, tensor);
  return new Work((async () => { await done(g.send(await hostOf(tensor), peer, opts.tag ?? 0)); })());
}
/** recv, returning a Work (torch.distributed.irecv). */
export function irecv(tensor: Tensor, src: number, opts: P2POptions = {}): Work {
  const what = 'recv';
  checkTensor(what, tensor);
  const g = commOf(what, opts.group);
  const peer = groupRank(what, opts.group, src, 'src');
  if (peer === g.rank) throw new Error(`${what}: cannot receive from itself (rank ${src})`);
  if (g instanceof NcclGroup) {
    ncclCheck(what, g, [[tensor, 'tensor']]);
    nccl.ncclRecv(g, what, tensor, peer);
    return ncclWork(g, `recv from rank ${src}`);
  }
  dtypeCode(what, tensor);
  return new Work((async () => {
    const arr = alloc(await hostOf(tensor), tensor.numel());
    await done(g.recv(arr, peer, opts.tag ?? 0));
    writeBack(tensor, arr);
  })());
}

// ---------------------------------------------------------------- object collectives (JSON)
const enc = new TextEncoder(), dec = new TextDecoder();
function toJson(what: string, v: unknown): Uint8Array {
  let s: string | undefined;
  try { s = JSON.stringify(v); } catch (e) { throw new TypeError(`${what}: objects must be JSON-serializable: ${(e as Error).message}`); }
  return enc.encode(s ?? 'null');
}
/** The object collectives' byte moves: Gloo's on host arrays; NCCL's through a CUDA tensor on the group's device (as PyTorch's). */
async function moveBytes<A extends Int32Array | Uint8Array>(what: string, g: EngineGroup | NcclGroup, op: 'broadcast' | 'allGather', input: A, output: A, root = 0): Promise<A> {
  if (!(g instanceof NcclGroup)) {
    await (op === 'broadcast' ? g.broadcast(input, root) : g.allGather(input, output)).done;
    return op === 'broadcast' ? input : output;
  }
  const o = { dtype: input instanceof Int32Array ? 'int32' as const : 'uint8' as const, device: cudaDevice(g.device) };
  const i = makeTensor(input, o), out = op === 'broadcast' ? i : makeTensor(output, o);
  if (op === 'broadcast') nccl.ncclBroadcast(g, what, i, root); else nccl.ncclAllGatherIntoTensor(g, what, out, i);
  await g.done(what);
  return (await out.data()) as A;
}

/** Replaces objectList's items on every rank with those of global rank `src` (JSON-able values) (torch.distributed.broadcast_object_list). */
export async function broadcastObjectList(objectList: unknown[], src = 0, opts: { group?: ProcessGroup | null } = {}): Promise<void> {
  const what = 'broadcastObjectList';
  if (!Array.isArray(objectList)) throw new TypeError(`${what}: objectList must be an array`);
  const g = commOf(what, opts.group);
  const root = groupRank(what, opts.group, src, 'src');
  const bytes = g.rank === root ? toJson(what, objectList) : new Uint8Array(0);
  const len = await moveBytes(what, g, 'broadcast', new Int32Array([bytes.length]), new Int32Array(0), root);
  const buf = await moveBytes(what, g, 'broadcast', g.rank === root ? bytes : new Uint8Array(len[0]!), new Uint8Array(0), root);
  if (g.rank !== root) {
    const got = JSON.parse(dec.decode(buf)) as unknown[];
    if (got.length !== objectList.length) throw new Error(`${what}: objectList has ${objectList.length} items here but ${got.length} on rank ${src}`);
    got.forEach((v, i) => { objectList[i] = v; });
  }
}

/** Fills objectList (one slot per rank) with every rank's `obj` (JSON-able) (torch.distributed.all_gather_object). */
export async function allGatherObject(objectList: unknown[], obj: unknown, opts: { group?: ProcessGroup | null } = {}): Promise<void> {
  const what = 'allGatherObject';
  const g = commOf(what, opts.group);
  if (!Array.isArray(objectList) || objectList.length !== g.size) throw new Error(`${what}: objectList must have one slot per rank (${g.size})`);
  const bytes = toJson(what, obj);
  const lens = await moveBytes(what, g, 'allGather', new Int32Array([bytes.length]), new Int32Array(g.size));
  const max = Math.max(...lens);
  const padded = new Uint8Array(max); padded.set(bytes);
  const all = await moveBytes(what, g, 'allGather', padded, new Uint8Array(max * g.size));
  for (let i = 0; i < g.size; i++) objectList[i] = JSON.parse(dec.decode(all.subarray(i * max, i * max + lens[i]!)));
}
