// Types of bench/webgpu.mjs (plain JavaScript so it runs without a TypeScript loader on the GPU
// machine), for bench/run.ts.
import type * as Torch from '../src/index.js';

export interface WebGPUBenchOptions {
  sizes: number[]; steps: number; chain: number; json: boolean;
  /** Matmul dtypes timed (default float32 only); kernel: TORCHLET_WEBGPU_MATMUL (auto|subgroup|tiled); verify: sampled rows vs the CPU. */
  dtypes: string[]; kernel: string; verify: boolean; tuning: string;
}
export interface WebGPUBenchResult {
  adapter: string;
  timestampQuery: boolean;
  /** Whether the adapter has subgroup matrices (tensor cores), and the --kernel asked for. */
  subgroupMatrix: boolean; kernel: string; tuning: string;
  overhead: { addEnqueueUs?: number; addThroughputUs?: number; addReadRoundTripUs?: number; chainOps?: number; chainMs?: number; chainPerOpUs?: number };
  matmul: { n: number; dtype: string; maxRelErr: number | null; wallMs: number; kernelMs: number | null; gflopsKernel: number | null; gflopsWall: number }[];
  train: { batch: number; wallMs: number; kernelMs: number | null; kernels: number } | null;
}
export function parseArgs(argv: string[]): WebGPUBenchOptions;
export function benchWebGPU(torch: typeof Torch, opts: WebGPUBenchOptions): Promise<WebGPUBenchResult>;
/** The CNN of examples/train-fashion-mnist.ts. */
export function makeNet(torch: typeof Torch): InstanceType<typeof Torch.nn.Module>;
