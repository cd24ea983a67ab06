// Collective engines behind torch.distributed: the library that moves the bytes. Gloo (Debian's
// libgloo, through the optional native-distributed addon) serves CPU tensors here; NCCL serves CUDA
// tensors on device memory (nccl.ts, through the CUDA addon). A Gloo engine works on host
// TypedArrays it may read and write until the op completes; every op is the library's own.

import type { Tensor } from '../tensor.js';
import type { View } from '../backends/backend.js';
import { getBackend } from '../backends/registry.js';

/** Reduction names the engines understand (AVG is a SUM followed by a division, done by the caller). */
export type EngineReduce = 'sum' | 'product' | 'min' | 'max';
/** Element types an engine moves: 0 float32, 1 int32, 2 float64, 3 uint8 (bool as uint8). */
export type EngineDtype = 0 | 1 | 2 | 3;
/** Host buffers the engines accept. */
export type HostArray = Float32Array | Int32Array | Float64Array | Uint8Array;

/** One op in flight: a Promise that settles when it is done, and a blocking wait (DDP's end of backward). */
export interface EngineWork {
  readonly done: Promise<void>;
  /** Blocks the calling thread until done; throws the op's error. */
  waitSync(): void;
}

/** A communicator over some ranks (the world or a newGroup), all its ops in one order on every rank. */
export interface EngineGroup {
  readonly rank: number;
  readonly size: number;
  allReduce(buf: HostArray, dtype: EngineDtype, op: EngineReduce): EngineWork;
  reduce(buf: HostArray, dtype: EngineDtype, op: EngineReduce, root: number): EngineWork;
  broadcast(buf: HostArray, root: number): EngineWork;
  allGather(input: HostArray, output: HostArray): EngineWork;
  gather(input: HostArray, output: HostArray | null, root: number): EngineWork;
  scatter(inputs: HostArray[] | null, output: HostArray, root: number): EngineWork;
  allToAll(input: HostArray, output: HostArray): EngineWork;
  barrier(): EngineWork;
  send(buf: HostArray, dst: number, tag: number): EngineWork;
  recv(buf: HostArray, src: number, tag: number): EngineWork;
  destroy(): void;
}

/** An engine: connects groups through the store at host:port. */
export interface Engine {
  readonly name: 'gloo' | 'nccl';
  newGroup(opts: { host: string; port: number; prefix: string; rank: number; size: number; timeout: number; hostname: string; iface: string }): Promise<EngineGroup>;
}

type Started = [number, Promise<void>];
type GlooAddon = {
  newGroup(host: string, port: number, prefix: string, rank: number, size: number, timeout: number, hostname: string, iface: string): [object, number, Promise<void>];
  allreduce(g: object, b: HostArray, dtype: number, op: number): Started;
  reduce(g: object, b: HostArray, dtype: number, op: number, root: number): Started;
  broadcast(g: object, b: HostArray, root: number): Started;
  allgather(g: object, i: HostArray, o: HostArray): Started;
  gather(g: object, i: HostArray, o: HostArray | null, root: number): Started;
  scatter(g: object, i: HostArray[] | null, o: HostArray, root: number): Started;
  alltoall(g: object, i: HostArray, o: HostArray): Started;
  barrier(g: object): Started;
  send(g: object, b: HostArray, peer: number, tag: number): Started;
  recv(g: object, b: HostArray, peer: number, tag: number): Started;
  waitSync(id: number): void;
  destroy(g: object): void;
};

const RED: Record<EngineReduce, number> = { sum: 0, product: 1, min: 2, max: 3 };

/** How to get the addon, for error messages. */
export const BUILD_HINT = 'build it with `apt-get install libgloo-dev && npm run build:distributed` (in an installed package: `node node_modules/torchlet/scripts/build-distributed.mjs`); it writes native-distributed/build/torchlet_gloo.node (TORCHLET_GLOO_ADDON may name another path)';

let addon: GlooAddon | null = null;
/** Loads the Gloo addon (Node only) or throws saying how to build it. */
async function loadGloo(): Promise<GlooAddon> {
  if (addon) return addon;
  const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  if (!proc?.versions?.node) throw new Error("initProcessGroup: backend 'gloo' needs Node.js and the torchlet_gloo addon");
  const { createRequire } = (await import('node:module')) as unknown as { createRequire(u: string): (id: string) => unknown };
  const { existsSync } = (await import('node:fs')) as unknown as { existsSync(p: string): boolean };
  const { fileURLToPath } = (await import('node:url')) as unknown as { fileURLToPath(u: URL): string };
  // From src/distributed/ (sources) or dist/ (the bundle): the package root's native-distributed/build.
  // TORCHLET_GLOO_ADDON, when set, is the only place looked at.
  const candidates = proc.env?.TORCHLET_GLOO_ADDON ? [proc.env.TORCHLET_GLOO_ADDON] : [
    fileURLToPath(new URL('../../native-distributed/build/torchlet_gloo.node', import.meta.url)),
    fileURLToPath(new URL('../native-distributed/build/torchlet_gloo.node', import.meta.url)),
  ];
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`initProcessGroup: the Gloo addon is not built; ${BUILD_HINT}`);
  try {
    addon = createRequire(import.meta.url)(path) as GlooAddon;
  } catch (e) {
    throw new Error(`initProcessGroup: the Gloo addon at ${path} failed to load (${(e as Error).message}); rebuild it: ${BUILD_HINT}`);
  }
  return addon;
}

/** Whether the Gloo addon can be loaded (torch.distributed.isGlooAvailable). */
export async function glooAvailable(): Promise<boolean> {
  try { await loadGloo(); return true; } catch { return false; }
}

function work(a: GlooAddon, [id, p]: Started, what: string): EngineWork {
  const done = p.catch((e: Error) => { throw new Error(`${what}: ${e.message}`); });
  done.catch(() => {}); // a DDP wait may have reported it already; the caller's await still sees it
  return { done, waitSync: () => { try { a.waitSync(id); } catch (e) { throw new Error(`${what}: ${(e as Error).message}`); } } };
}

class GlooGroup implements EngineGroup {
  private destroyed = false;
  constructor(private a: GlooAddon, private g: object, readonly rank: number, readonly size: number) {}
  /** The addon's group, or an error once destroyed (its worker thread and connections are gone). */
  private live(what: string): object {
    if (this.destroyed) throw new Error(`${what}: the process group was destroyed (destroyProcessGroup)`);
    return this.g;
  }
  allReduce(b: HostArray, dtype: EngineDtype, op: EngineReduce) { return work(this.a, this.a.allreduce(this.live('allReduce'), b, dtype, RED[op]), 'allReduce'); }
  reduce(b: HostArray, dtype: EngineDtype, op: EngineReduce, root: number) { return work(this.a, this.a.reduce(this.live('reduce'), b, dtype, RED[op], root), 'reduce'); }
  broadcast(b: HostArray, root: number) { return work(this.a, this.a.broadcast(this.live('broadcast'), b, root), 'broadcast'); }
  allGather(i: HostArray, o: HostArray) { return work(this.a, this.a.allgather(this.live('allGather'), i, o), 'allGather'); }
  gather(i: HostArray, o: HostArray | null, root: number) { return work(this.a, this.a.gather(this.live('gather'), i, o, root), 'gather'); }
  scatter(i: HostArray[] | null, o: HostArray, root: number) { return work(this.a, this.a.scatter(this.live('scatter'), i, o, root), 'scatter'); }
  allToAll(i: HostArray, o: HostArray) { return work(this.a, this.a.alltoall(this.live('allToAll'), i, o), 'allToAll'); }
  barrier() { return work(this.a, this.a.barrier(this.live('barrier')), 'barrier'); }
  send(b: HostArray, dst: number, tag: number) { return work(this.a, this.a.send(this.live('send'), b, dst, tag), `send to rank ${dst}`); }
  recv(b: HostArray, src: number, tag: number) { return work(this.a, this.a.recv(this.live('recv'), b, src, tag), `recv from rank ${src}`); }
  destroy() { if (!this.destroyed) { this.destroyed = true; this.a.destroy(this.g); } }
}

/** The host-memory engine for a backend name ('gloo'; 'nccl' groups come from nccl.ts). */
export async function openEngine(backend: string): Promise<Engine> {
  if (backend !== 'gloo') throw new Error(`initProcessGroup: unknown backend '${backend}' (expected 'gloo' or 'nccl')`);
  const a = await loadGloo();
  return {
    name: 'gloo',
    async newGroup(o) {
      const [g, , p] = a.newGroup(o.host, o.port, o.prefix, o.rank, o.size, o.timeout, o.hostname, o.iface);
      try {
        await p;
      } catch (e) {
        a.destroy(g);
        throw new Error(`initProcessGroup: Gloo could not connect rank ${o.rank} of ${o.size}: ${(e as Error).message}`);
      }
      // Rank 0's JS thread serves the store that connectFullMesh reads; a rank may finish connecting
      // while others still read from it. This barrier returns only when every rank is connected, so
      // a later blocking wait (DDP's waitSync) cannot starve a rank that is still rendezvousing.
      const group = new GlooGroup(a, g, o.rank, o.size);
      await group.barrier().done;
      return group;
    },
  };
}

/**
 * A contiguous CPU tensor's own elements for the engine to work in place (the CPU
 * backend's shared memory never moves: WasmBackend.liveView), or null (then copy).
 */
export function cpuLiveArray(t: Tensor): HostArray | null {
  if (t.device !== 'cpu' || !t.isContiguous()) return null;
  return ((getBackend('cpu') as { liveView?(v: View): unknown }).liveView?.(t.view_()) ?? null) as HostArray | null;
}

/**
 * Waits for the CPU kernels in flight (WasmBackend.fence): a live array kept across steps must be
 * fenced before the engine reads it, as the kernels that last wrote it may still be running.
 */
export function cpuFence(): void {
  (getBackend('cpu') as { fence?(): void }).fence?.();
}
