// nn.parallel.DistributedDataParallel: data parallelism over torch.distributed (as PyTorch's DDP).
// Contract: at construction every parameter and buffer is broadcast from rank 0; during backward a
// gradient hook on each parameter copies its (accumulated) gradient into a bucket (a flat tensor on
// the parameters' device), and each full bucket is all-reduced while backward goes on: by Gloo on
// its own thread, in the bucket's own memory where the CPU backend's memory is shared, or by NCCL
// on the CUDA stream (backend 'nccl'). The last hook waits for the buckets (as PyTorch's reducer
// does at the end of backward; on CUDA the stream's order is the wait), averages, and writes .grad.
// So `loss.backward(); opt.step()` is unchanged. Buckets launch in one fixed order on every rank.

import { Tensor, gradsInternally } from '../../tensor.js';
import { Module, runModule } from '../module.js';
import { noGrad, isGradEnabled } from '../../autograd/grad-mode.js';
import { AccumulateGrad, type Node } from '../../autograd/graph.js';
import { tensor as makeTensor, zeros } from '../../ops/creation.js';
import { keep } from '../../memory.js';
import { commOf, dtypeCode, type ProcessGroup } from '../../distributed/index.js';
import { cpuFence, cpuLiveArray, type EngineDtype, type EngineGroup, type EngineWork, type HostArray } from '../../distributed/engine.js';
import { NcclGroup } from '../../distributed/nccl.js';
import { checkNcclTensor, ncclAllReduce, ncclBroadcast } from '../../distributed/nccl-ops.js';
import { itemSize, type DType } from '../../dtype.js';

/** An NCCL bucket's "work": the stream orders everything after it, so there is nothing to wait for. */
const STREAM_ORDERED: EngineWork = { done: Promise.resolve(), waitSync() {} };

/** Options of DistributedDataParallel (PyTorch's keywords in camelCase). */
export interface DistributedDataParallelOptions {
  /** Bucket size in MiB (default 25; the first bucket, holding the last layers, is capped at 1 MiB as PyTorch's). */
  bucketCapMb?: number;
  /** Find, after each forward, the parameters the output does not depend on, and count them ready (default false). */
  findUnusedParameters?: boolean;
  /** Broadcast rank 0's buffers (batch-norm statistics) before every forward (default true). */
  broadcastBuffers?: boolean;
  /** The process group (default: the world). */
  processGroup?: ProcessGroup | null;
}

interface Bucket {
  params: number[]; offsets: number[]; dtype: EngineDtype | null;
  /** The bucket's gradients, flat; `live` is its own memory when native code may work in it, else null (a host copy is reduced). */
  flat: Tensor; live: HostArray | null;
  pending: number; work: EngineWork | null; copy: HostArray | null;
}

/** Wraps a module for multi-process training: same results as one process on the concatenated batches (torch.nn.parallel.DistributedDataParallel). */
export class DistributedDataParallel<M extends Module = Module> extends Module {
  /** The wrapped module (stateDict keys start with 'module.', as PyTorch's). */
  module: M;
  /** Whether the next backward all-reduces gradients (false inside noSync). */
  requireBackwardGradSync = true;
  #group: EngineGroup | NcclGroup;
  #opts: Required<Omit<DistributedDataParallelOptions, 'processGroup'>>;
  #params: { name: string; p: Tensor }[];
  #bucketOf: number[] = [];
  #buckets: Bucket[] = [];
  #armed = false;
  #ready: boolean[] = [];
  #readyCount = 0;
  #expected = 0;
  #nextLaunch = 0;
  #locallyUnused = new Set<number>();

  constructor(module: M, opts: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TypeError('DistributedDataParallel: module must be an nn.Module');
    this.module = module;
    this.#group = commOf('DistributedDataParallel', opts.processGroup);
    this.#opts = { bucketCapMb: opts.bucketCapMb ?? 25, findUnusedParameters: opts.findUnusedParameters ?? false, broadcastBuffers: opts.broadcastBuffers ?? true };
    this.#params = module.namedParameters().filter(([, p]) => p.requiresGrad).map(([name, p]) => ({ name, p }));
    for (const { name, p } of this.#params) {
      if (this.#group instanceof NcclGroup) checkNcclTensor('DistributedDataParallel', p, this.#group, `parameter '${name}'`);
      else if (p.device !== 'cpu') throw new Error(`DistributedDataParallel: parameter '${name}' is on '${p.device}'; backend 'gloo' reduces CPU parameters (CUDA parameters need initProcessGroup({ backend: 'nccl' }))`);
      else dtypeCode('DistributedDataParallel', p);
    }
    // Parameters and buffers start equal on every rank: rank 0's.
    noGrad(() => {
      for (const [, t] of [...module.namedParameters(), ...module.namedBuffers()]) this.#broadcastSync(t);
    });
    this.#makeBuckets();
    this.#params.forEach(({ p }, i) => p.registerHook((g) => this.#onGrad(i, g)));
  }

  /** Runs the wrapped module's forward (broadcasting buffers first, and arming the gradient reduction when grad is on). */
  forward(...args: unknown[]): unknown {
    if (this.#opts.broadcastBuffers && this.#group.size > 1) {
      noGrad(() => { for (const [, b] of this.module.namedBuffers()) this.#broadcastSync(b); });
    }
    if (this.#armed && this.#readyCount > 0 && this.#readyCount < this.#expected) {
      const missing = this.#params.filter((_, i) => !this.#ready[i]).map((x) => x.name);
      throw new Error('DistributedDataParallel: Expected to have finished reduction in the prior iteration before starting a new one. '
        + 'This error indicates that your module has parameters that were not used in producing loss. You can enable unused parameter '
        + `detection by passing the option { findUnusedParameters: true }. Parameters that did not receive a gradient on rank ${this.#group.rank}: ${missing.join(', ')}`);
    }
    const out = runModule(this.module, ...args);
    this.#armed = false;
    if (isGradEnabled() && this.requireBackwardGradSync) this.#prepare(out);
    return out;
  }

  /**
   * Runs fn without gradient synchronization: backward passes inside accumulate locally, and the
   * first synchronized backward after reduces the accumulated sum (PyTorch's `with ddp.no_sync():`).
   */
  noSync<T>(fn: () => T): T {
    const prev = this.requireBackwardGradSync;
    this.requireBackwardGradSync = false;
    let r: T;
    try { r = fn(); } catch (e) { this.requireBackwardGradSync = prev; throw e; }
    if (r instanceof Promise) return r.finally(() => { this.requireBackwardGradSync = prev; }) as T;
    this.requireBackwardGradSync = prev;
    return r;
  }

  #broadcastSync(t: Tensor): void {
    if (this.#group.size === 1) return;
    if (this.#group instanceof NcclGroup) { // in place on the stream: later kernels see the result
      checkNcclTensor('DistributedDataParallel', t, this.#group);
      ncclBroadcast(this.#group, 'DistributedDataParallel', t, 0);
      return;
    }
    dtypeCode('DistributedDataParallel', t); // a clear error for a dtype the engine cannot move
    const host = t.dataSync() as HostArray;
    this.#group.broadcast(host, 0).waitSync();
    if (this.#group.rank !== 0) t.copy_(makeTensor(host, { dtype: t.dtype, device: t.device }).reshape(t.shape));
  }

  /** Buckets in reverse parameter order (gradients arrive roughly so), split by dtype and size. */
  #makeBuckets(): void {
    const cap = this.#opts.bucketCapMb * 1024 * 1024;
    let cur: { params: number[]; bytes: number; dtype: DType } | null = null;
    const groups: { params: number[]; dtype: DType }[] = [];
    for (let i = this.#params.length - 1; i >= 0; i--) {
      const p = this.#params[i]!.p;
      const dtype = p.dtype;
      const bytes = p.numel() * itemSize[dtype];
      const limit = groups.length === 0 ? Math.min(cap, 1024 * 1024) : cap;
      if (!cur || cur.dtype !== dtype || (cur.bytes > 0 && cur.bytes + bytes > limit)) {
        cur = { params: [], bytes: 0, dtype };
        groups.push(cur);
      }
      cur.params.push(i); cur.bytes += bytes;
    }
    this.#buckets = groups.map((g, bi) => {
      const offsets: number[] = [];
      let n = 0;
      for (const i of g.params) { offsets.push(n); n += this.#params[i]!.p.numel(); this.#bucketOf[i] = bi; }
      const first = this.#params[g.params[0]!]!.p;
      const flat = keep(zeros([n], { dtype: g.dtype, device: first.device }));
      const live = cpuLiveArray(flat);
      const dtype = this.#group instanceof NcclGroup ? null : dtypeCode('DistributedDataParallel', first);
      return { params: g.params, offsets, dtype, flat, live, pending: g.params.length, work: null, copy: null };
    });
  }

  /** Arms the reduction for the coming backward; with findUnusedParameters, marks what the output cannot reach. */
  #prepare(out: unknown): void {
    this.#armed = true;
    this.#ready = this.#params.map(() => false);
    this.#readyCount = 0;
    this.#nextLaunch = 0;
    this.#locallyUnused.clear();
    for (const b of this.#buckets) { b.pending = b.params.length; b.work = null; }
    this.#expected = this.#params.length;
    if (!this.#opts.findUnusedParameters) return;
    const reached = new Set<Tensor>();
    const seen = new Set<Node>();
    const stack: Node[] = [];
    const roots: Tensor[] = [];
    collect(out, roots, 0);
    for (const t of roots) {
      if (t.gradFn) stack.push(t.gradFn);
      else if (t.requiresGrad) reached.add(t);
    }
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      if (n instanceof AccumulateGrad) reached.add(n.variable);
      for (const e of n.next) if (e && !seen.has(e.node)) stack.push(e.node);
    }
    this.#params.forEach(({ p }, i) => {
      if (!reached.has(p)) { this.#locallyUnused.add(i); this.#markReady(i, null); }
    });
    if (this.#readyCount === this.#expected) this.#finalize(-1);
  }

  #onGrad(i: number, g: Tensor): Tensor | void {
    if (!this.#armed || this.#ready[i]) return;
    this.#markReady(i, g);
    if (this.#readyCount === this.#expected) return this.#finalize(i);
  }

  /** Puts what .grad will hold after this accumulation (g plus what noSync left there) into the bucket. */
  #markReady(i: number, g: Tensor | null): void {
    const b = this.#buckets[this.#bucketOf[i]!]!;
    const p = this.#params[i]!.p;
    const slot = b.flat.narrow(0, b.offsets[b.params.indexOf(i)]!, p.numel());
    gradsInternally(() => noGrad(() => {
      const sum = g && p.grad ? g.add(p.grad) : g ?? p.grad;
      if (sum) slot.copy_(sum.reshape([-1])); else slot.zero_();
    }));
    this.#ready[i] = true;
    this.#readyCount++;
    b.pending--;
    // Launch ready buckets strictly in index order, so every rank issues the same sequence.
    while (this.#nextLaunch < this.#buckets.length && this.#buckets[this.#nextLaunch]!.pending === 0) {
      const nb = this.#buckets[this.#nextLaunch++]!;
      if (this.#group instanceof NcclGroup) {
        ncclAllReduce(this.#group, 'DistributedDataParallel', nb.flat, 'sum');
        nb.work = STREAM_ORDERED;
        continue;
      }
      if (nb.live) cpuFence(); // the kernels that filled the bucket may still be running
      nb.copy = nb.live ? null : nb.flat.dataSync() as HostArray;
      nb.work = this.#group.allReduce(nb.live ?? nb.copy!, nb.dtype!, 'sum');
    }
  }

  /** Waits for every bucket, averages, writes each .grad; returns the last parameter's gradient (its hook's result). */
  #finalize(last: number): Tensor | undefined {
    this.#armed = false;
    for (const b of this.#buckets) b.work!.waitSync();
    const n = this.#group.size;
    let lastGrad: Tensor | undefined;
    gradsInternally(() => noGrad(() => {
      for (const b of this.#buckets) {
        if (b.copy) b.flat.copy_(makeTensor(b.copy, { dtype: b.flat.dtype }));
        else b.flat.storage.version++; // the engine wrote its memory
        if (b.flat.isFloatingPoint()) b.flat.div_(n); else b.flat.div_(n, { roundingMode: 'trunc' });
        b.params.forEach((i, j) => {
          const p = this.#params[i]!.p;
          const slot = b.flat.narrow(0, b.offsets[j]!, p.numel());
          // Unused everywhere: .grad stays null. (On CUDA, telling would need a host read in the middle
          // of backward: there a parameter unused here gets the reduced gradient, zeros if no rank used it.)
          if (this.#locallyUnused.has(i) && !p.grad && slot.device === 'cpu' && !(slot.ne(0).any().itemSync() as boolean)) return;
          const g = slot.reshape(p.shape).clone();
          if (i === last) { p.grad = null; lastGrad = g; } // the engine accumulates it into the empty .grad
          else if (p.grad) p.grad.copy_(g);
          else p.grad = g;
        });
      }
    }));
    return lastGrad;
  }
}

function collect(x: unknown, out: Tensor[], depth: number): void {
  if (depth > 8 || x === null || typeof x !== 'object') return;
  if (x instanceof Tensor) { out.push(x); return; }
  if (Array.isArray(x)) { for (const v of x) collect(v, out, depth + 1); return; }
  if (x instanceof Map) { for (const v of x.values()) collect(v, out, depth + 1); return; }
  for (const v of Object.values(x)) collect(v, out, depth + 1);
}
