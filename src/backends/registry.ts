// Which backend serves which device. The CPU backend is created on first use; the WebGPU and CUDA
// backends register themselves when `torch.init()` finds them. Tensors look their backend up here.

import type { Backend, Device } from './backend.js';
import { WasmBackend } from './wasm/index.js';

const backends = new Map<Device, Backend>();

export function registerBackend(b: Backend): void { backends.set(b.device, b); unavailable.delete(b.device); }

/** Why torch.init() found no backend for a device (the error of using it says so). */
const unavailable = new Map<Device, string>();
export function setUnavailable(d: Device, why: string): void { unavailable.set(d, why); }
export function unavailableReason(d: Device): string | null { return unavailable.get(d) ?? null; }

export function hasBackend(d: Device): boolean { return d === 'cpu' || backends.has(d); }

/**
 * A dispatch mode replaces every device's backend while it is active: graph capture
 * (src/compile/capture.ts) records kernel calls instead of running them. Ops see it through
 * getBackend; the mode reaches the device's own backend through realBackend.
 */
export interface DispatchMode {
  backendFor(d: Device, real: Backend): Backend;
  /**
   * False for a mode that only observes kernels and lets them run (the profiler, which wraps
   * whatever mode it found): isCapturing() then reports the mode beneath. Absent: a capture.
   */
  readonly capturing?: boolean;
}
let mode: DispatchMode | null = null;
/** Sets the active dispatch mode (null: none); returns the previous one. */
export function setDispatchMode(m: DispatchMode | null): DispatchMode | null { const p = mode; mode = m; return p; }
/** Whether a dispatch mode (a graph capture) is active. */
export function isCapturing(): boolean { return mode !== null && mode.capturing !== false; }

/** The backend ops use for device d: the dispatch mode's, when one is active. */
export function getBackend(d: Device): Backend {
  const b = realBackend(d);
  return mode === null ? b : mode.backendFor(d, b);
}

/**
 * The backend that runs already-recorded kernels (compiled programs) on device d: the device's own,
 * seen through the active mode only when that mode observes rather than captures (the profiler).
 */
export function execBackend(d: Device): Backend {
  const b = realBackend(d);
  return mode !== null && mode.capturing === false ? mode.backendFor(d, b) : b;
}

/** The device's own backend, whatever dispatch mode is active. */
export function realBackend(d: Device): Backend {
  let b = backends.get(d);
  if (!b) {
    if (d !== 'cpu') {
      // No CUDA backend is built yet (the addon is planned): say so rather than hint at init().
      if (d === 'cuda') throw new Error(`device 'cuda' is not available: this build of torchlet has no CUDA backend yet; use 'webgpu' for GPUs`);
      const why = unavailable.get(d);
      throw new Error(why ? `device '${d}' is not available: ${why}` : `device '${d}' is not available: call 'await torch.init()' first and check torch.${d}.isAvailable()`);
    }
    b = new WasmBackend();
    backends.set('cpu', b);
  }
  return b;
}

export function allBackends(): Backend[] { getBackend('cpu'); return [...backends.values()]; }

export function parseDevice(d: unknown, op = 'device'): Device {
  if (d === 'cpu' || d === 'webgpu' || d === 'cuda') return d;
  if (typeof d === 'string') {
    const base = d.split(':')[0];
    if ((base === 'cuda' || base === 'webgpu') && /^\w+:0$/.test(d)) return base;
  }
  throw new TypeError(`${op}: expected one of 'cpu', 'webgpu', 'cuda' but got ${String(d)}`);
}
