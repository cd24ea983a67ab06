// torch.amp.GradScaler: loss scaling for float16 training, PyTorch's rules (torch/cuda/amp/grad_scaler.py
// and its _amp_update_scale_ kernel). The scale and the growth tracker are device tensors; unscaling,
// the inf/NaN check and the scale update run on the device, and step() reads one flag per optimizer
// (the only host read: it decides whether optimizer.step runs). Stages per optimizer since the last
// update(): ready -> unscaled -> stepped, with PyTorch's errors for calls out of order.

import type { Device, DeviceType } from '../backends/backend.js';
import { checkDeviceType } from './autocast.js';
import { Tensor, isTensor, gradsInternally } from '../tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { keep, tidyImpl } from '../memory.js';
import { full } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import type { Optimizer } from '../optim/optimizer.js';

/** Options of GradScaler (PyTorch's keywords in camelCase). */
export interface GradScalerOptions {
  /** The first scale factor. Default 2**16. */
  initScale?: number;
  /** The factor the scale grows by after growthInterval steps without inf/NaN gradients. Default 2. */
  growthFactor?: number;
  /** The factor the scale shrinks by when a step finds inf/NaN gradients. Default 0.5. */
  backoffFactor?: number;
  /** Consecutive good steps before the scale grows. Default 2000. */
  growthInterval?: number;
  /** false: every method is a pass-through (scale returns its input, step calls optimizer.step). Default true. */
  enabled?: boolean;
}

/** GradScaler.stateDict(): PyTorch's keys, so a checkpoint moves both ways (empty when disabled). */
export interface GradScalerStateDict {
  /** The current scale. */
  scale?: number;
  /** The growth factor. */
  growth_factor?: number;
  /** The backoff factor. */
  backoff_factor?: number;
  /** The growth interval. */
  growth_interval?: number;
  /** Consecutive good steps counted towards the next growth. */
  _growth_tracker?: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';
interface OptState { stage: Stage; foundInf: Map<Device, Tensor> }

/** A nesting of tensors (what scale() accepts and returns): a tensor or arrays of them. */
export type ScaleOutputs = Tensor | readonly ScaleOutputs[];

const FIX = 'This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.';

/** Dynamic loss scaling for mixed-precision training (torch.amp.GradScaler / torch.cuda.amp.GradScaler). */
export class GradScaler {
  #enabled: boolean;
  #initScale: number;
  #growthFactor: number;
  #backoffFactor: number;
  #growthInterval: number;
  #initGrowthTracker = 0;
  #scale: Tensor | null = null; // float32 [1] on the device of the first scaled output
  #growthTracker: Tensor | null = null; // int32 [1]
  #perOptimizer = new Map<Optimizer, OptState>();
  #pending: Device | null = null; // the device of a step() still waiting for its found-inf read

  /**
   * Makes a scaler; see GradScalerOptions for the defaults (PyTorch's). PyTorch's torch.amp.GradScaler
   * takes the device first (`GradScaler('cuda', { initScale })`); it is checked and otherwise unused:
   * the scale lives on the device of the first output scaled.
   */
  constructor(deviceOrOpts: DeviceType | Device | GradScalerOptions = {}, options?: GradScalerOptions) {
    if (typeof deviceOrOpts === 'string') checkDeviceType('GradScaler', deviceOrOpts);
    else if (options !== undefined) throw new TypeError('GradScaler: expected (device?, options?), got an options object followed by more arguments');
    const opts = typeof deviceOrOpts === 'string' ? options ?? {} : deviceOrOpts;
    this.#enabled = opts.enabled ?? true;
    this.#initScale = opts.initScale ?? 2 ** 16;
    this.#growthFactor = opts.growthFactor ?? 2;
    this.#backoffFactor = opts.backoffFactor ?? 0.5;
    this.#growthInterval = opts.growthInterval ?? 2000;
    if (this.#enabled) {
      if (!(this.#growthFactor > 1)) throw new RangeError(`GradScaler: the growth factor must be > 1, got ${this.#growthFactor}`);
      if (!(this.#backoffFactor < 1)) throw new RangeError(`GradScaler: the backoff factor must be < 1, got ${this.#backoffFactor}`);
      if (!(Number.isInteger(this.#growthInterval) && this.#growthInterval > 0)) {
        throw new RangeError(`GradScaler: the growth interval must be a positive integer, got ${this.#growthInterval}`);
      }
    }
  }

  #state(opt: Optimizer): OptState {
    let s = this.#perOptimizer.get(opt);
    if (!s) { s = { stage: 'ready', foundInf: new Map() }; this.#perOptimizer.set(opt, s); }
    return s;
  }

  #lazyInit(device: Device): void {
    this.#scale = keep(full([1], this.#initScale, { dtype: 'float32', device }));
    this.#growthTracker = keep(full([1], this.#initGrowthTracker, { dtype: 'int32', device }));
  }

  #check(funcname: string): [Tensor, Tensor] {
    if (this.#scale === null || this.#growthTracker === null) throw new Error(`Attempted ${funcname} but _scale is None.  ${FIX}`);
    return [this.#scale, this.#growthTracker];
  }

  /** Multiplies outputs (a tensor, or arrays of tensors) by the scale factor; returns them unchanged when disabled. */
  scale<T extends ScaleOutputs>(outputs: T): T {
    if (!this.#enabled) return outputs;
    const one = (t: Tensor): Tensor => {
      if (!isTensor(t)) throw new TypeError(`GradScaler.scale: outputs must be a Tensor or an array of Tensors, got ${typeof t}`);
      if (this.#scale === null) this.#lazyInit(t.device);
      return t.mul(this.#scale!.to(t.device));
    };
    const walk = (o: ScaleOutputs): ScaleOutputs => (Array.isArray(o) ? (o as readonly ScaleOutputs[]).map(walk) : one(o as Tensor));
    return walk(outputs) as T;
  }

  /**
   * Divides the optimizer's gradients by the scale, in place, and records on the device whether any
   * was inf or NaN (PyTorch's unscale_; a trailing underscore is not needed for a method name here).
   */
  unscale(optimizer: Optimizer): void {
    if (!this.#enabled) return;
    const [scale] = this.#check('unscale_');
    this.#notPending('unscale_');
    const st = this.#state(optimizer);
    if (st.stage === 'unscaled') throw new Error('unscale_() has already been called on this optimizer since the last update().');
    if (st.stage === 'stepped') throw new Error('unscale_() is being called after step().');
    // PyTorch: inv_scale = scale.double().reciprocal().float(); the scale is a power of two times
    // initScale, so the float32 reciprocal is the same number wherever initScale is a power of two.
    noGrad(() => {
      const invByDevice = new Map<Device, Tensor>();
      for (const group of optimizer.paramGroups) {
        for (const p of group.params) {
          const g = gradsInternally(() => p.grad);
          if (!g) continue;
          if (g.dtype === 'float16') throw new Error('Attempting to unscale FP16 gradients.');
          const d = g.device;
          let inv = invByDevice.get(d);
          if (!inv) { inv = keep(scale.to(d).reciprocal()); invByDevice.set(d, inv); }
          // found_inf (float32 [1]) becomes 1 when this gradient has an inf or NaN.
          const prev = st.foundInf.get(d);
          const next = tidyImpl(() => {
            const flag = g.isfinite().all().logicalNot().to('float32').reshape(1);
            return keep(prev ? prev.maximum(flag) : flag);
          }, isTensor);
          prev?.dispose();
          st.foundInf.set(d, next);
          tidyImpl(() => { g.mul_(inv!); }, isTensor);
        }
      }
      for (const inv of invByDevice.values()) inv.dispose();
    });
    st.stage = 'unscaled';
  }

  /** PyTorch's name of unscale() (in place on the gradients, hence the underscore). */
  unscale_(optimizer: Optimizer): void { this.unscale(optimizer); }

  /**
   * Unscales the gradients (unless unscale() already did) and runs optimizer.step(...args) only when
   * none was inf or NaN; resolves to optimizer.step's result, or undefined for a skipped step. Disabled:
   * just optimizer.step(...args). One host read per call (the found-inf flag). On the CPU that read,
   * and the step, happen before step() returns, so PyTorch code that does not await it runs as in
   * PyTorch; on an asynchronous device (WebGPU, CUDA) the step waits for the read, and update() or a
   * new step() before it settled is an error that says to await it.
   */
  step(optimizer: Optimizer, ...args: unknown[]): Promise<unknown> {
    try {
      const run = () => (optimizer.step as (...a: unknown[]) => unknown).apply(optimizer, args);
      if (!this.#enabled) return Promise.resolve(run());
      if (typeof args[0] === 'function') throw new Error('Closure use is not currently supported if GradScaler is enabled.');
      this.#check('step');
      const st = this.#state(optimizer);
      this.#notPending('step');
      if (st.stage === 'stepped') throw new Error('step() has already been called since the last update().');
      if (st.stage === 'ready') this.unscale(optimizer);
      if (st.foundInf.size === 0) throw new Error('No inf checks were recorded for this optimizer.');
      const flags = [...st.foundInf.values()];
      st.stage = 'stepped';
      if (flags.every((f) => f.readsNow)) {
        const found = flags.reduce((n, f) => n + Number(f.itemSync()), 0);
        return Promise.resolve(found === 0 ? run() : undefined);
      }
      this.#pending = flags[0]!.device;
      return (async () => {
        let found = 0;
        try {
          for (const f of flags) found += Number(await f.item());
        } finally { this.#pending = null; }
        return found === 0 ? await run() : undefined;
      })();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** An asynchronous device's step() whose found-inf read has not settled makes the next scaler call an error, never a step run late. */
  #notPending(funcname: string): void {
    if (this.#pending !== null) {
      throw new Error(`GradScaler.${funcname}() was called before the previous step() finished: on '${this.#pending}' step() reads the found-inf flag asynchronously, so write 'await scaler.step(optimizer)'`);
    }
  }

  /**
   * Updates the scale for the next iteration: times backoffFactor if this iteration's steps found
   * inf/NaN gradients, times growthFactor after growthInterval good steps in a row; or sets it to
   * newScale (a number, or a 1-element float32 tensor that does not require grad). On the device, no read.
   */
  update(newScale?: number | Tensor): void {
    if (!this.#enabled) return;
    this.#notPending('update');
    const [scale, tracker] = this.#check('update');
    noGrad(() => tidyImpl(() => {
      if (newScale !== undefined) {
        if (typeof newScale === 'number') { scale.fill_(newScale); return; }
        const reason = 'new_scale should be a float or a 1-element torch.FloatTensor with requires_grad=False.';
        if (!isTensor(newScale) || newScale.dtype !== 'float32' || newScale.numel() !== 1 || newScale.requiresGrad) throw new TypeError(reason);
        scale.copy_(newScale.reshape(1).to(scale.device));
        return;
      }
      const founds = [...this.#perOptimizer.values()].flatMap((s) => [...s.foundInf.values()]);
      if (founds.length === 0) throw new Error('No inf checks were recorded prior to update.');
      let found = founds[0]!.to(scale.device);
      for (const f of founds.slice(1)) found = found.add(f.to(scale.device));
      // _amp_update_scale_: backoff on inf; else count a good step and grow (if finite) at the interval.
      const bad = found.gt(0);
      const successful = tracker.add(1);
      const grow = successful.eq(this.#growthInterval);
      const grown = scale.mul(this.#growthFactor);
      const next = where(bad, scale.mul(this.#backoffFactor), where(grow.logicalAnd(grown.isfinite()), grown, scale));
      const nextTracker = where(bad.logicalOr(grow), 0, successful).to('int32');
      scale.copy_(next);
      tracker.copy_(nextTracker);
    }, isTensor));
    for (const s of this.#perOptimizer.values()) for (const f of s.foundInf.values()) f.dispose();
    this.#perOptimizer = new Map();
  }

  /** The current scale as a number (reads the device); initScale before the first scale(); 1 when disabled. */
  async getScale(): Promise<number> {
    if (!this.#enabled) return 1;
    return this.#scale === null ? this.#initScale : Number(await this.#scale.item());
  }
  /** The growth factor. */
  getGrowthFactor(): number { return this.#growthFactor; }
  /** Sets the growth factor. */
  setGrowthFactor(newFactor: number): void { this.#growthFactor = newFactor; }
  /** The backoff factor. */
  getBackoffFactor(): number { return this.#backoffFactor; }
  /** Sets the backoff factor. */
  setBackoffFactor(newFactor: number): void { this.#backoffFactor = newFactor; }
  /** The growth interval. */
  getGrowthInterval(): number { return this.#growthInterval; }
  /** Sets the growth interval. */
  setGrowthInterval(newInterval: number): void { this.#growthInterval = newInterval; }
  /** Whether the scaler is enabled. */
  isEnabled(): boolean { return this.#enabled; }

  async #growthTrackerValue(): Promise<number> {
    return this.#growthTracker === null ? this.#initGrowthTracker : Number(await this.#growthTracker.item());
  }

  /** The scaler's state with PyTorch's keys (reads the device; empty when disabled). */
  async stateDict(): Promise<GradScalerStateDict> {
    if (!this.#enabled) return {};
    return {
      scale: await this.getScale(), growth_factor: this.#growthFactor, backoff_factor: this.#backoffFactor,
      growth_interval: this.#growthInterval, _growth_tracker: await this.#growthTrackerValue(),
    };
  }

  /** Loads a state from stateDict() (or PyTorch's GradScaler.state_dict()). */
  loadStateDict(stateDict: GradScalerStateDict): void {
    if (!this.#enabled) return;
    if (Object.keys(stateDict).length === 0) {
      throw new Error('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');
    }
    const need = (k: keyof GradScalerStateDict): number => {
      const v = stateDict[k];
      if (typeof v !== 'number') throw new TypeError(`GradScaler.loadStateDict: expected a number for '${k}', got ${typeof v}`);
      return v;
    };
    this.#initScale = need('scale');
    this.#growthFactor = need('growth_factor');
    this.#backoffFactor = need('backoff_factor');
    this.#growthInterval = need('growth_interval');
    this.#initGrowthTracker = need('_growth_tracker');
    if (this.#scale !== null) this.#scale.fill_(this.#initScale);
    if (this.#growthTracker !== null) this.#growthTracker.fill_(this.#initGrowthTracker);
  }
}
