// torch.utils.tensorboard.SummaryWriter: scalars, histograms, images, text and hparams written as
// TensorBoard event files (records of Event protos). Node, Deno and Bun write the files (node:fs,
// imported lazily at the first flush); in a browser the writer keeps each file's bytes, handed out by
// getBuffers(). Tensor values are read synchronously on the CPU and asynchronously elsewhere.

import { Tensor } from '../../tensor.js';
import { ProtoWriter } from './proto.js';
import { encodeRecord } from './record.js';
import { encodePng } from './png.js';
import { makeHistogram, scalarValue, histogramValue, imageValue, textValue, hparamsValues, type HParamValue } from './summary.js';

/** Options of SummaryWriter. */
export interface SummaryWriterOptions {
  /** Appended to the default log directory's name (ignored when a logDir is given), as in PyTorch. */
  comment?: string;
  /** Seconds between automatic flushes (default 120); 0 disables them. */
  flushSecs?: number;
}

/** Options of SummaryWriter.addImage. */
export interface AddImageOptions {
  /** The layout of `img`: 'CHW' (default), 'HWC' or 'HW'. */
  dataformats?: 'CHW' | 'HWC' | 'HW';
}

type Proc = { versions?: { node?: string }; pid?: number; env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown };
interface FsPromises { mkdir(path: string, o: { recursive: boolean }): Promise<unknown>; appendFile(path: string, data: Uint8Array): Promise<void> }

const proc = (): Proc | undefined => (globalThis as { process?: Proc }).process;
const hasFiles = (): boolean => !!proc()?.versions?.node;

function hostname(): string {
  try {
    const os = proc()?.getBuiltinModule?.('node:os') as { hostname?: () => string } | undefined;
    if (os?.hostname) return os.hostname();
  } catch { /* fall through */ }
  return proc()?.env?.HOSTNAME ?? (hasFiles() ? 'localhost' : 'browser');
}

let fsLoad: Promise<FsPromises | null> | undefined;
/** node:fs/promises, imported on first use; null where there is no file system (browsers). */
function loadFs(): Promise<FsPromises | null> {
  fsLoad ??= hasFiles()
    ? import('node:fs/promises').then((m) => m as unknown as FsPromises, () => null)
    : Promise.resolve(null);
  return fsLoad;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
let fileUid = 0;

/** The values of a tensor or array as float64, read synchronously where the device allows. */
function valuesOf(v: Tensor | readonly number[]): Float64Array | Promise<Float64Array> {
  if (!(v instanceof Tensor)) return Float64Array.from(v);
  const toF64 = (d: ArrayLike<number | bigint | boolean>): Float64Array => Float64Array.from(d as ArrayLike<number>, Number);
  return v.storage.backend.synchronous ? toF64(v.dataSync() as ArrayLike<number>) : v.data().then((d) => toF64(d as ArrayLike<number>));
}

/** One event file: its records queued in order (a Promise while a tensor is read), flushed by append. */
class EventFile {
  readonly path: string;
  private queue: (Uint8Array | Promise<Uint8Array>)[] = [];
  readonly kept: Uint8Array[] = [];

  constructor(readonly dir: string, host: string) {
    const now = Date.now() / 1000;
    this.path = `${dir}/events.out.tfevents.${pad(Math.floor(now), 10)}.${host}.${proc()?.pid ?? 0}.${fileUid++}`;
    this.event(new ProtoWriter().double(1, now).string(3, 'brain.Event:2'));
  }

  /** Queues an Event. */
  event(e: ProtoWriter | Promise<ProtoWriter>): void {
    this.queue.push(e instanceof ProtoWriter ? encodeRecord(e.finish()) : e.then((p) => encodeRecord(p.finish())));
  }

  /** Writes (or, without a file system, keeps) everything queued so far. */
  async flush(fs: FsPromises | null, madeDirs: Set<string>): Promise<void> {
    const q = this.queue;
    if (!q.length) return;
    this.queue = [];
    const bytes = await Promise.all(q);
    if (!fs) { this.kept.push(...bytes); return; }
    if (!madeDirs.has(this.dir)) { await fs.mkdir(this.dir, { recursive: true }); madeDirs.add(this.dir); }
    const all = new Uint8Array(bytes.reduce((s, b) => s + b.length, 0));
    let o = 0;
    for (const b of bytes) { all.set(b, o); o += b.length; }
    await fs.appendFile(this.path, all);
  }
}

function summaryEvent(values: ProtoWriter[], step: number | undefined, walltime: number | undefined): ProtoWriter {
  const summary = new ProtoWriter();
  for (const v of values) summary.message(1, v);
  const e = new ProtoWriter().double(1, walltime ?? Date.now() / 1000);
  if (step) e.int(2, step);
  return e.message(5, summary);
}

/**
 * Writes TensorBoard event files (torch.utils.tensorboard.SummaryWriter): `tensorboard --logdir runs`
 * shows them. The default logDir is `runs/<Mon><DD>_<HH>-<MM>-<SS>_<host><comment>`. Records are
 * written at flush(), every flushSecs and at close(). In a browser nothing is written: getBuffers()
 * returns each event file's bytes by path.
 * @example
 * ```ts
 * const writer = new torch.utils.tensorboard.SummaryWriter('runs/exp1');
 * for (let step = 0; step < 100; step++) writer.addScalar('loss', 1 / (step + 1), step);
 * writer.addHistogram('weights', model.fc.weight, 100);
 * await writer.close();
 * ```
 */
export class SummaryWriter {
  /** The run directory this writer writes to. */
  readonly logDir: string;
  private readonly host = hostname();
  private readonly main: EventFile;
  private readonly extra = new Map<string, EventFile>();
  private readonly madeDirs = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private error: unknown = null;

  /** Opens an event file in `logDir` (default: `runs/<date>_<host><comment>`). */
  constructor(logDir?: string, opts: SummaryWriterOptions = {}) {
    if (logDir === undefined || logDir === '') {
      const d = new Date();
      logDir = `runs/${MONTHS[d.getMonth()]}${pad(d.getDate())}_${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}_${this.host}${opts.comment ?? ''}`;
    }
    this.logDir = logDir.replace(/\/+$/, '');
    this.main = new EventFile(this.logDir, this.host);
    const secs = opts.flushSecs ?? 120;
    if (secs > 0) {
      this.timer = setInterval(() => { this.flush().catch((e: unknown) => { this.error ??= e; }); }, secs * 1000);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  private check(name: string): void {
    if (this.closed) throw new Error(`SummaryWriter.${name}: the writer is closed`);
  }

  private fileFor(dir: string): EventFile {
    let f = this.extra.get(dir);
    if (!f) { f = new EventFile(dir, this.host); this.extra.set(dir, f); }
    return f;
  }

  /** Logs a scalar (stored as float32) under `tag` at `globalStep`; `walltime` in seconds since the epoch. */
  addScalar(tag: string, value: number, globalStep?: number, walltime?: number): void {
    this.check('addScalar');
    this.main.event(summaryEvent([scalarValue(tag, value)], globalStep, walltime));
  }

  /**
   * Logs several scalars on one chart, PyTorch's layout: each `tagScalarDict` key gets its own run
   * directory `<logDir>/<mainTag>_<key>` (slashes in mainTag become '_'), holding tag `mainTag`.
   */
  addScalars(mainTag: string, tagScalarDict: Record<string, number>, globalStep?: number, walltime?: number): void {
    this.check('addScalars');
    const t = walltime ?? Date.now() / 1000;
    for (const [k, v] of Object.entries(tagScalarDict)) {
      this.fileFor(`${this.logDir}/${mainTag.replace(/\//g, '_')}_${k}`).event(summaryEvent([scalarValue(mainTag, v)], globalStep, t));
    }
  }

  /**
   * Logs a histogram of `values`; `bins` is 'tensorflow' (TensorBoard's default exponential buckets),
   * a number of equal-width bins, or explicit bin edges.
   */
  addHistogram(tag: string, values: Tensor | readonly number[], globalStep?: number, bins: 'tensorflow' | number | readonly number[] = 'tensorflow', walltime?: number): void {
    this.check('addHistogram');
    const t = walltime ?? Date.now() / 1000;
    const make = (v: Float64Array): ProtoWriter => summaryEvent([histogramValue(tag, makeHistogram(v, bins))], globalStep, t);
    const v = valuesOf(values);
    this.main.event(v instanceof Promise ? v.then(make) : make(v));
  }

  /**
   * Logs an image tensor ('CHW' by default; 1, 3 or 4 channels; 'HW' and one channel become gray RGB
   * as in PyTorch): uint8 as is, other dtypes as [0, 1] scaled to 255, clipped and truncated; PNG-encoded.
   */
  addImage(tag: string, img: Tensor, globalStep?: number, opts: AddImageOptions = {}, walltime?: number): void {
    this.check('addImage');
    const fmt = opts.dataformats ?? 'CHW';
    if (img.dim() !== fmt.length) throw new Error(`addImage: a ${img.dim()}-d tensor for dataformats '${fmt}'`);
    const h = img.shape[fmt.indexOf('H')]!, w = img.shape[fmt.indexOf('W')]!;
    const c = fmt === 'HW' ? 1 : img.shape[fmt.indexOf('C')]!;
    if (c !== 1 && c !== 3 && c !== 4) throw new Error(`addImage: ${c} channels (1, 3 or 4 expected)`);
    const scale = img.dtype === 'uint8' ? 1 : 255;
    const t = walltime ?? Date.now() / 1000;
    const cs = fmt === 'CHW' ? h * w : 1, ws = fmt === 'CHW' ? 1 : c, hs = fmt === 'CHW' ? w : w * c; // strides into the contiguous data
    const make = (v: Float64Array): ProtoWriter => {
      const oc = c === 1 ? 3 : c;
      const px = new Uint8Array(h * w * oc);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < oc; k++) {
        const s = v[y * hs + x * ws + (c === 1 ? 0 : k) * cs]! * scale;
        px[(y * w + x) * oc + k] = s >= 255 ? 255 : s > 0 ? Math.trunc(s) : 0;
      }
      return summaryEvent([imageValue(tag, encodePng(px, w, h, oc as 3 | 4), h, w, oc)], globalStep, t);
    };
    const v = valuesOf(img);
    this.main.event(v instanceof Promise ? v.then(make) : make(v));
  }

  /** Logs `text` (Markdown) for TensorBoard's text plugin, under tag `<tag>/text_summary` as PyTorch does. */
  addText(tag: string, text: string, globalStep?: number, walltime?: number): void {
    this.check('addText');
    this.main.event(summaryEvent([textValue(tag, text)], globalStep, walltime));
  }

  /**
   * Logs one hyperparameter session for TensorBoard's HParams plugin, PyTorch's layout: a run
   * directory `<logDir>/<runName>` (default: the time in seconds) with the experiment, session start
   * and session end summaries and each metric as a scalar. Returns that directory.
   */
  addHparams(hparamDict: Record<string, HParamValue>, metricDict: Record<string, number>, runName?: string, globalStep?: number): string {
    this.check('addHparams');
    const dir = `${this.logDir}/${runName ?? String(Date.now() / 1000)}`;
    const f = this.fileFor(dir);
    for (const v of hparamsValues(hparamDict, metricDict)) f.event(summaryEvent([v], globalStep, undefined));
    for (const [k, v] of Object.entries(metricDict)) f.event(summaryEvent([scalarValue(k, v)], globalStep, undefined));
    return dir;
  }

  /** Writes everything logged so far to the event files (in a browser: to the buffers getBuffers() returns). */
  flush(): Promise<void> {
    const run = this.chain.then(async () => {
      const fs = await loadFs();
      await this.main.flush(fs, this.madeDirs);
      for (const f of this.extra.values()) await f.flush(fs, this.madeDirs);
    });
    this.chain = run.catch(() => {});
    return run.then(() => {
      if (this.error !== null) { const e = this.error; this.error = null; throw e; }
    });
  }

  /** Flushes and stops the writer (further add* calls throw). */
  async close(): Promise<void> {
    if (this.timer !== null) { clearInterval(this.timer); this.timer = null; }
    if (this.closed) return;
    this.closed = true;
    await this.flush();
  }

  /**
   * The bytes of every event file by path, where nothing is written to disk (browsers); empty in
   * Node, Deno and Bun, whose files hold them. Call after flush() or close().
   */
  getBuffers(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const f of [this.main, ...this.extra.values()]) {
      if (!f.kept.length) continue;
      const all = new Uint8Array(f.kept.reduce((s, b) => s + b.length, 0));
      let o = 0;
      for (const b of f.kept) { all.set(b, o); o += b.length; }
      out.set(f.path, all);
    }
    return out;
  }
}
