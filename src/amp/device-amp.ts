// torch.cuda.amp and torch.cpu.amp: PyTorch 1.13's per-device spellings of autocast and GradScaler,
// the device type fixed (torch.autocast and torch.amp.GradScaler do the work).

import { autocast as autocastAny, type AutocastRegionOptions, type AutocastGuard as Guard } from './autocast.js';
// The strict facade's class, so the options are checked (unknown keys refused) as torch.amp.GradScaler's.
import { GradScaler as Scaler } from '../generated/api/amp.js';
import type { GradScalerOptions } from './grad-scaler.js';

/** torch.cuda.amp / torch.cpu.amp (PyTorch 1.13's spellings): autocast and GradScaler with the device type fixed. */
export interface DeviceAmp {
  /** torch.<device>.amp.autocast(opts?, fn?): torch.autocast(device, opts, fn). */
  autocast<T>(opts: AutocastRegionOptions, fn: () => T): T;
  autocast<T>(fn: () => T): T;
  autocast(opts?: AutocastRegionOptions): Guard;
  /** torch.<device>.amp.GradScaler(opts): torch.amp.GradScaler(device, opts). */
  GradScaler: new (opts?: GradScalerOptions) => Scaler;
}

/** The amp namespace of one device type (torch.cuda.amp, torch.cpu.amp). */
export function deviceAmp(device: 'cuda' | 'cpu'): DeviceAmp {
  function autocast(first?: AutocastRegionOptions | (() => unknown), fn?: () => unknown): unknown {
    if (typeof first === 'function') return autocastAny(device, first);
    return fn ? autocastAny(device, first ?? {}, fn) : autocastAny(device, first ?? {});
  }
  class DeviceGradScaler extends Scaler {
    constructor(opts: GradScalerOptions = {}) { super(device, opts); }
  }
  return { autocast: autocast as DeviceAmp['autocast'], GradScaler: DeviceGradScaler };
}
