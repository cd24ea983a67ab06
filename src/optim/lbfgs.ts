// torch.optim.LBFGS: limited-memory BFGS (Nocedal & Wright, Numerical Optimization, alg. 7.4/7.5)
// with the two-loop recursion over `historySize` curvature pairs, an optional strong-Wolfe line
// search (bracketing + cubic interpolation, alg. 3.5/3.6) and PyTorch's stopping rules.
// Its decisions need scalars read from the device, so the algorithm is a generator that yields each
// read (and each closure result to wait for); `drive` serves the reads at once where the device is
// synchronous (the CPU) and the closure returns a value, so step(closure) has finished when it
// returns, as in PyTorch; elsewhere it goes on asynchronously and step() must be awaited (a step
// started before the previous one settled is an error saying so). The algorithm's own code runs
// under noGrad one piece at a time: user code running during an await keeps its grad mode. Scalars that PyTorch keeps in
// 0-d tensors of the parameters' dtype (ys, rho, alpha, Hdiag) are rounded with fround for float32
// and kept exact (JS numbers are doubles) for float64 parameters.

import { cat, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { noGrad, enableGrad } from '../autograd/grad-mode.js';
import { keep, tidyImpl } from '../memory.js';
import { isTensor, gradsInternally } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';

/** Options for LBFGS (PyTorch's keywords in camelCase); every field is optional in the constructor. */
export interface LBFGSOptions {
  /** Learning rate, the initial step length (default 1). */
  lr: number;
  /** Maximal number of iterations per step() (default 20). */
  maxIter: number;
  /** Maximal number of closure evaluations per step() (default maxIter * 5 / 4). */
  maxEval: number;
  /** Stop when the largest absolute gradient entry is at most this (default 1e-7). */
  toleranceGrad: number;
  /** Stop when the change in parameters or loss is at most this (default 1e-9). */
  toleranceChange: number;
  /** Number of curvature pairs kept for the two-loop recursion (default 100). */
  historySize: number;
  /** 'strong_wolfe' for a strong-Wolfe line search, or null for fixed steps of lr (default null). */
  lineSearchFn: 'strong_wolfe' | null;
}

/** What the algorithm waits for: the scalar of a tensor, or a closure's Promise. */
type Pending = { read: Tensor } | { wait: Promise<Tensor | number> };
/** The algorithm's pieces between reads. */
type Steps<T> = Generator<Pending, T, unknown>;

/** Runs f in a tidy scope and reads its scalar result (freeing it and every temporary). */
function* num(f: () => Tensor): Steps<number> {
  const t = tidyImpl(f, isTensor);
  try { return (yield { read: t }) as number; } finally { t.dispose(); }
}

/**
 * Runs the generator to its end: each piece under noGrad, each read served synchronously while the
 * tensor's device allows it, then asynchronously from the first that does not. `done` runs when the
 * generator has finished or failed (before step() returns, when that is synchronous).
 */
function drive<T>(gen: Steps<T>, done: () => void): Promise<T> {
  const resume = (v: unknown, failed: boolean): IteratorResult<Pending, T> => noGrad(() => (failed ? gen.throw(v) : gen.next(v)));
  const syncRead = (p: Pending): p is { read: Tensor } => 'read' in p && p.read.readsNow;
  const finish = async (first: Pending): Promise<T> => {
    let p = first;
    for (;;) {
      let v: unknown, failed = false;
      try { v = 'read' in p ? Number(await p.read.item()) : await p.wait; } catch (e) { v = e; failed = true; }
      const r = resume(v, failed);
      if (r.done) return r.value;
      p = r.value;
    }
  };
  let r: IteratorResult<Pending, T>;
  try {
    r = resume(undefined, false);
    while (!r.done && syncRead(r.value)) {
      let v: unknown, failed = false;
      try { v = Number(r.value.read.itemSync()); } catch (e) { v = e; failed = true; }
      r = resume(v, failed);
    }
  } catch (e) { done(); return Promise.reject(e); }
  if (r.done) { done(); return Promise.resolve(r.value); }
  return finish(r.value).finally(done);
}
/** Runs a synchronous tensor statement in a tidy scope: only the returned tensors survive. */
const sync = <T>(f: () => T): T => tidyImpl(f, isTensor);

/** Minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to bounds (default: [x1, x2]). */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

type Eval = (x: Tensor[], t: number, d: Tensor) => Steps<[number, Tensor]>;

/** Strong-Wolfe line search along d from step t; returns [f, g, t, evaluations]. */
function* strongWolfe(obj: Eval, x: Tensor[], t: number, d: Tensor, f: number, g: Tensor, gtd: number,
  c1 = 1e-4, c2 = 0.9, tolChange = 1e-9, maxLs = 25): Steps<[number, Tensor, number, number]> {
  const dNorm = yield* num(() => d.abs().max());
  const made: Tensor[] = [];
  const evaluate = function* (step: number): Steps<[number, Tensor]> { const r = yield* obj(x, step, d); made.push(r[1]); return r; };
  let [fNew, gNew] = yield* evaluate(t);
  let evals = 1;
  let gtdNew = yield* num(() => gNew.dot(d));
  let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
  let done = false, lsIter = 0;
  let br: number[] = [], brF: number[] = [], brG: Tensor[] = [], brGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      br = [tPrev, t]; brF = [fPrev, fNew]; brG = [gPrev, gNew]; brGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) { br = [t]; brF = [fNew]; brG = [gNew]; done = true; break; }
    if (gtdNew >= 0) {
      br = [tPrev, t]; brF = [fPrev, fNew]; brG = [gPrev, gNew]; brGtd = [gtdPrev, gtdNew];
      break;
    }
    // Extrapolate between 1.01 t and 10 t.
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [t + 0.01 * (t - tPrev), t * 10]);
    tPrev = tmp; fPrev = fNew; gPrev = gNew; gtdPrev = gtdNew;
    [fNew, gNew] = yield* evaluate(t);
    evals++;
    gtdNew = yield* num(() => gNew.dot(d));
    lsIter++;
  }
  if (lsIter === maxLs) { br = [0, t]; brF = [f, fNew]; brG = [g, gNew]; }
  // Zoom: shrink the bracket until the strong Wolfe conditions hold.
  let insufProgress = false;
  let [low, high] = brF[0]! <= brF[brF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(br[1]! - br[0]!) * dNorm < tolChange) break;
    t = cubicInterpolate(br[0]!, brF[0]!, brGtd[0]!, br[1]!, brF[1]!, brGtd[1]!);
    const bMax = Math.max(br[0]!, br[1]!), bMin = Math.min(br[0]!, br[1]!);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      // Too close to an end: move away unless the last step already made progress there.
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else insufProgress = true;
    } else insufProgress = false;
    [fNew, gNew] = yield* evaluate(t);
    evals++;
    gtdNew = yield* num(() => gNew.dot(d));
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= brF[low]!) {
      br[high] = t; brF[high] = fNew; brG[high] = gNew; brGtd[high] = gtdNew;
      [low, high] = brF[0]! <= brF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (br[high]! - br[low]!) >= 0) {
        br[high] = br[low]!; brF[high] = brF[low]!; brG[high] = brG[low]!; brGtd[high] = brGtd[low]!;
      }
      br[low] = t; brF[low] = fNew; brG[low] = gNew; brGtd[low] = gtdNew;
    }
  }
  const gOut = brG[low]!;
  for (const m of made) if (m !== gOut) m.dispose();
  return [brF[low]!, gOut, br[low]!, evals];
}

/** Limited-memory BFGS with an optional strong-Wolfe line search (torch.optim.LBFGS); step(closure) is async and takes one parameter group. */
export class LBFGS extends Optimizer<LBFGSOptions> {
  private readonly params: Tensor[];
  /** A step is running (between its start and its settling): the state is in flux. */
  #running = false;
  constructor(params: ParamsInput<LBFGSOptions>, opts: Partial<LBFGSOptions> = {}) {
    const maxIter = opts.maxIter ?? 20;
    const d: LBFGSOptions = {
      lr: 1, maxIter, maxEval: Math.floor((maxIter * 5) / 4), toleranceGrad: 1e-7, toleranceChange: 1e-9,
      historySize: 100, lineSearchFn: null, ...opts,
    };
    if (opts.maxEval === undefined) d.maxEval = Math.floor((maxIter * 5) / 4);
    if (d.lineSearchFn !== null && d.lineSearchFn !== 'strong_wolfe') throw new Error("LBFGS: only 'strong_wolfe' is supported as lineSearchFn");
    super(params, d, 'LBFGS');
    if (this.paramGroups.length !== 1) throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
    this.params = this.paramGroups[0]!.params;
  }

  protected updateGroup(_g: ParamGroup): void {
    throw new Error('LBFGS: step requires a closure that reevaluates the model and returns the loss');
  }

  private flatGrad(): Tensor {
    return sync(() => gradsInternally(() => cat(this.params.map((p) => (p.grad ? p.grad.reshape(-1) : zeros([p.numel()], { dtype: p.dtype, device: p.device }))), 0)));
  }
  private addGrad(stepSize: number, update: Tensor): void {
    let off = 0;
    for (const p of this.params) {
      const n = p.numel();
      sync(() => p.add_(update.narrow(0, off, n).view(p.shape as number[]), { alpha: stepSize }));
      off += n;
    }
  }

  /** Runs up to maxIter L-BFGS iterations; resolves to the loss of the first closure call. */
  override step(): never;
  override step(closure: () => Tensor | number | Promise<Tensor | number>): Promise<Tensor | number>;
  override step(closure?: () => Tensor | number | Promise<Tensor | number>): Promise<Tensor | number> {
    if (!closure) throw new Error('LBFGS: step requires a closure that reevaluates the model and returns the loss');
    this.checkIdle('step');
    this.#running = true;
    return drive(this.run(closure), () => { this.#running = false; });
  }
  override stateDict(): ReturnType<Optimizer['stateDict']> { this.checkIdle('stateDict'); return super.stateDict(); }
  override loadStateDict(sd: Parameters<Optimizer['loadStateDict']>[0]): void { this.checkIdle('loadStateDict'); super.loadStateDict(sd); }
  private checkIdle(what: string): void {
    if (this.#running) {
      throw new Error(`LBFGS.${what}: the previous step() has not finished; step() is async and must be awaited: await opt.step(closure)`);
    }
  }

  private *run(closure: () => Tensor | number | Promise<Tensor | number>): Steps<Tensor | number> {
    const g = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = g as unknown as LBFGSOptions;
    const evalLoss = function* (): Steps<[Tensor | number, number]> {
      // Grad on for the closure's synchronous part only: an async closure's guard, disposed when
      // it settled, would restore this piece's noGrad over the caller's mode.
      const guard = enableGrad();
      let r: Tensor | number | Promise<Tensor | number>;
      try { r = closure(); } finally { guard.dispose(); }
      const l = r instanceof Promise ? ((yield { wait: r }) as Tensor | number) : r;
      return [l, typeof l === 'number' ? l : ((yield { read: l }) as number)];
    };
    const st = this.stateFor(this.params[0]!, () => ({ funcEvals: 0, nIter: 0 }));
    const [origLoss, l0] = yield* evalLoss();
    // Later closure results are read as numbers only, then freed (the first one is returned).
    const evalAndFree = function* (): Steps<number> { const [l, v] = yield* evalLoss(); if (typeof l !== 'number' && l !== origLoss) l.dispose(); return v; };
    let loss = l0;
    let currentEvals = 1;
    st.funcEvals = (st.funcEvals as number) + 1;
    let flatGrad = this.flatGrad();
    // PyTorch's 0-d scalars have the parameters' dtype: float32 ones round, float64 ones are JS numbers.
    const rnd = flatGrad.dtype === 'float64' ? (x: number): number => x : Math.fround;
    if ((yield* num(() => flatGrad.abs().max())) <= toleranceGrad) { flatGrad.dispose(); return origLoss; }

    let d = (st.d as Tensor | undefined) ?? null;
    let t = (st.t as number | undefined) ?? 0;
    let oldDirs = (st.oldDirs as Tensor[] | undefined) ?? [];
    let oldStps = (st.oldStps as Tensor[] | undefined) ?? [];
    let ro = (st.ro as number[] | undefined) ?? [];
    let hDiag = (st.hDiag as number | undefined) ?? 1;
    let prevFlatGrad = (st.prevFlatGrad as Tensor | undefined) ?? null;
    let prevLoss = (st.prevLoss as number | undefined) ?? 0;
    const dropped: Tensor[] = [];

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      st.nIter = (st.nIter as number) + 1;
      if (st.nIter === 1) {
        d?.dispose();
        d = sync(() => flatGrad.neg());
        oldDirs = []; oldStps = []; ro = []; hDiag = 1;
      } else {
        // Curvature pair from the last step; skipped unless y's > 1e-10 keeps H positive definite.
        const y = sync(() => flatGrad.sub(prevFlatGrad!));
        const s = sync(() => d!.mul(t)); // scalar operands allocate too: keep them in tidy scopes
        let used = false;
        const ys = rnd(yield* num(() => y.dot(s)));
        if (ys > 1e-10) {
          if (oldDirs.length === historySize) { dropped.push(oldDirs.shift()!, oldStps.shift()!); ro.shift(); }
          oldDirs.push(keep(y)); oldStps.push(keep(s)); ro.push(rnd(1 / ys));
          used = true;
          hDiag = rnd(ys / (yield* num(() => y.dot(y))));
        }
        if (!used) { y.dispose(); s.dispose(); }
        // Two-loop recursion: d = -H grad.
        const al: number[] = new Array<number>(oldDirs.length);
        const q = sync(() => flatGrad.neg());
        for (let i = oldDirs.length - 1; i >= 0; i--) {
          al[i] = rnd((yield* num(() => oldStps[i]!.dot(q))) * ro[i]!);
          sync(() => q.add_(oldDirs[i]!, { alpha: -al[i]! }));
        }
        const r = sync(() => q.mul(hDiag));
        q.dispose();
        for (let i = 0; i < oldDirs.length; i++) {
          const be = rnd((yield* num(() => oldDirs[i]!.dot(r))) * ro[i]!);
          sync(() => r.add_(oldStps[i]!, { alpha: rnd(al[i]! - be) }));
        }
        d!.dispose();
        d = r;
      }
      prevFlatGrad?.dispose();
      prevFlatGrad = sync(() => flatGrad.clone());
      prevLoss = loss;
      t = st.nIter === 1 ? Math.min(1, rnd(1 / (yield* num(() => flatGrad.abs().sum())))) * lr : lr;
      const gtd = yield* num(() => flatGrad.dot(d!));
      if (gtd > -toleranceChange) break;

      let lsEvals = 0;
      let optCond = false;
      if (lineSearchFn !== null) {
        const xInit = sync(() => this.params.map((p) => p.clone()));
        const self = this; // a generator function has no arrow form to keep `this`
        const obj: Eval = function* (x: Tensor[], step: number, dir: Tensor): Steps<[number, Tensor]> {
          self.addGrad(step, dir);
          const l = yield* evalAndFree();
          const fg = self.flatGrad();
          sync(() => self.params.forEach((p, i) => p.copy_(x[i]!)));
          return [l, fg];
        };
        const g0 = flatGrad;
        [loss, flatGrad, t, lsEvals] = yield* strongWolfe(obj, xInit, t, d!, loss, flatGrad, gtd);
        for (const x of xInit) x.dispose();
        if (flatGrad !== g0) g0.dispose();
        this.addGrad(t, d!);
        optCond = (yield* num(() => flatGrad.abs().max())) <= toleranceGrad;
      } else {
        this.addGrad(t, d!);
        if (nIter !== maxIter) {
          loss = yield* evalAndFree();
          flatGrad.dispose();
          flatGrad = this.flatGrad();
          optCond = (yield* num(() => flatGrad.abs().max())) <= toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      st.funcEvals = (st.funcEvals as number) + lsEvals;
      if (nIter === maxIter || currentEvals >= maxEval || optCond) break;
      if ((yield* num(() => d!.mul(t).abs().max())) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    for (const x of dropped) x.dispose();
    flatGrad.dispose();
    st.d = d ? keep(d) : null;
    st.t = t;
    st.oldDirs = oldDirs;
    st.oldStps = oldStps;
    st.ro = ro;
    st.hDiag = hDiag;
    st.prevFlatGrad = prevFlatGrad ? keep(prevFlatGrad) : null;
    st.prevLoss = prevLoss;
    return origLoss;
  }
}
