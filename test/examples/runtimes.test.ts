// The examples run unchanged under Deno and Bun, from the repository root, as README's "Examples"
// documents (`deno run -A examples/<script>.ts …`, `bun examples/<script>.ts …`): each trains a few
// steps on the CPU, prints what it prints under Node, and exits by itself (threads included).

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bunPath, denoPath, root, toolAvailable } from '../dist/ensure-dist.js';

const deno = denoPath(), bun = bunPath();
const runtimes: [string, string | null, string[]][] = [
  ['Deno', toolAvailable('deno', deno, 'it comes with `npm install` as the devDependency "deno"') ? deno : null, ['run', '-A']],
  ['Bun', toolAvailable('bun', bun, 'it comes with `npm install` through the devDependency "torchlet-test-bun"') ? bun : null, []],
];
const out = mkdtempSync(join(tmpdir(), 'torchlet-examples-'));
const examples: [string, string[], RegExp[]][] = [
  ['train-fashion-mnist.ts', ['--epochs', '1', '--limit', '640', '--device', 'cpu', '--out', join(out, 'cnn.safetensors')],
    [/epoch 1: train loss \d+\.\d+, test accuracy \d+\.\d+%/, /saved checkpoint .*cnn\.safetensors/]],
  ['char-lstm.ts', ['--steps', '5', '--device', 'cpu'], [/step +4 +loss \d+\.\d+/, /sample \(temperature 0\.7\):\nShall I /]],
  ['tiny-transformer.ts', ['--steps', '5', '--device', 'cpu'], [/greedy decoding: \d+\.\d+% of \d+ fresh sequences sorted exactly/]],
  // Loads PyTorch's init.pt and prints the losses PyTorch prints (examples/side-by-side/losses-pytorch.json: step 199 loss 0.046762).
  [join('side-by-side', 'train.ts'), [], [/step 199 +loss 0\.0467\d\d/, /accuracy 0\.99\d\d/]],
];

for (const [name, exe, args] of runtimes) {
  describe.skipIf(!exe)(exe ? `examples in ${name}` : `examples in ${name} (SKIPPED: not installed)`, () => {
    for (const [script, opts, expected] of examples) {
      it(`${script} runs unchanged and exits`, () => {
        const text = execFileSync(exe!, [...args, join('examples', script), ...opts],
          { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
        for (const re of expected) expect(text).toMatch(re);
      }, 150_000);
    }
  });
}
