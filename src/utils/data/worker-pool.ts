// Worker pool behind DataLoader's numWorkers: worker_threads in Node, module Web Workers in browsers.
// Constraint (documented in DataLoader): a worker cannot receive the dataset object itself, so the
// user names a JS module that builds the dataset inside each worker ({ url, exportName, args });
// items must be structured-clonable plain data (numbers, strings, arrays, typed arrays, objects),
// never Tensors. Collation into tensors happens on the main thread.

/** How each DataLoader worker builds its dataset: an ES module URL, the export to use, and its arguments. */
export interface WorkerDatasetSpec {
  /** URL (file:// in Node, http(s) in browsers) of an ES module exporting the dataset. */
  url: string | URL;
  /** The export: a Dataset class (constructed with args), a factory function, or an instance. Default 'default'. */
  exportName?: string;
  /** Arguments for the exported class or factory function (default []). */
  args?: unknown[];
}

// Runs inside each worker. Plain JS so it needs no build step; `post`/`listen` are bound per runtime.
const WORKER_BODY = `
let ds = null;
async function handle(m, post) {
  try {
    if (m.type === 'init') {
      const mod = await import(m.url);
      const E = mod[m.exportName];
      if (E === undefined) throw new Error('worker dataset module ' + m.url + ' has no export ' + m.exportName);
      if (typeof E === 'function' && E.prototype && typeof E.prototype.getItem === 'function') ds = new E(...m.args);
      else if (typeof E === 'function') ds = await E(...m.args);
      else ds = E;
      if (!ds || typeof ds.getItem !== 'function') throw new Error('worker dataset export ' + m.exportName + ' is not a dataset (no getItem)');
      post({ type: 'ready' });
    } else if (m.type === 'batch') {
      const items = [];
      for (const i of m.indices) items.push(await ds.getItem(i));
      post({ type: 'batch', id: m.id, items });
    }
  } catch (e) {
    post({ type: 'error', id: m.id, message: String((e && e.message) || e) });
  }
}
`;
const NODE_WORKER = `${WORKER_BODY}
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => handle(m, (r) => parentPort.postMessage(r)));
`;
const WEB_WORKER = `${WORKER_BODY}
self.onmessage = (ev) => handle(ev.data, (r) => self.postMessage(r));
`;

interface Reply { type: 'ready' | 'batch' | 'error'; id?: number; items?: unknown[]; message?: string }
interface Port { send(m: unknown): void; onMessage(fn: (r: Reply) => void): void; onError(fn: (e: Error) => void): void; terminate(): void }

// Web Workers where the runtime has them (browsers, Deno, Bun); else Node's worker_threads.
const hasWebWorker = typeof Worker !== 'undefined';

async function spawn(): Promise<Port> {
  if (!hasWebWorker) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(NODE_WORKER, { eval: true });
    return {
      send: (m) => w.postMessage(m),
      onMessage: (fn) => { w.on('message', fn); },
      onError: (fn) => { w.on('error', fn); },
      terminate: () => { void w.terminate(); },
    };
  }
  const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
  const w = new Worker(url, { type: 'module' });
  return {
    send: (m) => w.postMessage(m),
    onMessage: (fn) => { w.onmessage = (ev: MessageEvent<Reply>) => fn(ev.data); },
    onError: (fn) => { w.onerror = (ev) => fn(new Error(ev.message)); },
    terminate: () => { w.terminate(); URL.revokeObjectURL(url); },
  };
}

/** numWorkers workers, each holding its own copy of the dataset; fetch() loads one batch of indices. */
export class WorkerPool {
  private ports: Port[] = [];
  private pending = new Map<number, { resolve: (items: unknown[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private rr = 0;

  static async create(n: number, spec: WorkerDatasetSpec): Promise<WorkerPool> {
    const pool = new WorkerPool();
    try {
      await Promise.all(Array.from({ length: n }, async () => {
        const port = await spawn();
        pool.ports.push(port);
        await new Promise<void>((resolve, reject) => {
          port.onError(reject);
          port.onMessage((r) => {
            if (r.type === 'ready') { resolve(); return; }
            if (r.type === 'error' && r.id === undefined) { reject(new Error(`DataLoader worker: ${r.message}`)); return; }
            pool.settle(r);
          });
          port.send({ type: 'init', url: String(spec.url), exportName: spec.exportName ?? 'default', args: spec.args ?? [] });
        });
        port.onError((e) => { for (const p of pool.pending.values()) p.reject(e); pool.pending.clear(); });
      }));
    } catch (e) {
      pool.close();
      throw e;
    }
    return pool;
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id!);
    if (!p) return;
    this.pending.delete(r.id!);
    if (r.type === 'error') p.reject(new Error(`DataLoader worker: ${r.message}`));
    else p.resolve(r.items ?? []);
  }

  fetch(indices: number[]): Promise<unknown[]> {
    const id = this.nextId++;
    const port = this.ports[this.rr++ % this.ports.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      port.send({ type: 'batch', id, indices });
    });
  }

  close(): void {
    for (const p of this.ports) p.terminate();
    this.ports = [];
    for (const p of this.pending.values()) p.reject(new Error('DataLoader worker pool closed'));
    this.pending.clear();
  }
}
