// torch.compile's lazy mode (after a graph break, or for dynamic dims): the function runs each call
// under a LazyCapture; ops record into a segment that is compiled (cached by its structure: kernels,
// views, which buffers are bound or escape) and run at each host read and at the end, and its live
// results get real buffers, so the read and everything eager after it see real tensors.

import { realBackend } from '../backends/registry.js';
import { state } from '../state.js';
import { materialize, type Storage } from '../memory.js';
import { Capture, isView, type GraphBreak } from './capture.js';
import { Program, valueKey, type Binding } from './program.js';
import { VBuf } from './vbuf.js';
import type { CompileInfo, CompileOptions, Entry } from './compile.js';

/** A compiled segment, with the buffers it was built on (bound by position at later runs). */
export interface Segment { program: Program; bufs: VBuf[]; escapes: number[] }

/** Runs one call of a lazy entry. */
export function runLazy(e: Entry, call: () => unknown, info: CompileInfo, fuse: boolean, noteBreak: (b: GraphBreak) => void, opts: CompileOptions): unknown {
  e.segments ??= new Map();
  const cap = new LazyCapture(e.segments, fuse, info, (b) => {
    if (opts.fullgraph) throw new Error(`torch.compile(fullgraph=true): graph break: ${b.reason}${b.where ? ` at ${b.where}` : ''}`);
    noteBreak(b);
  });
  info.lastKernels = 0;
  const out = cap.run(call);
  cap.flush();
  if (out instanceof Promise) return out.then((v) => { cap.flush(); return v; });
  return out;
}

/** A capture that, instead of stopping at a host read, runs what it recorded so far and goes on. */
export class LazyCapture extends Capture {
  constructor(private readonly segments: Map<string, Segment>, private readonly fuse: boolean, private readonly info: CompileInfo, private readonly onBreak: (b: GraphBreak) => void) {
    super();
    this.lazy = true;
  }

  override breakAt(reason: string): GraphBreak {
    const b = super.breakAt(reason);
    this.broke = null; // lazy: not an ending
    this.onBreak(b);
    this.flush();
    return b;
  }

  /** Compiles (or finds) and runs the recorded segment, then gives its live results real buffers. */
  protected override runSegment(): void {
    const g = this.g;
    const nodes = g.nodes.splice(0);
    const rand = [g.seed, g.offset0] as const;
    g.offset0 = state.offset;
    g.seed = state.seed;
    const blocks = g.randomBlocks;
    g.randomBlocks = 0;
    if (!nodes.length) return;
    // Local numbering of buffers, and the structural key of the segment.
    const local = new Map<VBuf, number>();
    const bufs: VBuf[] = [];
    const num = (b: VBuf) => { let i = local.get(b); if (i === undefined) { i = bufs.length; local.set(b, i); bufs.push(b); } return i; };
    const parts: string[] = [];
    for (const n of nodes) {
      const a = n.args.map((x, i) => {
        if (n.kind === 'random' && i >= 2) return '';
        if (x instanceof VBuf) return `#${num(x)}`;
        if (isView(x)) {
          const v = x;
          return `#${num(v.buf as VBuf)}:${v.dtype}:${v.shape}:${v.strides}:${v.offset}`;
        }
        return valueKey(x);
      });
      parts.push(`${n.kind}@${n.device}(${a.join(',')})${n.randRel ?? ''}`);
    }
    const live = (b: VBuf) => !b.hasMemory && !!b.storage && (b.storage as Storage).refs > 0 && !(b.storage as Storage).freed;
    const escapes = bufs.map((b, i) => (live(b) ? i : -1)).filter((i) => i >= 0);
    const key = `${parts.join(';')}|${bufs.map((b) => `${b.hasMemory ? 'B' : 'T'}${b.nbytes}${b.device}`).join(',')}|${escapes.join(',')}|${blocks}`;
    let seg = this.segments.get(key);
    if (!seg) {
      seg = { program: new Program({ nodes, randomBlocks: blocks }, new Set(escapes.map((i) => bufs[i]!)), this.fuse), bufs, escapes };
      this.segments.set(key, seg);
      this.info.forward = seg.program.stats;
    }
    const bind: Binding = new Map();
    seg.bufs.forEach((b0, i) => {
      const b = bufs[i]!;
      if (b.hasMemory) bind.set(b0, b.real!);
    });
    const res = seg.program.run(bind, rand);
    this.info.lastKernels += seg.program.stats.kernels;
    for (const i of seg.escapes) {
      const b = bufs[i]!;
      b.real = res.get(seg.bufs[i]!)!;
      materialize(b.storage as Storage, b.real, realBackend(b.device));
    }
  }
}
