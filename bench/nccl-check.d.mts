// Types of bench/nccl-check.mjs (plain JavaScript so it runs without a TypeScript loader on the GPU
// machine), for test/distributed/nccl-*.test.ts.
import type * as Torch from '../src/index.js';

/** One check's outcome; detail says what differed (or the error) when it failed. */
export interface Check { name: string; ok: boolean; detail?: string }
/** Every NCCL check in this process: joins a world of one unless a process group exists. */
export function ncclChecks(torch: typeof Torch): Promise<Check[]>;
