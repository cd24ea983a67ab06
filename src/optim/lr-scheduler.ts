// torch.optim.lrScheduler: learning-rate schedules that rewrite `group.lr` of an optimizer's param
// groups. Contract (PyTorch 1.13): the constructor performs step 0 (sets initialLr, lastEpoch = 0);
// step() advances one epoch using PyTorch's recursive ("chainable") formulas; step(epoch) jumps with
// the closed form where PyTorch has one. stateDict() is PyTorch's state_dict(): every field except
// the optimizer, under PyTorch 1.13's attribute names (last_epoch, base_lrs, _last_lr, T_max...),
// because PyTorch's load_state_dict is a bare __dict__.update that silently ignores other names.

import type { Optimizer, ParamGroup } from './optimizer.js';
import { isTensor, type Tensor } from '../tensor.js';
import { hintSnakeCase, hintSnakeCaseFields } from '../snake-case.js';
import { isPickledReference } from '../serialization/pickle.js';

const floorMod = (a: number, n: number): number => ((a % n) + n) % n;
function bisectRight(xs: readonly number[], x: number): number {
  let i = 0;
  while (i < xs.length && xs[i]! <= x) i++;
  return i;
}

/**
 * PyTorch 1.13's attribute names for the fields whose snake_case is not the mechanical one
 * (lastEpoch -> last_epoch is mechanical; TMax -> T_max and the private ones are not).
 */
const PYTORCH_NAME: Readonly<Record<string, string>> = {
  lastLr: '_last_lr', stepCount: '_step_count', TMax: 'T_max', T0: 'T_0', TI: 'T_i', TCur: 'T_cur', TMult: 'T_mult',
  phases: '_schedule_phases', lambdas: 'lr_lambdas', scaleFnCustom: '_scale_fn_custom', schedulers: '_schedulers',
};
const FROM_PYTORCH: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(PYTORCH_NAME).map(([k, v]) => [v, k]));
const pyName = (k: string): string => PYTORCH_NAME[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** A state_dict key (PyTorch's snake_case, or the camelCase earlier torchlet versions wrote) -> our field. */
const fieldName = (k: string): string => FROM_PYTORCH[k] ?? camelKey(k);
const copyValue = (v: unknown): unknown => (Array.isArray(v) ? v.map(copyValue) : v && typeof v === 'object' ? structuredClone(v) : v);
/** PyTorch's _initial_step for a scheduler driven by another (SequentialLR resets its first child's count). */
const initialStepOf = (s: LRScheduler): void => { (s as unknown as { stepCount: number }).stepCount = 0; s.step(); };

/** Base class of the epoch-based learning-rate schedulers (torch.optim.lr_scheduler.LRScheduler); the constructor performs step 0. */
export abstract class LRScheduler {
  /** Index of the last step taken (-1 before the constructor's initial step). */
  lastEpoch: number;
  /** Each group's initialLr, the base the schedule is computed from. */
  baseLrs: number[];
  protected lastLr: number[] = [];
  /** PyTorch's _step_count: step() calls, the constructor's included (saved for PyTorch's order-of-calls warning). */
  protected stepCount = 0;
  constructor(readonly optimizer: Optimizer, lastEpoch = -1) {
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new Error(`param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`);
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }
  /** Subclasses call this at the end of their constructor (PyTorch's _initial_step). */
  protected initialStep(): void { this.step(); }
  /** The chainable (recursive) rule for the current lastEpoch. */
  protected abstract getLr(): number[];
  /** The closed form for an explicit epoch, where PyTorch has one. */
  protected closedFormLr(): number[] | null { return null; }

  /** Advances one epoch with the chainable rule, or jumps to `epoch` (closed form where PyTorch has one), and writes each group's lr. */
  step(epoch?: number): void {
    this.stepCount++;
    let lrs: number[];
    if (epoch === undefined) { this.lastEpoch++; lrs = this.getLr(); }
    else { this.lastEpoch = epoch; lrs = this.closedFormLr() ?? this.getLr(); }
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = lrs[i]!; });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** The learning rates the last step set, one per param group (get_last_lr). */
  getLastLr(): number[] { return [...this.lastLr]; }
  protected get groups(): ParamGroup[] { return this.optimizer.paramGroups; }

  /** Fields of the subclass that PyTorch's state_dict has no counterpart of (or that are code, not state). */
  protected notState(_k: string, _v: unknown): boolean { return false; }
  /** A field's value as PyTorch holds it, where the representation differs (MultiStepLR's Counter...). */
  protected toPyTorchValue(_k: string, v: unknown): unknown { return copyValue(v); }
  /** The inverse of toPyTorchValue; also given the layouts earlier torchlet versions wrote. */
  protected fromPyTorchValue(_k: string, v: unknown): unknown { return copyValue(v); }

  /**
   * PyTorch's state_dict(): every field except the optimizer, under PyTorch 1.13's names and in its
   * order (the subclass's fields, then base_lrs, last_epoch, verbose, _step_count,
   * _get_lr_called_within_step, _last_lr). Functions (LambdaLR's lambdas) are code, not state: as in
   * PyTorch they are written as None.
   */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || BASE_FIELDS.has(k) || this.notState(k, v)) continue;
      if (typeof v === 'function') continue;
      out[pyName(k)] = Array.isArray(v) && v.some((x) => typeof x === 'function') ? v.map(() => null) : this.toPyTorchValue(k, v);
    }
    Object.assign(out, {
      base_lrs: [...this.baseLrs], last_epoch: this.lastEpoch, verbose: false, _step_count: this.stepCount,
      _get_lr_called_within_step: false, _last_lr: [...this.lastLr],
    });
    return out;
  }
  /**
   * Takes what stateDict() gives, PyTorch's scheduler state_dict(), or the camelCase layout earlier
   * torchlet versions wrote. Like PyTorch's __dict__.update it overwrites the hyperparameters too;
   * PyTorch attributes with no torchlet counterpart (verbose, _get_lr_called_within_step, anneal_func),
   * None entries (lambdas saved as None) and code torch.load gave as inert placeholders (a PyTorch
   * 1.13 OneCycleLR's or SWALR's anneal_func, a pickled bound method) are skipped.
   */
  loadStateDict(sd: Record<string, unknown>): void {
    for (const [key, v] of Object.entries(sd)) {
      const k = fieldName(key);
      if (k === 'optimizer' || !Object.prototype.hasOwnProperty.call(this, k)) continue;
      // A PyTorch-saved function or bound method (anneal_func) loads as an inert placeholder: code, not state.
      const code = (x: unknown): boolean => x === null || typeof x === 'function' || isPickledReference(x);
      if (code(v) || (Array.isArray(v) && v.some(code))) continue;
      (this as Record<string, unknown>)[k] = this.fromPyTorchValue(k, v);
    }
  }
}
/** Fields of LRScheduler itself, written last under PyTorch's names. */
const BASE_FIELDS = new Set(['lastEpoch', 'baseLrs', 'lastLr', 'stepCount']);

/** PyTorch attribute name -> ours: '_last_lr' -> 'lastLr', 'T_cur' -> 'TCur', 'base_lrs' -> 'baseLrs'. */
function camelKey(k: string): string {
  return k.replace(/^_+/, '').replace(/_([A-Za-z])/g, (_, c: string) => c.toUpperCase());
}
/** A state_dict with PyTorch's snake_case keys (or ours) as camelCase keys. */
function camelKeys(sd: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [camelKey(k), v]));
}

/** Multiplies each group's lr by gamma (default 0.1) every stepSize epochs (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler {
  readonly stepSize: number; readonly gamma: number;
  constructor(optimizer: Optimizer, stepSize: number, opts: { gamma?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.stepSize = stepSize; this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiplies each group's lr by gamma (default 0.1) at each epoch listed in milestones (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[]; readonly gamma: number;
  constructor(optimizer: Optimizer, milestones: number[], opts: { gamma?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.milestones = [...milestones].sort((a, b) => a - b); this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }
  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
  /**
   * PyTorch holds milestones as a Counter {epoch: count} and reads it as a mapping
   * (milestones[last_epoch]); a plain dict with int keys steps the same and, unlike a Counter, loads
   * with weights_only=True.
   */
  protected override toPyTorchValue(k: string, v: unknown): unknown {
    if (k !== 'milestones') return super.toPyTorchValue(k, v);
    const counts: Record<number, number> = {};
    for (const m of v as number[]) counts[m] = (counts[m] ?? 0) + 1;
    return counts;
  }
  /** Takes the {epoch: count} mapping or the sorted list earlier torchlet versions wrote. */
  protected override fromPyTorchValue(k: string, v: unknown): unknown {
    if (k !== 'milestones' || Array.isArray(v)) return super.fromPyTorchValue(k, v);
    return Object.entries(v as Record<string, number>).flatMap(([m, n]) => Array.from({ length: n }, () => Number(m))).sort((a, b) => a - b);
  }
}

/** Multiplies each group's lr by gamma every epoch (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: Optimizer, gamma: number, opts: { lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.gamma = gamma;
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] { return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch); }
}

/** Cosine annealing in PyTorch's recursive form (it follows external changes to lr). */
export class CosineAnnealingLR extends LRScheduler {
  readonly TMax: number; readonly etaMin: number;
  constructor(optimizer: Optimizer, TMax: number, opts: { etaMin?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.TMax = TMax; this.etaMin = opts.etaMin ?? 0;
    this.initialStep();
  }
  protected getLr(): number[] {
    const { TMax: T, etaMin: e, lastEpoch: n } = this;
    if (n === 0) return this.groups.map((g) => g.lr);
    if (floorMod(n - 1 - T, 2 * T) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - e) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * n) / T)) / (1 + Math.cos((Math.PI * (n - 1)) / T))) * (g.lr - e) + e);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.TMax))) / 2);
  }
}

/** Cosine annealing with warm restarts: periods T0, T0*TMult, ... (SGDR; torch.optim.lr_scheduler.CosineAnnealingWarmRestarts). */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly T0: number; readonly TMult: number; readonly etaMin: number;
  TI: number; TCur: number;
  constructor(optimizer: Optimizer, T0: number, opts: { TMult?: number; etaMin?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    if (!Number.isInteger(T0) || T0 <= 0) throw new RangeError(`CosineAnnealingWarmRestarts: Expected positive integer T_0, but got ${T0}`);
    this.T0 = T0; this.TMult = opts.TMult ?? 1; this.etaMin = opts.etaMin ?? 0;
    if (!Number.isInteger(this.TMult) || this.TMult < 1) throw new RangeError(`CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got ${this.TMult}`);
    this.TI = T0; this.TCur = this.lastEpoch;
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.TCur) / this.TI))) / 2);
  }
  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.TCur += 1;
      if (this.TCur >= this.TI) { this.TCur -= this.TI; this.TI *= this.TMult; }
    } else if (epoch >= this.T0) {
      if (this.TMult === 1) this.TCur = epoch % this.T0;
      else {
        const n = Math.floor(Math.log((epoch / this.T0) * (this.TMult - 1) + 1) / Math.log(this.TMult));
        this.TCur = epoch - (this.T0 * (this.TMult ** n - 1)) / (this.TMult - 1);
        this.TI = this.T0 * this.TMult ** n;
      }
    } else { this.TI = this.T0; this.TCur = epoch; }
    this.lastEpoch = Math.floor(epoch);
    const lrs = this.getLr();
    this.groups.forEach((g, i) => { g.lr = lrs[i]!; });
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

/** Scales lr by a factor moving linearly from startFactor (default 1/3) to endFactor (default 1) over totalIters (default 5) epochs (torch.optim.lr_scheduler.LinearLR). */
export class LinearLR extends LRScheduler {
  readonly startFactor: number; readonly endFactor: number; readonly totalIters: number;
  constructor(optimizer: Optimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.startFactor = opts.startFactor ?? 1 / 3; this.endFactor = opts.endFactor ?? 1; this.totalIters = opts.totalIters ?? 5;
    if (this.startFactor > 1 || this.startFactor <= 0) throw new RangeError('LinearLR: Starting multiplicative factor expected to be greater than 0 and less or equal to 1.');
    if (this.endFactor > 1 || this.endFactor < 0) throw new RangeError('LinearLR: Ending multiplicative factor expected to be between 0 and 1.');
    this.initialStep();
  }
  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: T, lastEpoch: n } = this;
    if (n === 0) return this.groups.map((g) => g.lr * s);
    if (n > T) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (e - s) / (T * s + (n - 1) * (e - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: T } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(T, this.lastEpoch)) / T));
  }
}

/** lr = initialLr * lrLambda(epoch); one function or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], opts: { lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) throw new RangeError(`LambdaLR: Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
    this.lambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array.from({ length: n }, () => lrLambda);
    this.initialStep();
  }
  protected getLr(): number[] { return this.baseLrs.map((b, i) => b * this.lambdas[i]!(this.lastEpoch)); }
}

/** Options for OneCycleLR (PyTorch's keywords in camelCase): give totalSteps, or epochs and stepsPerEpoch. */
export interface OneCycleOptions {
  /** Total number of steps in the cycle; else epochs * stepsPerEpoch. */
  totalSteps?: number;
  /** Number of epochs, used with stepsPerEpoch when totalSteps is not given. */
  epochs?: number;
  /** Steps per epoch, used with epochs when totalSteps is not given. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** Annealing shape: 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's beta1) inversely to the lr between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  /** Lower momentum bound, per group or shared (default 0.85). */
  baseMomentum?: number | number[];
  /** Upper momentum bound, per group or shared (default 0.95). */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Use a third phase that anneals to minLr after the symmetric rise and fall (default false). */
  threePhase?: boolean;
  /** Index of the last step when resuming (default -1: start fresh). */
  lastEpoch?: number;
}
interface Phase { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string }

/** The 1cycle policy; with cycleMomentum it also cycles SGD's momentum or Adam's beta1. */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  private phases: Phase[];
  readonly anneal: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly useBeta1: boolean;
  constructor(optimizer: Optimizer, maxLr: number | number[], opts: OneCycleOptions = {}) {
    const perGroup = <T>(name: string, v: T | T[]): T[] => {
      if (Array.isArray(v)) {
        if (v.length !== optimizer.paramGroups.length) throw new RangeError(`OneCycleLR: expected ${optimizer.paramGroups.length} values for ${name}, got ${v.length}`);
        return v;
      }
      return optimizer.paramGroups.map(() => v);
    };
    let total: number;
    if (opts.totalSteps !== undefined) {
      if (!Number.isInteger(opts.totalSteps) || opts.totalSteps <= 0) throw new RangeError(`OneCycleLR: Expected positive integer total_steps, but got ${opts.totalSteps}`);
      total = opts.totalSteps;
    } else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) total = opts.epochs * opts.stepsPerEpoch;
    else throw new Error('OneCycleLR: You must define either totalSteps OR (epochs AND stepsPerEpoch)');
    const pct = opts.pctStart ?? 0.3;
    if (pct < 0 || pct > 1) throw new RangeError(`OneCycleLR: Expected float between 0 and 1 pct_start, but got ${pct}`);
    const lastEpoch = opts.lastEpoch ?? -1;
    const maxLrs = perGroup('maxLr', maxLr);
    const div = opts.divFactor ?? 25, finalDiv = opts.finalDivFactor ?? 1e4;
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / div; g.maxLr = maxLrs[i]!; g.minLr = (g.initialLr as number) / finalDiv;
      });
    }
    const cycle = opts.cycleMomentum ?? true;
    const defaults = optimizer.defaults as Record<string, unknown>;
    let useBeta1 = false;
    if (cycle) {
      if (!('momentum' in defaults) && !('betas' in defaults)) throw new Error('OneCycleLR: optimizer must support momentum with `cycleMomentum` option enabled');
      useBeta1 = 'betas' in defaults;
      const maxM = perGroup('maxMomentum', opts.maxMomentum ?? 0.95), baseM = perGroup('baseMomentum', opts.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i]!, ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i]!;
          g.maxMomentum = maxM[i]!; g.baseMomentum = baseM[i]!;
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = total;
    this.anneal = opts.annealStrategy ?? 'cos';
    if (this.anneal !== 'cos' && this.anneal !== 'linear') throw new RangeError(`OneCycleLR: anneal_strategy must by one of 'cos' or 'linear', instead got ${String(this.anneal)}`);
    this.cycleMomentum = cycle; this.useBeta1 = useBeta1;
    this.phases = opts.threePhase
      ? [
        { endStep: pct * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
        { endStep: 2 * pct * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
      ]
      : [
        { endStep: pct * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
        { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
      ];
    this.initialStep();
  }
  /** `anneal` is PyTorch's anneal_func, a bound method: code, rebuilt by the constructor on both sides. */
  protected override notState(k: string): boolean { return k === 'anneal'; }
  /** PyTorch's _schedule_phases: snake_case keys whose values name param-group keys (initial_lr, max_lr...). */
  protected override toPyTorchValue(k: string, v: unknown): unknown {
    if (k !== 'phases') return super.toPyTorchValue(k, v);
    return (v as Phase[]).map((p) => ({
      end_step: p.endStep, start_lr: pyName(p.startLr), end_lr: pyName(p.endLr), start_momentum: pyName(p.startMomentum), end_momentum: pyName(p.endMomentum),
    }));
  }
  protected override fromPyTorchValue(k: string, v: unknown): unknown {
    if (k !== 'phases') return super.fromPyTorchValue(k, v);
    return (v as Record<string, unknown>[]).map((p) => {
      const q = camelKeys(p);
      return { endStep: q.endStep, startLr: camelKey(q.startLr as string), endLr: camelKey(q.endLr as string), startMomentum: camelKey(q.startMomentum as string), endMomentum: camelKey(q.endMomentum as string) };
    });
  }
  private annealFn(start: number, end: number, pct: number): number {
    return this.anneal === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }
  protected getLr(): number[] {
    const n = this.lastEpoch;
    if (n > this.totalSteps) throw new RangeError(`OneCycleLR: Tried to step ${n + 1} times. The specified number of total steps is ${this.totalSteps}`);
    return this.groups.map((g) => {
      let start = 0, lr = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i]!;
        if (n <= ph.endStep || i === this.phases.length - 1) {
          const pct = (n - start) / (ph.endStep - start);
          lr = this.annealFn(g[ph.startLr] as number, g[ph.endLr] as number, pct);
          if (this.cycleMomentum) {
            const m = this.annealFn(g[ph.startMomentum] as number, g[ph.endMomentum] as number, pct);
            if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
            else g.momentum = m;
          }
          break;
        }
        start = ph.endStep;
      }
      return lr;
    });
  }
}

/** Runs schedulers one after another, switching at the milestones. */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: LRScheduler[];
  milestones: number[];
  constructor(optimizer: Optimizer, schedulers: LRScheduler[], milestones: number[], opts: { lastEpoch?: number } = {}) {
    // PyTorch (>= 2.0) refuses ReduceLROnPlateau here in these words; 1.13 failed later, obscurely.
    schedulers.forEach((s, i) => {
      if ((s as unknown) instanceof ReduceLROnPlateau) {
        throw new TypeError(`SequentialLR: Sequential Schedulers does not support \`ReduceLROnPlateau\` scheduler as it requires additional kwargs to be specified when calling \`step\`, but got one at index ${i} in the given schedulers sequence.`);
      }
    });
    super(optimizer, -1);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`);
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new RangeError(`SequentialLR: expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`);
    }
    this.schedulers = schedulers; this.milestones = milestones;
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    initialStepOf(schedulers[0]!);
    this.lastLr = schedulers[0]!.getLastLr();
  }
  protected getLr(): number[] { return this.groups.map((g) => g.lr); }
  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }
  /** PyTorch's state_dict: its own fields, and each child's state_dict under '_schedulers'. */
  override stateDict(): Record<string, unknown> {
    return { _milestones: [...this.milestones], last_epoch: this.lastEpoch, _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  /** Also accepts the camelCase layout earlier torchlet versions wrote ('lastEpoch', 'lastLr', 'schedulers'). */
  override loadStateDict(input: Record<string, unknown>): void {
    const sd = camelKeys(input);
    if (Array.isArray(sd.milestones)) this.milestones = [...(sd.milestones as number[])];
    this.lastEpoch = sd.lastEpoch as number;
    this.lastLr = [...(sd.lastLr as number[])];
    (sd.schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i]!.loadStateDict(s));
  }
}

/** Options for ReduceLROnPlateau (PyTorch's keywords in camelCase). */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): the metric should decrease; 'max': it should increase. */
  mode?: 'min' | 'max';
  /** Factor the lr is multiplied by on a plateau; must be < 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing the lr (default 10). */
  patience?: number;
  /** Minimal change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, per group or shared (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/** PyTorch's float(tensor) for ReduceLROnPlateau.step: one element, read synchronously. */
function metricValue(t: Tensor): number {
  if (t.numel() !== 1) throw new RangeError(`ReduceLROnPlateau.step: only one element tensors can be converted to Python scalars (the metric has shape [${t.shape.join(', ')}])`);
  if (!t.storage.backend.synchronous) {
    throw new TypeError(`ReduceLROnPlateau.step: the metric is a tensor on '${t.device}', which cannot be read synchronously; pass its value: scheduler.step(await loss.item())`);
  }
  return Number(t.itemSync());
}

/** Lowers lr by `factor` once the metric passed to step(metric) stops improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max'; readonly factor: number; readonly patience: number; readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs'; readonly cooldown: number; readonly minLrs: number[]; readonly eps: number;
  best: number; numBadEpochs = 0; cooldownCounter = 0; lastEpoch = 0;
  private lastLr: number[];
  constructor(readonly optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    this.factor = opts.factor ?? 0.1;
    if (this.factor >= 1) throw new RangeError('ReduceLROnPlateau: Factor should be < 1.0.');
    this.mode = opts.mode ?? 'min'; this.patience = opts.patience ?? 10; this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? 'rel'; this.cooldown = opts.cooldown ?? 0; this.eps = opts.eps ?? 1e-8;
    if (this.mode !== 'min' && this.mode !== 'max') throw new RangeError(`ReduceLROnPlateau: mode ${String(this.mode)} is unknown!`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new RangeError(`ReduceLROnPlateau: threshold mode ${String(this.thresholdMode)} is unknown!`);
    const n = optimizer.paramGroups.length;
    const m = opts.minLr ?? 0;
    if (Array.isArray(m) && m.length !== n) throw new RangeError(`ReduceLROnPlateau: expected ${n} min_lrs, got ${m.length}`);
    this.minLrs = Array.isArray(m) ? [...m] : Array.from({ length: n }, () => m);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }
  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }
  /**
   * Records the epoch's metric; after more than `patience` epochs without improvement (and outside
   * cooldown), multiplies each lr by factor, not below minLr. A one-element tensor is read as its
   * value, as PyTorch's float(metrics) (`scheduler.step(valLoss)`); on a device that reads
   * asynchronously pass `await valLoss.item()`.
   */
  step(metric: number | Tensor): void {
    if (isTensor(metric)) metric = metricValue(metric);
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) { this.best = metric; this.numBadEpochs = 0; } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) { this.cooldownCounter--; this.numBadEpochs = 0; }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** The current learning rates, one per param group (get_last_lr). */
  getLastLr(): number[] { return [...this.lastLr]; }
  /** PyTorch's state_dict: every field except the optimizer, under PyTorch 1.13's names and in its order. */
  stateDict(): Record<string, unknown> {
    return {
      factor: this.factor, min_lrs: [...this.minLrs], patience: this.patience, verbose: false, cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter, mode: this.mode, threshold: this.threshold, threshold_mode: this.thresholdMode,
      best: this.best, num_bad_epochs: this.numBadEpochs, mode_worse: this.mode === 'min' ? Infinity : -Infinity, eps: this.eps,
      last_epoch: this.lastEpoch, _last_lr: [...this.lastLr],
    };
  }
  /**
   * Takes what stateDict() gives, PyTorch's state_dict, or the camelCase layout earlier torchlet
   * versions wrote. Like PyTorch's __dict__.update it overwrites the hyperparameters too (mode and
   * threshold_mode are checked as the constructor checks them); mode_worse and verbose are derived or
   * unused here.
   */
  loadStateDict(input: Record<string, unknown>): void {
    const sd = camelKeys(input);
    const self = this as unknown as Record<string, unknown>;
    for (const k of ['factor', 'patience', 'threshold', 'cooldown', 'eps', 'best', 'numBadEpochs', 'cooldownCounter', 'lastEpoch']) {
      if (typeof sd[k] === 'number') self[k] = sd[k];
    }
    if (sd.mode !== undefined) {
      if (sd.mode !== 'min' && sd.mode !== 'max') throw new RangeError(`ReduceLROnPlateau.loadStateDict: mode ${String(sd.mode)} is unknown!`);
      self.mode = sd.mode;
    }
    if (sd.thresholdMode !== undefined) {
      if (sd.thresholdMode !== 'rel' && sd.thresholdMode !== 'abs') throw new RangeError(`ReduceLROnPlateau.loadStateDict: threshold mode ${String(sd.thresholdMode)} is unknown!`);
      self.thresholdMode = sd.thresholdMode;
    }
    if (Array.isArray(sd.minLrs)) self.minLrs = [...(sd.minLrs as number[])];
    if (Array.isArray(sd.lastLr)) this.lastLr = [...(sd.lastLr as number[])];
  }
}

/** lr = initialLr * factor until lastEpoch reaches totalIters, then initialLr. */
export class ConstantLR extends LRScheduler {
  readonly factor: number; readonly totalIters: number;
  constructor(optimizer: Optimizer, opts: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    const factor = opts.factor ?? 1 / 3;
    if (factor > 1 || factor < 0) throw new RangeError(`ConstantLR: Constant multiplicative factor expected to be between 0 and 1, got ${factor}`);
    super(optimizer, opts.lastEpoch);
    this.factor = factor; this.totalIters = opts.totalIters ?? 5;
    this.initialStep();
  }
  protected getLr(): number[] {
    const n = this.lastEpoch;
    if (n === 0) return this.groups.map((g) => g.lr * this.factor);
    if (n !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 / this.factor));
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 - this.factor : 0)));
  }
}

/** Each step multiplies lr by lrLambda(epoch) (one function or one per group). */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], opts: { lastEpoch?: number } = {}) {
    const n = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda) && lrLambda.length !== n) throw new RangeError(`MultiplicativeLR: Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
    super(optimizer, opts.lastEpoch);
    this.lambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array.from({ length: n }, () => lrLambda);
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lambdas[i]!(this.lastEpoch));
    return this.groups.map((g) => g.lr);
  }
}

/** lr = initialLr * (1 - min(epoch, totalIters) / totalIters) ** power. */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number; readonly power: number;
  constructor(optimizer: Optimizer, opts: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.totalIters = opts.totalIters ?? 5; this.power = opts.power ?? 1;
    this.initialStep();
  }
  protected getLr(): number[] {
    const { lastEpoch: n, totalIters: T } = this;
    if (n === 0 || n > T) return this.groups.map((g) => g.lr);
    const decay = ((1 - n / T) / (1 - (n - 1) / T)) ** this.power;
    return this.groups.map((g) => g.lr * decay);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/** Steps every scheduler (all on one optimizer) at each step(): their chainable rules compose. */
export class ChainedScheduler extends LRScheduler {
  private readonly schedulers: LRScheduler[];
  constructor(schedulers: LRScheduler[]) {
    if (schedulers.length === 0) throw new Error('ChainedScheduler: expects at least one scheduler');
    super(schedulers[0]!.optimizer, -1);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== schedulers[0]!.optimizer) throw new Error(`ChainedScheduler: expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`);
    });
    this.schedulers = [...schedulers];
    this.lastLr = this.groups.map((g) => g.lr);
  }
  protected getLr(): number[] { return this.groups.map((g) => g.lr); }
  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.groups.map((g) => g.lr);
  }
  /** PyTorch's state_dict: _last_lr, and each child's state_dict under '_schedulers'. */
  override stateDict(): Record<string, unknown> {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  /** Also accepts the camelCase layout earlier torchlet versions wrote ('lastLr', 'schedulers'). */
  override loadStateDict(input: Record<string, unknown>): void {
    const sd = camelKeys(input);
    if (Array.isArray(sd.lastLr)) this.lastLr = [...(sd.lastLr as number[])];
    (sd.schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i]!.loadStateDict(s));
  }
}

/** Options for CyclicLR (PyTorch's keywords in camelCase). */
export interface CyclicLROptions {
  /** Steps in the increasing half of a cycle (default 2000). */
  stepSizeUp?: number;
  /** Steps in the decreasing half of a cycle (default: stepSizeUp). */
  stepSizeDown?: number | null;
  /** Amplitude policy: 'triangular' (default), 'triangular2' (halved each cycle) or 'exp_range' (scaled by gamma^iterations). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** Base of the 'exp_range' scaling gamma^iterations (default 1). */
  gamma?: number;
  /** Custom scaling (0 <= scaleFn(x) <= 1); when given, `mode` is ignored. */
  scaleFn?: ((x: number) => number) | null;
  /** What scaleFn is evaluated on: the cycle number ('cycle', default) or the iteration count. */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum (or Adam's beta1) inversely to the lr between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  /** Lower momentum bound, per group or shared (default 0.8). */
  baseMomentum?: number | number[];
  /** Upper momentum bound, per group or shared (default 0.9). */
  maxMomentum?: number | number[];
  /** Index of the last step when resuming (default -1: start fresh). */
  lastEpoch?: number;
}

/**
 * Cyclical learning rates (Smith 2017) between baseLr and maxLr, stepped per batch. With
 * cycleMomentum, SGD's momentum (or, as PyTorch >= 2.1 does, Adam's beta1) cycles inversely.
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number; stepRatio: number;
  readonly mode: 'triangular' | 'triangular2' | 'exp_range';
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  baseMomentums: number[] = []; maxMomentums: number[] = [];
  readonly useBeta1: boolean;
  private readonly scaleFnCustom: ((x: number) => number) | null;
  constructor(optimizer: Optimizer, baseLr: number | number[], maxLr: number | number[], opts: CyclicLROptions = {}) {
    const n = optimizer.paramGroups.length;
    const perGroup = (name: string, v: number | number[]): number[] => {
      if (!Array.isArray(v)) return Array.from({ length: n }, () => v);
      if (v.length !== n) throw new RangeError(`CyclicLR: expected ${n} values for ${name}, got ${v.length}`);
      return [...v];
    };
    const lastEpoch = opts.lastEpoch ?? -1;
    const baseLrs = perGroup('baseLr', baseLr);
    if (lastEpoch === -1) optimizer.paramGroups.forEach((g, i) => { g.lr = baseLrs[i]!; });
    const mode = opts.mode ?? 'triangular';
    const scaleFn = opts.scaleFn ?? null;
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && !scaleFn) throw new RangeError(`CyclicLR: mode ${String(mode)} is invalid and scaleFn is null`);
    const cycle = opts.cycleMomentum ?? true;
    const defaults = optimizer.defaults as Record<string, unknown>;
    const useBeta1 = cycle && !('momentum' in defaults) && 'betas' in defaults;
    if (cycle && !('momentum' in defaults) && !useBeta1) throw new Error('CyclicLR: optimizer must support momentum or beta1 with `cycleMomentum` option enabled');
    const baseMs = cycle ? perGroup('baseMomentum', opts.baseMomentum ?? 0.8) : [];
    if (cycle && lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        if (useBeta1) g.betas = [baseMs[i]!, ...(g.betas as number[]).slice(1)];
        else g.momentum = baseMs[i]!;
      });
    }
    super(optimizer, lastEpoch);
    this.maxLrs = perGroup('maxLr', maxLr);
    const up = opts.stepSizeUp ?? 2000, down = opts.stepSizeDown ?? up;
    this.totalSize = up + down; this.stepRatio = up / this.totalSize;
    this.mode = mode; this.gamma = opts.gamma ?? 1;
    this.scaleFnCustom = scaleFn;
    this.scaleMode = scaleFn ? opts.scaleMode ?? 'cycle' : mode === 'exp_range' ? 'iterations' : 'cycle';
    this.cycleMomentum = cycle; this.useBeta1 = useBeta1;
    if (cycle) {
      this.baseMomentums = this.groups.map((g) => (useBeta1 ? (g.betas as number[])[0]! : g.momentum as number));
      this.maxMomentums = perGroup('maxMomentum', opts.maxMomentum ?? 0.9);
    }
    this.initialStep();
    this.baseLrs = baseLrs; // PyTorch's order: the initial step used initialLr, later steps use baseLr
  }
  /** PyTorch 1.13's CyclicLR cannot cycle beta1 and has no use_beta1 (2.1 added it): written only when true. */
  protected override notState(k: string, v: unknown): boolean { return k === 'useBeta1' && v === false; }
  /** The amplitude scale at x (cycle number or iteration): the custom scaleFn, else the mode's (1, 1/2^(cycle-1), or gamma^x). */
  scaleFn(x: number): number {
    if (this.scaleFnCustom) return this.scaleFnCustom(x);
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    if (this.mode === 'exp_range') return this.gamma ** x;
    return 1;
  }
  protected getLr(): number[] {
    const n = this.lastEpoch;
    const cycle = Math.floor(1 + n / this.totalSize);
    const x = 1 + n / this.totalSize - cycle;
    const scale = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scaleFn(this.scaleMode === 'cycle' ? cycle : n);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i]! - b) * scale * s);
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => {
        const m = this.maxMomentums[i]! - (this.maxMomentums[i]! - this.baseMomentums[i]!) * scale * s;
        if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
        else g.momentum = m;
      });
    }
    return lrs;
  }
}

hintSnakeCase(LRScheduler, ReduceLROnPlateau);
hintSnakeCaseFields(LRScheduler, ['lastEpoch', 'baseLrs']);
hintSnakeCaseFields(ReduceLROnPlateau, ['lastEpoch', 'numBadEpochs', 'cooldownCounter', 'minLrs', 'thresholdMode']);
