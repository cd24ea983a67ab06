// Types of bench/webgpu.mjs (plain JavaScript so it runs without a TypeScript loader on the GPU
// machine), for bench/run.ts.
import type * as Torch from '../src/index.js';

export interface WebGPUBenchOptions { sizes: number[]; steps: number; chain: number; json: boolean }
export interface WebGPUBenchResult {
  adapter: string;
  timestampQuery: boolean;
  overhead: { addEnqueueUs?: number; addThroughputUs?: number; addReadRoundTripUs?: number; chainOps?: number; chainMs?: number; chainPerOpUs?: number };
  matmul: { n: number; wallMs: number; kernelMs: number | null; gflopsKernel: number | null; gflopsWall: number }[];
  train: { batch: number; wallMs: number; kernelMs: number | null; kernels: number } | null;
}
export function parseArgs(argv: string[]): WebGPUBenchOptions;
export function benchWebGPU(torch: typeof Torch, opts: WebGPUBenchOptions): Promise<WebGPUBenchResult>;
