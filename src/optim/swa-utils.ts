// torch.optim.swaUtils (PyTorch's torch.optim.swa_utils): AveragedModel keeps a running average of a
// model's parameters (SWA, or EMA with a custom avgFn), SWALR anneals each group's lr towards a
// fixed SWA lr, and updateBn recomputes BatchNorm running statistics for the averaged weights in one
// pass over the data. Formulas, state_dict keys (n_averaged, module.<...>) and the lr sequence are
// PyTorch 1.13's. Public calls are checked by its generated facade (src/generated/api/optim-swa-utils.ts).

import { Module, runModule } from '../nn/module.js';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from '../nn/modules/normalization.js';
import { isTensor, type Tensor } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { tidyImpl } from '../memory.js';
import { tensor } from '../ops/creation.js';
import { hintSnakeCase } from '../snake-case.js';
import { LRScheduler } from './lr-scheduler.js';
import type { Optimizer } from './optimizer.js';
import type { Device } from '../backends/backend.js';

/**
 * avgFn(averagedParam, modelParam, numAveraged) -> the new average. `numAveraged` is the
 * n_averaged buffer (a 0-d int tensor on the averaged model's device), as in PyTorch.
 */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: Tensor) => Tensor;

/** Options for AveragedModel (PyTorch's keywords in camelCase). */
export interface AveragedModelOptions {
  /** Device the copy (and n_averaged) is moved to (default: where the model is). */
  device?: string | null;
  /** The averaging rule (default: the equal-weight running mean of SWA). */
  avgFn?: AvgFn | null;
  /** Average the buffers too (BatchNorm statistics), not only the parameters (default false). */
  useBuffers?: boolean;
}

/**
 * A module holding a deep copy of `model` whose parameters are the running average of the ones
 * updateParameters(model) is given (torch.optim.swa_utils.AveragedModel). forward runs the copy;
 * stateDict() is `{ n_averaged, 'module.<key>': ... }` as PyTorch's.
 */
export class AveragedModel<M extends Module = Module> extends Module {
  /** The averaged copy of the model. */
  module: M;
  /** PyTorch's n_averaged buffer: how many models have been averaged (int32 here). */
  n_averaged: Tensor;
  /** The averaging rule, null for the default running mean. */
  avgFn: AvgFn | null;
  /** Whether buffers are averaged too. */
  useBuffers: boolean;
  /**
   * Host copy of the count, for devices whose n_averaged cannot be read synchronously (a plain
   * field: Module.deepcopy does not rerun constructors, so # fields would be missing on a copy).
   */
  private countCache = 0;

  constructor(model: M, opts: AveragedModelOptions = {}) {
    super();
    if (!(model instanceof Module)) throw new TypeError(`AveragedModel: model must be an nn.Module, got ${describe(model)}`);
    let copy = Module.deepcopy(model);
    if (opts.device !== undefined && opts.device !== null) copy = copy.to(opts.device);
    this.module = copy;
    const device = opts.device ?? firstDevice(copy);
    this.n_averaged = tensor(0, { dtype: 'int32', device });
    this.registerBuffer('n_averaged', this.n_averaged);
    this.avgFn = opts.avgFn ?? null;
    this.useBuffers = opts.useBuffers ?? false;
  }

  /** The n_averaged buffer (PyTorch's name is n_averaged). */
  get nAveraged(): Tensor { return this.n_averaged; }

  /** Runs the averaged copy (PyTorch: self.module(*args, **kwargs)). */
  forward(...args: unknown[]): unknown { return runModule(this.module, ...args); }

  /**
   * Folds `model`'s current parameters (and buffers with useBuffers) into the average: the first
   * call copies them, later ones apply avgFn (default avg + (p - avg) / (n + 1)); then n_averaged += 1.
   */
  updateParameters(model: Module): void {
    if (!(model instanceof Module)) throw new TypeError(`AveragedModel.updateParameters: model must be an nn.Module, got ${describe(model)}`);
    const mine: Tensor[] = this.useBuffers ? [...this.module.parameters(), ...this.module.buffers()] : this.parameters();
    const theirs: Tensor[] = this.useBuffers ? [...model.parameters(), ...model.buffers()] : model.parameters();
    const n = this.count();
    noGrad(() => {
      // PyTorch zips the two lists: extra entries on either side are ignored.
      for (let i = 0; i < Math.min(mine.length, theirs.length); i++) {
        const avg = mine[i]!, cur = theirs[i]!;
        tidyImpl(() => {
          const p = cur.detach().to(avg.device);
          if (n === 0) { avg.copy_(p); return; }
          const next = this.avgFn
            ? this.avgFn(avg.detach(), p, this.n_averaged.to(avg.device))
            : avg.detach().add(p.sub(avg.detach()).div(n + 1));
          if (!isTensor(next)) throw new TypeError(`AveragedModel.updateParameters: avgFn must return a Tensor, got ${describe(next)}`);
          avg.copy_(next);
        }, isTensor);
      }
      this.n_averaged.add_(1);
    });
    this.countCache = n + 1;
  }

  /** n_averaged as a number: read from the buffer where that is synchronous (a loaded state dict changes it). */
  private count(): number {
    const t = this.n_averaged;
    if (t.storage.backend.synchronous) this.countCache = Number(t.itemSync());
    return this.countCache;
  }
}

function firstDevice(m: Module): string {
  const t = m.parameters()[0] ?? m.buffers()[0];
  return t ? t.device : 'cpu';
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Options for SWALR (PyTorch's keywords in camelCase). */
export interface SWALROptions {
  /** Epochs over which the lr moves from its value to swaLr (default 10; 0: switch at once). */
  annealEpochs?: number;
  /** Shape of the annealing: 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Index of the last epoch when resuming (default -1: start fresh). */
  lastEpoch?: number;
}

/**
 * Anneals each group's lr to swaLr over annealEpochs epochs, then holds it
 * (torch.optim.swa_utils.SWALR); swaLr is stored in each param group as `swaLr` (swa_lr).
 */
export class SWALR extends LRScheduler {
  readonly annealEpochs: number;
  /** Which of PyTorch's anneal functions (its anneal_func, a method: code, not state). */
  readonly annealStrategy: 'cos' | 'linear';
  constructor(optimizer: Optimizer, swaLr: number | number[], opts: SWALROptions = {}) {
    const groups = optimizer.paramGroups;
    let lrs: number[];
    if (Array.isArray(swaLr)) {
      if (swaLr.length !== groups.length) {
        throw new RangeError(`SWALR: swa_lr must have the same length as optimizer.param_groups: swa_lr has ${swaLr.length}, optimizer.param_groups has ${groups.length}`);
      }
      lrs = [...swaLr];
    } else lrs = groups.map(() => swaLr);
    groups.forEach((g, i) => { g.swaLr = lrs[i]!; });
    const strategy = opts.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') throw new RangeError(`SWALR: anneal_strategy must by one of 'cos' or 'linear', instead got ${String(strategy)}`);
    const annealEpochs = opts.annealEpochs ?? 10;
    if (!Number.isInteger(annealEpochs) || annealEpochs < 0) throw new RangeError(`SWALR: anneal_epochs must be equal or greater than 0, got ${annealEpochs}`);
    super(optimizer, opts.lastEpoch ?? -1);
    this.annealEpochs = annealEpochs;
    this.annealStrategy = strategy;
    this.initialStep();
  }
  protected override notState(k: string): boolean { return k === 'annealStrategy'; }
  private annealFunc(t: number): number { return this.annealStrategy === 'cos' ? (1 - Math.cos(Math.PI * t)) / 2 : t; }
  /** PyTorch's _get_initial_lr: the lr the previous step annealed from, recovered from the current one. */
  private static initialLr(lr: number, swaLr: number, alpha: number): number {
    return alpha === 1 ? swaLr : (lr - alpha * swaLr) / (1 - alpha);
  }
  protected getLr(): number[] {
    let step = this.stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const prevT = Math.max(0, Math.min(1, (step - 1) / Math.max(1, this.annealEpochs)));
    const prevAlpha = this.annealFunc(prevT);
    const t = Math.max(0, Math.min(1, step / Math.max(1, this.annealEpochs)));
    const alpha = this.annealFunc(t);
    return this.groups.map((g) => {
      const swa = g.swaLr as number;
      const prev = SWALR.initialLr(g.lr, swa, prevAlpha);
      return swa * alpha + prev * (1 - alpha);
    });
  }
}

/** Options for updateBn. */
export interface UpdateBnOptions {
  /** Device each input is moved to before the forward pass (default: left where it is). */
  device?: string | null;
}

function isBatchNorm(m: Module): m is BatchNorm1d {
  return m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d;
}

/**
 * Recomputes the running statistics of every BatchNorm of `model` with one pass over `loader`
 * (torch.optim.swa_utils.update_bn): the statistics are reset, momentum is set to null (a
 * cumulative average) for the pass and restored afterwards, and the training mode is restored. A
 * batch that is an array (a [input, target] pair) contributes its first element. A loader that is
 * only async-iterable (a dataset with an async getItem) makes updateBn return a Promise.
 */
export function updateBn(loader: Iterable<unknown> | AsyncIterable<unknown>, model: Module, opts: UpdateBnOptions = {}): void | Promise<void> {
  if (!(model instanceof Module)) throw new TypeError(`update_bn: model must be an nn.Module, got ${describe(model)}`);
  const momenta = new Map<BatchNorm1d, number | null>();
  for (const m of model.modules()) {
    if (!isBatchNorm(m) || !m.running_mean || !m.running_var) continue;
    noGrad(() => { m.running_mean!.zero_(); m.running_var!.fill_(1); });
    momenta.set(m, m.momentum);
  }
  if (momenta.size === 0) return;
  const wasTraining = model.training;
  model.train();
  for (const m of momenta.keys()) {
    (m as { momentum: number | null }).momentum = null;
    noGrad(() => m.num_batches_tracked?.zero_());
  }
  const run = (batch: unknown): void => {
    let input = Array.isArray(batch) ? batch[0] : batch;
    if (opts.device !== undefined && opts.device !== null && isTensor(input)) input = input.to(opts.device as Device);
    noGrad(() => runModule(model, input));
  };
  const restore = (): void => {
    for (const [m, mom] of momenta) (m as { momentum: number | null }).momentum = mom;
    model.train(wasTraining);
  };
  const l = loader as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  if (typeof l?.[Symbol.iterator] !== 'function') {
    if (typeof l?.[Symbol.asyncIterator] !== 'function') {
      restore();
      throw new TypeError(`update_bn: loader must be iterable (a DataLoader, an array of batches...), got ${describe(loader)}`);
    }
    return (async () => {
      try { for await (const b of l as AsyncIterable<unknown>) run(b); } finally { restore(); }
    })();
  }
  try { for (const b of l as Iterable<unknown>) run(b); } finally { restore(); }
}

hintSnakeCase(AveragedModel, SWALR);
