// The NCCL engine of torch.distributed (backend 'nccl'): communicators of libnccl.so.2 through the
// CUDA addon (native-cuda/ABI.md). Contract: a group's rank 0 publishes the unique id in our TCP
// store, the others read it there (as PyTorch does); every op is enqueued at once on the device's
// stream, in call order, on device addresses (no host copies); `done` resolves when the stream has
// reached everything enqueued so far. Collectives on tensors live in nccl-ops.ts.

import type { StoreClient } from './store.js';
import { cudaBackendOf, type NcclAddon } from './cuda-access.js';

/** Element types NCCL moves (bool travels as uint8). */
export type NcclDtype = 'float32' | 'float16' | 'float64' | 'int32' | 'uint8';
/** NCCL's reductions (ncclSum, ncclProd, ncclMax, ncclMin, ncclAvg). */
export type NcclRedOp = 'sum' | 'prod' | 'max' | 'min' | 'avg';
/** The addon's collective names. */
export type NcclOp = 'allReduce' | 'broadcast' | 'reduce' | 'allGather' | 'reduceScatter' | 'send' | 'recv';
/** One NCCL call's operands: device addresses and element counts. */
export interface NcclArgs {
  send: number; recv: number; count: number; dtype: NcclDtype;
  redOp?: NcclRedOp; root?: number; peer?: number;
}

/** A communicator over some ranks (the world or a newGroup) on one CUDA device. */
export class NcclGroup {
  private destroyed = false;
  /** The stream sync every `done` of this tick shares: it starts after the tick's last enqueue. */
  private nextSync: Promise<void> | null = null;
  /** @internal */
  constructor(
    private readonly addon: NcclAddon,
    private readonly comm: number,
    /** The CUDA device index the communicator (and every tensor it moves) lives on. */
    readonly device: number,
    readonly rank: number,
    readonly size: number,
    private readonly timeout: number,
    private readonly sync: () => Promise<void>,
  ) {}

  /** Enqueues one NCCL call on the device's stream; throws the addon's error prefixed with `what`. */
  run(what: string, op: NcclOp, args: NcclArgs): void {
    if (this.destroyed) throw new Error(`${what}: the process group was destroyed (destroyProcessGroup)`);
    if (args.count === 0) return; // NCCL accepts it, but there is nothing to move
    try {
      this.addon.ncclCollective(this.comm, op, args);
    } catch (e) {
      throw new Error(`${what}: NCCL error: ${(e as Error).message}`);
    }
  }

  /**
   * Runs fn's calls as one NCCL group (ncclGroupStart/End): point-to-point calls inside are
   * matched together, so gather/scatter/allToAll cannot deadlock on their order.
   */
  grouped(what: string, fn: () => void): void {
    if (this.destroyed) throw new Error(`${what}: the process group was destroyed (destroyProcessGroup)`);
    this.addon.ncclGroupStart();
    let failed: unknown = null;
    try { fn(); } catch (e) { failed = e; }
    try {
      this.addon.ncclGroupEnd();
    } catch (e) {
      failed ??= new Error(`${what}: NCCL error: ${(e as Error).message}`);
    }
    if (failed) throw failed;
  }

  /**
   * Resolves when the stream has reached everything enqueued so far. NCCL waits for its peers on
   * the device, so a dead or stuck rank would stall this forever: after `timeout` ms it rejects
   * with a clear error instead (the stream itself stays stuck; the process should exit).
   */
  done(what: string): Promise<void> {
    // One synchronize per tick, whatever the number of collectives issued in it (a loop of
    // un-awaited ops must not queue a device wait each); started in a microtask, it covers them all.
    this.nextSync ??= Promise.resolve().then(() => { this.nextSync = null; return this.sync(); });
    const reached = this.nextSync.catch((e: Error) => { throw new Error(`${what}: ${e.message}`); });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${this.timeout} ms waiting for the NCCL operation on cuda:${this.device} to complete (another rank died, hangs, or issued collectives in another order)`)), this.timeout);
      (timer as { unref?(): void }).unref?.();
    });
    return Promise.race([reached, late]).finally(() => clearTimeout(timer));
  }

  /** Frees the communicator (after the stream is done with it). Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.addon.ncclCommDestroy(this.comm);
  }
}

/**
 * Creates the communicator of one group: its rank 0 publishes a fresh unique id under
 * `${prefix}/ncclUniqueId`, every member reads it and says so, and once every member has it they
 * all call ncclCommInitRank. (Waiting for every member first matters when the store is served by a
 * member whose thread the init may block: nobody still needs the store then.)
 */
export async function newNcclGroup(o: { store: StoreClient; prefix: string; rank: number; size: number; device: number; timeout: number }): Promise<NcclGroup> {
  const cuda = cudaBackendOf(o.device, 'initProcessGroup');
  const addon = cuda.addon;
  const key = `${o.prefix}/ncclUniqueId`;
  let id: Uint8Array;
  if (o.rank === 0) {
    try {
      id = addon.ncclGetUniqueId();
    } catch (e) {
      throw new Error(`initProcessGroup: ncclGetUniqueId failed: ${(e as Error).message}`);
    }
    await o.store.set(key, id);
  } else {
    id = await o.store.get(key, o.timeout).catch((e: Error) => {
      throw new Error(`initProcessGroup: rank ${o.rank} of the NCCL group '${o.prefix}' did not get the unique id from its rank 0 within ${o.timeout} ms (${e.message})`);
    });
  }
  if (id.length !== 128) throw new Error(`initProcessGroup: the NCCL unique id of '${o.prefix}' has ${id.length} bytes, expected 128`);
  const have = await o.store.add(`${o.prefix}/ncclHaveId`, 1);
  if (have < o.size) {
    await o.store.get(`${o.prefix}/ncclAllHaveId`, o.timeout).catch((e: Error) => {
      throw new Error(`initProcessGroup: timed out after ${o.timeout} ms waiting for the ${o.size} ranks of '${o.prefix}' to read the NCCL unique id (${e.message})`);
    });
  } else {
    await o.store.set(`${o.prefix}/ncclAllHaveId`, '1');
  }
  let comm: number;
  try {
    comm = await addon.ncclCommInitRank(o.device, id, o.size, o.rank);
  } catch (e) {
    throw new Error(`initProcessGroup: ncclCommInitRank (rank ${o.rank} of ${o.size}, cuda:${o.device}) failed: ${(e as Error).message}`);
  }
  return new NcclGroup(addon, comm, o.device, o.rank, o.size, o.timeout, () => cuda.synchronize());
}
