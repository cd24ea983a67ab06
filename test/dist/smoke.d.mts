// Types for smoke.mjs (kept as plain JS so browsers and Deno load it unchanged).
export interface SmokeResult {
  intDtype: string; floatDtype: string; loss: number;
  xGrad: number[]; wGrad: number[]; gemm: number[]; gemmGrad: number[]; softmax: number[];
  /** Printed by run-smoke.mjs (Node, Deno, Bun), not by the browser page. */
  threads?: ThreadsResult;
}
export declare const GEMM: { m: number; k: number; n: number };
export declare function gemmInputs(m: number, k: number, n: number): { a: number[]; b: number[] };
export declare function smoke(torch: unknown): Promise<SmokeResult>;
export interface ThreadsResult { same: boolean; info: { numThreads: number; workersReady: number; workerCalls: number; sharedMemory: boolean } }
export declare function threadsSmoke(torch: unknown): Promise<ThreadsResult>;
