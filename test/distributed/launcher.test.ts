// `torchlet run` (bin/torchlet.mjs): torchrun's environment contract per process, node ranks offset by
// --node-rank, script arguments passed through, and usage errors. Needs no addon.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { root, worker } from './launch.js';

const torchlet = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/torchlet.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout: 30000 });
const results = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>)
  .sort((a, b) => Number(a.RANK) - Number(b.RANK));

describe('torchlet run', () => {
  it("sets torchrun's variables on every process of this node", () => {
    const p = torchlet('run', '--nnodes', '2', '--node-rank', '1', '--nproc-per-node', '2', '--master-addr', '10.1.2.3', '--master-port=29999', worker('env.mjs'), '--lr', '0.1');
    expect(p.status, p.stderr).toBe(0);
    expect(results(p.stdout)).toEqual([2, 3].map((rank) => ({
      RANK: String(rank), LOCAL_RANK: String(rank - 2), WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', GROUP_RANK: '1',
      MASTER_ADDR: '10.1.2.3', MASTER_PORT: '29999', args: ['--lr', '0.1'],
    })));
  });

  it('defaults to one process at 127.0.0.1:29500; --standalone picks a free port', () => {
    const one = results(torchlet('run', worker('env.mjs')).stdout);
    expect(one).toEqual([{ RANK: '0', LOCAL_RANK: '0', WORLD_SIZE: '1', LOCAL_WORLD_SIZE: '1', GROUP_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500', args: [] }]);
    const sa = results(torchlet('run', '--standalone', '--nproc_per_node', '2', worker('env.mjs')).stdout);
    expect(sa.length).toBe(2);
    expect(sa[0]!.MASTER_PORT).toBe(sa[1]!.MASTER_PORT);
    expect(Number(sa[0]!.MASTER_PORT)).toBeGreaterThan(0);
  });

  it('rejects bad usage with a message and exit code 2', () => {
    for (const [args, msg] of [
      [['run'], /no script given/],
      [['run', '--nproc-per-node', 'x', 'a.mjs'], /--nproc-per-node expects a non-negative integer, got x/],
      [['run', '--nnodes', '2', '--node-rank', '2', 'a.mjs'], /--node-rank 2 must be below --nnodes 2/],
      [['run', '--bogus', 'a.mjs'], /unknown option --bogus/],
      [['launch'], /unknown command 'launch'/],
    ] as const) {
      const p = torchlet(...args);
      expect(p.status).toBe(2);
      expect(p.stderr).toMatch(msg);
    }
  });
});
