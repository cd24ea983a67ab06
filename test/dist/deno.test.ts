// The built package in Deno (the `deno` npm devDependency provides the binary): the shared
// forward+backward smoke workload against dist/torchlet.js, with read access to dist/ only.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, it } from 'vitest';
import { checkSmoke, denoPath, ensureDist, root, toolAvailable } from './ensure-dist.js';
import type { SmokeResult } from './smoke.mjs';

const deno = denoPath();
const have = toolAvailable('deno', deno, 'it comes with `npm install` as the devDependency "deno"');

describe.skipIf(!have)(have ? 'dist in Deno' : 'dist in Deno (SKIPPED: deno not installed)', () => {
  beforeAll(ensureDist);

  it('runs forward+backward on the CPU backend', () => {
    const dist = join(root, 'dist');
    const out = execFileSync(deno!, ['run', '--quiet', '--no-prompt', `--allow-read=${dist}`, join(root, 'test/dist/run-smoke.mjs'),
      pathToFileURL(join(dist, 'torchlet.js')).href], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
    checkSmoke(JSON.parse(out.trim().split('\n').pop()!) as SmokeResult);
  });
});
