// Faults of torch.distributed: a dead or hung rank, a port in use, mismatched world sizes, a
// duplicate rank, NCCL without the CUDA addon, a missing addon, and the launcher stopping the job
// when one rank fails. Each is a clear error within the timeout, never a hang.
import { createServer } from 'node:net';
import { describe, it, expect } from 'vitest';
import { hasAddon, launch, spawnRanks, freePort, worker } from './launch.js';

const script = worker('faults.ts');
const envs = (port: number, ranks: [number, number][], extra: Record<string, string> = {}) =>
  ranks.map(([rank, world]) => ({ RANK: String(rank), WORLD_SIZE: String(world), MASTER_PORT: String(port), ...extra }));

describe.skipIf(!hasAddon)('torch.distributed faults (gloo)', () => {
  it('a rank that dies makes the others fail at once, not at the timeout', async () => {
    const runs = await spawnRanks(envs(await freePort(), [[0, 2], [1, 2]]), script, ['dead']);
    expect(runs[1]!.code).toBe(3);
    const r0 = runs[0]!.results[0]!;
    expect(r0.stage).toBe('run');
    expect(r0.error).toMatch(/^allReduce: .*(Connection closed by peer|Connection reset|Broken pipe)/);
    expect(r0.ms as number).toBeLessThan(10000);
  }, 60000);

  it('a rank that hangs (sleeps 5 s) makes the others fail after the 1.5 s timeout', async () => {
    const runs = await spawnRanks(envs(await freePort(), [[0, 2], [1, 2]], { TEST_TIMEOUT: '1500' }), script, ['hang'], 30000);
    const r0 = runs[0]!.results[0]!;
    expect(r0.error).toMatch(/^allReduce: .*Timed out/);
    expect(r0.ms as number).toBeGreaterThanOrEqual(1400);
    expect(r0.ms as number).toBeLessThan(10000);
  }, 60000);

  it('a rank that never joins makes the others fail after the timeout, naming who joined', async () => {
    const runs = await spawnRanks(envs(await freePort(), [[0, 3], [1, 3]], { TEST_TIMEOUT: '1500' }), script, ['init'], 30000);
    for (const run of runs) expect(run.code).toBe(1);
    expect(runs[0]!.results[0]!.error).toMatch(/timed out after 1500 ms waiting for all 3 ranks to join \(joined: \[0,1\]\)/);
    // Rank 1 times out as well, or sees rank 0's store go first.
    expect(runs[1]!.results[0]!.error).toMatch(/timed out after 1500 ms waiting for all 3 ranks to join|went away while waiting for all 3 ranks to join \(rank 0 timed out or exited\)/);
  }, 60000);

  it('tcp:// and file:// rendezvous', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/torchlet-dist-`)}/rendezvous`;
    const port = await freePort();
    for (const initMethod of [`tcp://127.0.0.1:${port}`, `file://${file}`]) {
      const runs = await spawnRanks(envs(0, [[0, 2], [1, 2]], { TEST_INIT_METHOD: initMethod, MASTER_PORT: '' }), script, ['init']);
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(0);
        expect(run.results[0]!.sum).toBe(3);
      }
    }
    expect(existsSync(file)).toBe(false); // rank 0 removes it at destroyProcessGroup
  }, 60000);

  it('a port in use is a clear error', async () => {
    const server = createServer();
    const port = await new Promise<number>((res) => server.listen(0, () => res((server.address() as { port: number }).port)));
    try {
      const [r0] = await spawnRanks(envs(port, [[0, 1]]), script, ['init']);
      expect(r0!.results[0]!.error).toMatch(new RegExp(`port ${port} is already in use \\(EADDRINUSE\\).*MASTER_PORT`));
    } finally { server.close(); }
  }, 60000);

  it('mismatched world sizes fail on every rank', async () => {
    const runs = await spawnRanks(envs(await freePort(), [[0, 2], [1, 3]], { TEST_TIMEOUT: '8000' }), script, ['init']);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.results[0]!.error).toMatch(/mismatched world sizes: rank 1 was started with worldSize 3, rank 0 with 2/);
    }
  }, 60000);

  it('a duplicate rank fails', async () => {
    const port = await freePort();
    const first = await Promise.all([
      spawnRanks(envs(port, [[0, 3], [1, 3]], { TEST_TIMEOUT: '8000' }), script, ['init']),
      new Promise((res) => setTimeout(res, 1500)).then(() => spawnRanks(envs(port, [[1, 3]], { TEST_TIMEOUT: '8000' }), script, ['init'])),
    ]);
    const all = first.flat();
    expect(all.every((r) => r.code === 1)).toBe(true);
    expect(all.some((r) => /duplicate rank 1: two processes claimed rank 1/.test(String(r.results[0]?.error)))).toBe(true);
    // Rank 0 learns of it too instead of waiting out the timeout.
    expect(all[0]!.results[0]!.error).toMatch(/duplicate rank 1/);
  }, 60000);

  it("backend 'nccl' without CUDA says why; a missing Gloo addon says how to build it", async () => {
    // No GPU here (the emulated addon is only used when TORCHLET_CUDA_EMULATE=1): the CUDA backend's reason follows.
    const [nccl] = await spawnRanks(envs(await freePort(), [[0, 1]], { TORCHLET_CUDA_EMULATE: '' }), script, ['nccl']);
    expect(nccl!.results[0]!.error).toMatch(/^initProcessGroup: backend 'nccl' needs CUDA: \S/);
    const [missing] = await spawnRanks(envs(await freePort(), [[0, 1]], { TORCHLET_GLOO_ADDON: '/nonexistent/torchlet_gloo.node' }), script, ['init']);
    expect(missing!.results[0]!.error).toMatch(/Gloo addon is not built; build it with `apt-get install libgloo-dev && npm run build:distributed`/);
  }, 60000);

  it('torchlet run stops the other ranks and exits with the failing rank\'s error', async () => {
    const run = await launch(3, script, ['throw']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/torchlet run: rank 1 failed \(exit code 1\): Error: rank one broke on purpose; the other ranks were stopped/);
    expect(run.ms).toBeLessThan(30000); // the others sat in a barrier with a 20 s timeout
  }, 60000);
});
