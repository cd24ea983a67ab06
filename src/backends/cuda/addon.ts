// Loads the native CUDA addon (Node only): native-cuda/build/torchlet_cuda.node and its
// kernels.fatbin, or the emulated build torchlet_cuda_emu.node when TORCHLET_CUDA_EMULATE=1. Never
// throws: resolves to the addon and what its init() found, or to the reason CUDA is unavailable.
// Node modules are imported lazily behind a runtime check, so browser bundles never name them.

/** The addon's exports (native-cuda/ABI.md). Addresses are JS numbers (< 2^53). */
export interface CudaAddon {
  init(o: { fatbin: string; libs: string[] }): CudaInit;
  abiLayout(): { size: number; n: number; i: number; f: number; view: number; viewSize: number };
  deviceName(dev: number): string;
  deviceProperties(dev: number): { name: string; totalMemory: number; major: number; minor: number; multiProcessorCount: number };
  alloc(dev: number, nbytes: number): number;
  free(dev: number, ptr: number): void;
  emptyCache(dev: number): void;
  memoryStats(dev: number): { allocated: number; reserved: number; maxAllocated: number; segments: number };
  resetPeakMemoryStats(dev: number): void;
  write(dev: number, ptr: number, data: ArrayBufferView): void;
  read(dev: number, ptr: number, nbytes: number): Promise<ArrayBuffer>;
  copyDevice(dev: number, dst: number, src: number, nbytes: number): void;
  launch(dev: number, name: string, n: number, args: Uint8Array): void;
  gemm(dev: number, g: GemmArgs): void;
  synchronize(dev: number): Promise<void>;
  ncclGetUniqueId(): Uint8Array;
  ncclCommInitRank(dev: number, id: Uint8Array, nranks: number, rank: number): Promise<number>;
  ncclCommDestroy(comm: number): void;
  ncclCollective(comm: number, op: string, o: { send: number; recv: number; count: number; dtype: string;
    redOp?: 'sum' | 'prod' | 'max' | 'min' | 'avg'; root?: number; peer?: number }): void;
  ncclGroupStart(): void;
  ncclGroupEnd(): void;
}

/** What init() reports. */
export interface CudaInit {
  ok: boolean; reason?: string; emulated: boolean; deviceCount: number; driverVersion: number;
  cublas: string | null; nccl: string | null;
}

/** cuBLAS's column-major C = op(A) op(B), strided batched (alpha 1, beta 0). */
export interface GemmArgs {
  transA: boolean; transB: boolean; m: number; n: number; k: number;
  a: number; lda: number; strideA: number; b: number; ldb: number; strideB: number;
  c: number; ldc: number; strideC: number; batch: number; dtype: 'float32' | 'float16' | 'float64'; tf32: boolean;
}

export interface LoadedCuda { addon: CudaAddon; info: CudaInit; path: string }

const BUILD_HINT = 'build it with `npm run build:cuda` (needs nvcc; `-- --emulate` for the CPU emulator used in tests)';

interface NodeProcess { versions?: { node?: string }; env: Record<string, string | undefined>; platform?: string }
interface NodeFs { existsSync(p: string): boolean; readdirSync(p: string): string[] }

let loading: Promise<LoadedCuda | { reason: string }> | null = null;

/** The addon, loaded and initialised once per process. */
export function loadCudaAddon(): Promise<LoadedCuda | { reason: string }> {
  return (loading ??= load());
}

async function load(): Promise<LoadedCuda | { reason: string }> {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!proc?.versions?.node) return { reason: 'the CUDA backend needs Node.js (a native addon)' };
  try {
    const fs = (await import('node:fs')) as unknown as NodeFs;
    const { createRequire } = (await import('node:module')) as unknown as { createRequire(u: string): (id: string) => unknown };
    const { fileURLToPath } = (await import('node:url')) as unknown as { fileURLToPath(u: URL): string };
    const emulate = proc.env.TORCHLET_CUDA_EMULATE === '1';
    const file = emulate ? 'torchlet_cuda_emu.node' : 'torchlet_cuda.node';
    // From src/backends/cuda/ (sources) or dist/ (the bundle): the package root's native-cuda/build.
    const dirs = ['../../../native-cuda/build/', '../native-cuda/build/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));
    const dir = dirs.find((d) => fs.existsSync(d + file));
    if (!dir) return { reason: `the ${emulate ? 'emulated ' : ''}CUDA addon (native-cuda/build/${file}) is not built: ${BUILD_HINT}` };
    let addon: CudaAddon;
    try {
      addon = createRequire(import.meta.url)(dir + file) as CudaAddon;
    } catch (e) {
      return { reason: `the CUDA addon ${dir + file} failed to load (${(e as Error).message.split('\n')[0]}): rebuild it, ${BUILD_HINT}` };
    }
    const info = addon.init({ fatbin: dir + 'kernels.fatbin', libs: libraryDirs(proc, fs) });
    if (!info.ok) return { reason: info.reason ?? 'the CUDA driver reported no usable device' };
    if (info.deviceCount < 1) return { reason: 'no CUDA device was found' };
    return { addon, info, path: dir + file };
  } catch (e) {
    return { reason: `the CUDA addon could not be initialised: ${(e as Error).message}` };
  }
}

/**
 * Folders searched, in order, for libcublas, libcublasLt and libnccl: TORCHLET_CUDA_LIBS
 * (':'-separated), LD_LIBRARY_PATH, the CUDA toolkit, the system's library folders, the active
 * virtualenv's / conda environment's lib, then the nvidia/<package>/lib folders of installed Python
 * packages (PyTorch's pip wheels carry them), the active environment's first.
 */
export function libraryDirs(proc: NodeProcess, fs: NodeFs): string[] {
  const split = (s: string | undefined) => (s ?? '').split(':').filter((d) => d !== '');
  const home = proc.env.HOME;
  const dirs = [...split(proc.env.TORCHLET_CUDA_LIBS), ...split(proc.env.LD_LIBRARY_PATH), '/usr/local/cuda/lib64',
    '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64'];
  // An active virtualenv or conda environment first (`python -m venv`, conda: where a user's PyTorch usually is).
  const envs = [proc.env.VIRTUAL_ENV, proc.env.CONDA_PREFIX].filter((d): d is string => !!d);
  for (const e of envs) dirs.push(`${e}/lib`);
  const roots = [...envs.map((e) => `${e}/lib`), '/usr/lib', '/usr/local/lib', ...(home ? [`${home}/.local/lib`] : [])];
  for (const root of roots) {
    for (const py of list(fs, root).filter((n) => n.startsWith('python3')).sort()) {
      for (const pk of ['site-packages', 'dist-packages']) {
        const nv = `${root}/${py}/${pk}/nvidia`;
        for (const sub of list(fs, nv).sort()) if (fs.existsSync(`${nv}/${sub}/lib`)) dirs.push(`${nv}/${sub}/lib`);
      }
    }
  }
  return [...new Set(dirs)].filter((d) => fs.existsSync(d));
}

function list(fs: NodeFs, dir: string): string[] {
  try { return fs.readdirSync(dir); } catch { return []; }
}
