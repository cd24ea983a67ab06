// The TCP store of torch.distributed (as PyTorch's TCPStore): rank 0 hosts a key-value server,
// every rank (rank 0 too) talks to it as a client; set/get/add/wait with timeouts. It is the
// rendezvous: ranks announce themselves (HELLO: rank and world size checked, duplicates refused)
// and Gloo's connectFullMesh exchanges addresses through it from C++ (native-distributed speaks
// the same frames). Node-only: node:net is imported lazily, so the core bundle stays portable.
// Frames: request [u32 len][u8 op][u32 klen][key][u32 vlen][val][u32 timeoutMs];
// reply [u32 len][u8 status: 0 ok, 1 timeout, 2 error][u32 vlen][val]. All integers big-endian.

type NetSocket = {
  write(b: Uint8Array): boolean; on(ev: string, fn: (...a: never[]) => void): unknown; destroy(): void;
  setNoDelay(v: boolean): unknown; once(ev: string, fn: (...a: never[]) => void): unknown; unref?(): unknown; ref?(): unknown;
};
type NetServer = {
  listen(port: number, cb: () => void): unknown; close(cb?: () => void): unknown; on(ev: string, fn: (...a: never[]) => void): unknown;
  address(): { port: number } | string | null; unref(): unknown;
};
type NetModule = {
  createServer(fn: (s: NetSocket) => void): NetServer;
  connect(opts: { host: string; port: number }): NetSocket;
};

const OP_SET = 1, OP_GET = 2, OP_ADD = 3, OP_HELLO = 4;
const enc = new TextEncoder(), dec = new TextDecoder();

/** node:net, or a clear error where there is none (browsers). */
async function net(): Promise<NetModule> {
  if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) {
    throw new Error('torch.distributed needs Node.js (its TCP store and the Gloo addon); this runtime has neither');
  }
  return (await import('node:net')) as unknown as NetModule;
}

function frame(op: number, key: string, val: Uint8Array, timeoutMs: number): Uint8Array {
  const k = enc.encode(key);
  const b = new Uint8Array(4 + 1 + 4 + k.length + 4 + val.length + 4);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length - 4);
  b[4] = op;
  dv.setUint32(5, k.length); b.set(k, 9);
  dv.setUint32(9 + k.length, val.length); b.set(val, 13 + k.length);
  dv.setUint32(13 + k.length + val.length, Math.min(Math.max(0, Math.round(timeoutMs)), 0xffffffff));
  return b;
}
function reply(status: number, val: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + 1 + 4 + val.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length - 4); b[4] = status; dv.setUint32(5, val.length); b.set(val, 9);
  return b;
}
/** Splits a byte stream into length-prefixed frames. */
function framer(onFrame: (f: Uint8Array) => void): (chunk: Uint8Array) => void {
  let buf = new Uint8Array(0);
  return (chunk) => {
    const nb = new Uint8Array(buf.length + chunk.length); nb.set(buf); nb.set(chunk, buf.length); buf = nb;
    for (;;) {
      if (buf.length < 4) return;
      const len = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
      if (buf.length < 4 + len) return;
      onFrame(buf.slice(4, 4 + len));
      buf = buf.slice(4 + len);
    }
  };
}

/** The server half, hosted by rank 0. @internal */
export class StoreServer {
  private data = new Map<string, Uint8Array>();
  private waiters = new Map<string, ((v: Uint8Array | null) => void)[]>();
  private joined = new Set<number>();
  private failure: string | null = null;
  private constructor(private server: NetServer, readonly port: number, private worldSize: number) {}

  /** Listens on every interface at `port` (0: a free one); a port in use is a clear error. */
  static async listen(port: number, worldSize: number): Promise<StoreServer> {
    const n = await net();
    let self: StoreServer | null = null;
    const server = n.createServer((sock) => self!.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.on('error', ((e: { code?: string; message: string }) => {
        reject(new Error(e.code === 'EADDRINUSE'
          ? `initProcessGroup: the store's port ${port} is already in use (EADDRINUSE): another job (or a second rank 0) is using it; choose another MASTER_PORT (torchlet run --master-port)`
          : `initProcessGroup: the store cannot listen on port ${port}: ${e.message}`));
      }) as (...a: never[]) => void);
      server.listen(port, () => resolve());
    });
    server.unref();
    const addr = server.address();
    self = new StoreServer(server, typeof addr === 'object' && addr ? addr.port : port, worldSize);
    return self;
  }

  private serve(sock: NetSocket): void {
    sock.setNoDelay(true);
    sock.unref?.();
    let chain = Promise.resolve();
    const onFrame = (f: Uint8Array) => {
      chain = chain.then(async () => {
        const dv = new DataView(f.buffer, f.byteOffset);
        const op = f[0]!;
        const kl = dv.getUint32(1);
        const key = dec.decode(f.subarray(5, 5 + kl));
        const vl = dv.getUint32(5 + kl);
        const val = f.slice(9 + kl, 9 + kl + vl);
        const timeout = dv.getUint32(9 + kl + vl);
        sock.write(await this.handle(op, key, val, timeout));
      });
    };
    sock.on('data', framer(onFrame) as (...a: never[]) => void);
    sock.on('error', () => {});
  }

  private async handle(op: number, key: string, val: Uint8Array, timeout: number): Promise<Uint8Array> {
    if (op === OP_SET) { this.set(key, val); return reply(0, new Uint8Array(0)); }
    if (op === OP_ADD) {
      const cur = this.data.has(key) ? Number(dec.decode(this.data.get(key)!)) : 0;
      const next = cur + Number(dec.decode(val));
      this.set(key, enc.encode(String(next)));
      return reply(0, enc.encode(String(next)));
    }
    if (op === OP_GET) {
      if (this.failure !== null && key.startsWith('__')) return reply(2, enc.encode(this.failure));
      const have = this.data.get(key);
      if (have) return reply(0, have);
      const v = await new Promise<Uint8Array | null>((resolve) => {
        const l = this.waiters.get(key) ?? [];
        l.push(resolve);
        this.waiters.set(key, l);
        const t = setTimeout(() => resolve(null), timeout) as unknown as { unref?(): void };
        t.unref?.();
      });
      if (v) return reply(0, v);
      if (this.failure !== null) return reply(2, enc.encode(this.failure));
      return reply(1, new Uint8Array(0));
    }
    if (op === OP_HELLO) {
      const { rank, worldSize } = JSON.parse(dec.decode(val)) as { rank: number; worldSize: number };
      let err: string | null = null;
      if (worldSize !== this.worldSize) err = `initProcessGroup: mismatched world sizes: rank ${rank} was started with worldSize ${worldSize}, rank 0 with ${this.worldSize}`;
      else if (!(rank >= 0 && rank < worldSize)) err = `initProcessGroup: rank ${rank} is out of range for worldSize ${worldSize}`;
      else if (this.joined.has(rank)) err = `initProcessGroup: duplicate rank ${rank}: two processes claimed rank ${rank} (each process needs its own RANK in 0..${worldSize - 1})`;
      if (err) { this.fail(err); return reply(2, enc.encode(err)); }
      this.joined.add(rank);
      this.set('__joined', enc.encode(JSON.stringify([...this.joined].sort((a, b) => a - b))));
      if (this.joined.size === this.worldSize) this.set('__ready', enc.encode('1'));
      return reply(0, new Uint8Array(0));
    }
    return reply(2, enc.encode(`unknown store op ${op}`));
  }

  private set(key: string, val: Uint8Array): void {
    this.data.set(key, val);
    const w = this.waiters.get(key);
    if (w) { this.waiters.delete(key); for (const r of w) r(val); }
  }
  /** Makes every rendezvous wait fail with `msg` (a bad rank or world size poisons the job). */
  private fail(msg: string): void {
    this.failure ??= msg;
    for (const [k, w] of this.waiters) if (k.startsWith('__')) { this.waiters.delete(k); for (const r of w) r(null); }
  }
  /** Stops listening. */
  close(): void { this.server.close(); }
}

/** A client connection to the store; requests are answered in order. @internal */
export class StoreClient {
  private queue: { resolve: (v: Uint8Array) => void; reject: (e: Error) => void; what: string }[] = [];
  private closed: string | null = null;
  private constructor(private sock: NetSocket, readonly host: string, readonly port: number, readonly timeout: number) {
    sock.on('data', framer((f) => {
      const q = this.queue.shift();
      if (!q) return;
      const status = f[0]!;
      const vl = new DataView(f.buffer, f.byteOffset).getUint32(1);
      const val = f.slice(5, 5 + vl);
      if (status === 0) q.resolve(val);
      else if (status === 1) q.reject(new Error(`${q.what}: timed out after ${timeout} ms`));
      else q.reject(new Error(dec.decode(val)));
    }) as (...a: never[]) => void);
    const lost = () => {
      this.closed ??= `the store at ${host}:${port} closed the connection (rank 0 exited?)`;
      for (const q of this.queue.splice(0)) q.reject(new Error(`${q.what}: ${this.closed}`));
    };
    sock.on('close', lost);
    sock.on('error', () => {});
    sock.unref?.();
  }

  /** Connects, retrying until `timeout` ms have passed (rank 0 may not be listening yet). */
  static async connect(host: string, port: number, timeout: number): Promise<StoreClient> {
    const n = await net();
    const deadline = Date.now() + timeout;
    let last = '';
    for (;;) {
      try {
        const sock = await new Promise<NetSocket>((resolve, reject) => {
          const s = n.connect({ host, port });
          s.once('connect', () => resolve(s));
          s.once('error', ((e: Error) => { s.destroy(); reject(e); }) as (...a: never[]) => void);
        });
        sock.setNoDelay(true);
        return new StoreClient(sock, host, port, timeout);
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`initProcessGroup: could not reach the store at ${host}:${port} within ${timeout} ms (${last}): is rank 0 running, and MASTER_ADDR/MASTER_PORT the same on every rank?`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private request(op: number, key: string, val: Uint8Array, timeout: number, what: string): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error(`${what}: ${this.closed}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject, what });
      this.sock.ref?.();
      this.sock.write(frame(op, key, val, timeout));
    }).finally(() => { if (this.queue.length === 0) this.sock.unref?.(); }) as Promise<Uint8Array>;
  }
  /** Sets key to a value (bytes or a string). */
  async set(key: string, value: Uint8Array | string): Promise<void> {
    await this.request(OP_SET, key, typeof value === 'string' ? enc.encode(value) : value, this.timeout, `store.set('${key}')`);
  }
  /** The value of key, waiting up to `timeout` ms for some rank to set it. */
  get(key: string, timeout = this.timeout): Promise<Uint8Array> {
    return this.request(OP_GET, key, new Uint8Array(0), timeout, `store.get('${key}')`);
  }
  /** Adds `amount` to the integer at key (0 when absent) and returns the new value. */
  async add(key: string, amount: number): Promise<number> {
    return Number(dec.decode(await this.request(OP_ADD, key, enc.encode(String(amount)), this.timeout, `store.add('${key}')`)));
  }
  /** Waits until every key is set (up to `timeout` ms). */
  async wait(keys: string[], timeout = this.timeout): Promise<void> {
    for (const k of keys) await this.get(k, timeout);
  }
  /** Announces this rank; the server refuses a duplicate rank or another world size. @internal */
  async hello(rank: number, worldSize: number): Promise<void> {
    await this.request(OP_HELLO, '', enc.encode(JSON.stringify({ rank, worldSize })), this.timeout, 'initProcessGroup');
  }
  /** Closes the connection. */
  close(): void { this.closed = 'closed'; this.sock.destroy(); }
}
