// Virtual buffers: what the capture backend (src/compile/capture.ts) hands out instead of memory.
// A tensor made while a function is captured has a VBuf as its storage's buffer; kernels on it are
// recorded, not run. No imports: memory.ts links a Storage to its VBuf (materialisation patches it).

import type { BufferHandle, Device } from '../backends/backend.js';

/** Where a virtual buffer's data comes from. */
export type VBufKind =
  /** made by a recorded kernel (or a host write) inside the graph */
  | 'temp'
  /** a placeholder for an argument of the captured function */
  | 'input'
  /** a real buffer the function reached without it being an argument (parameters, closures) */
  | 'extern';

let nextId = 0;

/** A buffer of the captured graph; `real` is the device buffer once there is one. */
export class VBuf implements BufferHandle {
  readonly id = nextId++;
  /** The Storage that owns it (set by memory.ts), so materialisation can swap in the real buffer. */
  storage: { buf: BufferHandle; backend: unknown } | null = null;
  constructor(readonly nbytes: number, readonly device: Device, readonly kind: VBufKind, public real: BufferHandle | null = null) {}
  /** Whether it has device memory: an argument, an extern, or a result already computed (lazy mode). */
  get hasMemory(): boolean { return this.kind !== 'temp' || this.real !== null; }
}
