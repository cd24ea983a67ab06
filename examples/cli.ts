// Command-line plumbing shared by the examples (train-fashion-mnist, char-lstm, tiny-transformer): `--name value`
// or `--name=value` options, the default device (the best available backend), and whether a module
// runs as the script (so tests can import the training function without starting a run).
import { fileURLToPath } from 'node:url';
import * as torch from '../src/index.js';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.includes('=') ? a.slice(2).split('=', 2) as [string, string] : [a.slice(2), argv[++i] ?? ''];
    out[k] = v;
  }
  return out;
}

/**
 * A script's options: only the `known` names are accepted (a typo is an error, not ignored);
 * num(k) is a positive number or undefined; device() is cpu/webgpu/cuda or undefined.
 */
export function cliOptions(argv: string[], known: readonly string[]): {
  args: Record<string, string>; num: (k: string) => number | undefined; device: () => torch.Device | undefined;
} {
  const args = parseArgs(argv);
  for (const k of Object.keys(args)) if (!known.includes(k)) throw new Error(`unknown option --${k} (known: ${known.map((x) => '--' + x).join(', ')})`);
  const num = (k: string): number | undefined => {
    if (args[k] === undefined) return undefined;
    const v = Number(args[k]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} needs a positive number (got '${args[k]}')`);
    return v;
  };
  const device = (): torch.Device | undefined => {
    if (args.device === undefined) return undefined;
    try { return torch.device(args.device); } catch { throw new Error(`--device must be cpu, webgpu, cuda or cuda:N (got '${args.device}')`); }
  };
  return { args, num, device };
}

/**
 * The fastest backend present once torch.init() has run, as `npm start` picks it: CUDA, then a
 * hardware WebGPU adapter, else the CPU (a software adapter such as SwiftShader is far slower than wasm).
 */
export function bestDevice(): torch.Device {
  if (torch.cuda.isAvailable()) return 'cuda';
  const gpu = torch.webgpu.info();
  return gpu && !gpu.isFallbackAdapter ? 'webgpu' : 'cpu';
}

/** True when the module at `metaUrl` is the entry point (`node --import tsx examples/x.ts`). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1];
}
