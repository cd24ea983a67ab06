// Helpers of the distributed tests: run a worker under `torchlet run` (or each rank by hand, for
// fault cases the launcher would cut short), collect output and `RESULT <json>` lines. Whether the
// Gloo addon is built decides if the suites run: missing is a failure under CI=true, else a loud skip.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const worker = (name: string) => join(root, 'test/distributed/workers', name);
const addonPath = process.env.TORCHLET_GLOO_ADDON ?? join(root, 'native-distributed/build/torchlet_gloo.node');
export const hasAddon = existsSync(addonPath);
if (!hasAddon) {
  const msg = `torch.distributed tests: the Gloo addon is missing (${addonPath}); run \`apt-get install libgloo-dev && npm run build:distributed\``;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n\n*** SKIPPING: ${msg} ***\n\n`);
}

export interface Run { code: number | null; stdout: string; stderr: string; results: Record<string, unknown>[]; ms: number }

function collect(procs: ReturnType<typeof spawn>[], timeoutMs: number): Promise<Run[]> {
  const t0 = Date.now();
  return Promise.all(procs.map((p) => new Promise<Run>((resolve) => {
    let stdout = '', stderr = '';
    p.stdout!.on('data', (d) => { stdout += d; });
    p.stderr!.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      const results = stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>);
      resolve({ code, stdout, stderr, results, ms: Date.now() - t0 });
    });
  })));
}

/** `torchlet run --standalone --nproc-per-node n worker args`, through tsx. */
export async function launch(n: number, script: string, args: string[] = [], timeoutMs = 60000): Promise<Run> {
  const p = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/torchlet.mjs'), 'run', '--standalone', '--nproc-per-node', String(n), script, ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return (await collect([p], timeoutMs))[0]!;
}

/** Each rank started by hand with the given environment per rank (RANK/WORLD_SIZE/MASTER_*). */
export function spawnRanks(envs: Record<string, string>[], script: string, args: string[] = [], timeoutMs = 60000): Promise<Run[]> {
  const procs = envs.map((e) => spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { ...process.env, MASTER_ADDR: '127.0.0.1', ...e }, stdio: ['ignore', 'pipe', 'pipe'] }));
  return collect(procs, timeoutMs);
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}
