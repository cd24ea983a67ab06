// Runs the bundled test suites (.gpu-tests/, made here by bench/gpu-tests/bundle.mjs) with plain
// Node, each file in its own process with a time limit, as vitest's forks would:
//   node bench/gpu-tests/run.mjs --devices cuda --log out.log [--append] [--timeout 300] [--only training_pytorch] [--skip api-emulated]
// --devices sets TORCHLET_TEST_DEVICES (test/helpers.ts narrows the device matrix to it). Prints a
// summary line per file; exits 1 when a file failed or timed out.
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def; };
const devices = opt('devices', '');
const log = opt('log', '');
const timeoutS = Number(opt('timeout', '600'));
const only = opt('only', '').split(',').filter(Boolean);
const skip = opt('skip', '').split(',').filter(Boolean);

const manifest = JSON.parse(readFileSync(join(root, '.gpu-tests/manifest.json'), 'utf8'));
const picked = manifest.bundles.filter((b) => (!only.length || only.some((o) => b.file.includes(o))) && !skip.some((s) => b.file.includes(s)));
if (log && !argv.includes('--append')) writeFileSync(log, '');
const write = (s) => { process.stdout.write(s); if (log) appendFileSync(log, s); };

function runOne(b) {
  return new Promise((done) => {
    const t0 = Date.now();
    const env = { ...process.env, ...(devices ? { TORCHLET_TEST_DEVICES: devices } : {}) };
    const p = spawn(process.execPath, ['--experimental-wasm-relaxed-simd', '--enable-source-maps', join(root, '.gpu-tests', b.bundle)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (d) => { const s = d.toString(); tail = (tail + s).slice(-4000); if (log) appendFileSync(log, s); };
    p.stdout.on('data', take); p.stderr.on('data', take);
    const timer = setTimeout(() => { p.kill('SIGKILL'); }, timeoutS * 1000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const s = Math.round((Date.now() - t0) / 1000);
      const summary = /: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(tail);
      done({ file: b.file, code, signal, s, summary: summary ? summary.slice(1).map(Number) : null });
    });
  });
}

let bad = 0;
const totals = [0, 0, 0];
for (const b of picked) {
  const r = await runOne(b);
  const ok = r.code === 0;
  if (!ok) bad++;
  if (r.summary) r.summary.forEach((n, i) => { totals[i] += n; });
  const what = r.signal ? `killed after ${timeoutS} s` : r.summary ? `${r.summary[0]} passed, ${r.summary[1]} failed, ${r.summary[2]} skipped` : `exit ${r.code} (no summary: crashed at load?)`;
  write(`${ok ? 'PASS' : 'FAIL'} ${r.file} [${devices || 'all devices'}] ${what} (${r.s} s)\n`);
}
write(`gpu-tests [${devices || 'all devices'}]: ${picked.length} files, ${bad} failed; tests: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped\n`);
process.exitCode = bad ? 1 : 0;
