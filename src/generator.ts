// torch.Generator: an independent Philox-4x32-10 stream (its own seed and counter offset) for host-side
// sampling: samplers, randomSplit, DataLoader shuffling. Draws with no generator use the global
// stream of torch.manualSeed (src/state.ts), so seeding the process makes data order reproducible.
// The numbers differ from PyTorch's (a different generator algorithm); only the API matches.

import { philox4x32 } from './backends/philox.js';
import { nextRandom } from './state.js';

const TWO_32 = 4294967296;

/** A random number generator with its own seed and Philox stream, for the `generator` option of random ops (torch.Generator). */
class PhiloxGenerator {
  private seed_ = 67280421310721; // PyTorch's default seed for a new generator
  private offset_ = 0;
  /** `new torch.Generator()`; the device (an option, or PyTorch's positional string) is accepted for API parity: draws are host-side. */
  constructor(device: { device?: string } | string = {}) {
    const extra = typeof device === 'object' && device !== null ? Object.keys(device).filter((k) => k !== 'device') : [];
    if (extra.length || (typeof device !== 'string' && (typeof device !== 'object' || device === null))) {
      throw new TypeError(`Generator(): expected a device string or { device }, got ${extra.length ? `unknown option '${extra[0]}'` : String(device)}`);
    }
  }
  /** Sets the seed and restarts the stream; returns this. */
  manualSeed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) throw new RangeError(`Generator.manualSeed: seed must be a non-negative integer below 2^53, got ${seed}`);
    this.seed_ = seed;
    this.offset_ = 0;
    return this;
  }
  /** The seed the stream started from. */
  initialSeed(): number { return this.seed_; }
  /** Seeds from a non-deterministic source and returns the seed. */
  seed(): number { const s = Math.floor(Math.random() * TWO_32); this.manualSeed(s); return s; }
  /** The stream's position: its seed and how many counter blocks were drawn. */
  getState(): { seed: number; offset: number } { return { seed: this.seed_, offset: this.offset_ }; }
  /** Restores a position from getState(); returns this. */
  setState(s: { seed: number; offset: number }): this { this.seed_ = s.seed; this.offset_ = s.offset; return this; }
  /** @internal Reserves `blocks` counter blocks of this stream: [seed, first block]. */
  reserve(blocks: number): [number, number] {
    const off = this.offset_;
    this.offset_ += blocks;
    return [this.seed_, off];
  }
}

/** torch.Generator's constructor, which PyTorch code also calls without `new` (`torch.Generator().manualSeed(42)`). */
export interface GeneratorConstructor {
  new (device?: { device?: string } | string): PhiloxGenerator;
  (device?: { device?: string } | string): PhiloxGenerator;
  readonly prototype: PhiloxGenerator;
}
/** A torch.Generator instance. */
export type Generator = PhiloxGenerator;
/** torch.Generator: `new torch.Generator()` or, as in PyTorch, `torch.Generator()`; `instanceof` works either way. */
export const Generator = function Generator(device?: { device?: string } | string): PhiloxGenerator {
  return new PhiloxGenerator(device);
} as unknown as GeneratorConstructor;
(Generator as unknown as { prototype: PhiloxGenerator }).prototype = PhiloxGenerator.prototype;

/** n uniform doubles in [0, 1) with 53 random bits each, from `gen` or the global stream. */
export function uniformDoubles(n: number, gen?: Generator | null): Float64Array {
  const blocks = Math.ceil(n / 2);
  const [seed, off] = gen ? gen.reserve(blocks) : nextRandom(blocks);
  const out = new Float64Array(n);
  const w = new Uint32Array(4);
  const keyLo = seed >>> 0, keyHi = Math.floor(seed / TWO_32) >>> 0;
  for (let b = 0; b < blocks; b++) {
    const ctr = off + b;
    philox4x32(ctr >>> 0, Math.floor(ctr / TWO_32), keyLo, keyHi, w);
    for (let j = 0; j < 2 && 2 * b + j < n; j++) {
      // 26 high bits + 27 bits -> a 53-bit fraction.
      out[2 * b + j] = ((w[2 * j]! >>> 6) * 134217728 + (w[2 * j + 1]! >>> 5)) / 9007199254740992;
    }
  }
  return out;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function randpermHost(n: number, gen?: Generator | null): number[] {
  const u = uniformDoubles(Math.max(n - 1, 0), gen);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[n - 1 - i]! * (i + 1));
    const t = p[i]!; p[i] = p[j]!; p[j] = t;
  }
  return p;
}

/** n integers uniform in [0, high). */
export function randintHost(high: number, n: number, gen?: Generator | null): number[] {
  return Array.from(uniformDoubles(n, gen), (u) => Math.floor(u * high));
}
