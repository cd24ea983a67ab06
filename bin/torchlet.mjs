#!/usr/bin/env node
// The torchlet command (package.json "bin"): `torchlet run` starts one process per rank with
// torchrun's environment contract (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK,
// MASTER_ADDR, MASTER_PORT). When a rank fails, the others are stopped (SIGTERM, then SIGKILL) and
// the launcher exits with that rank's exit code after printing its error (the tail of its stderr).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const USAGE = `usage: torchlet run [--nproc-per-node N] [--nnodes M --node-rank R] [--master-addr A] [--master-port P]
                    [--standalone] script.mjs [args...]
  --nproc-per-node N  processes on this node (default 1)
  --nnodes M          nodes in the job (default 1); --node-rank R: this node's index (default 0)
  --master-addr A     address of the node hosting rank 0 (default 127.0.0.1)
  --master-port P     its store's port (default 29500)
  --standalone        one node: pick a free port (ignores --master-port)
Each process runs \`node <same node flags> script args\` with RANK, LOCAL_RANK, WORLD_SIZE,
LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT set.`;

function fail(msg) { console.error(`torchlet: ${msg}\n${USAGE}`); process.exit(2); }

function parse(argv) {
  const o = { nproc: 1, nnodes: 1, nodeRank: 0, addr: '127.0.0.1', port: 29500, standalone: false, script: null, args: [] };
  const int = (name, v) => { const n = Number(v); if (!Number.isInteger(n) || n < 0) fail(`${name} expects a non-negative integer, got ${v}`); return n; };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) { o.script = a; o.args = argv.slice(i + 1); break; }
    let v;
    if (a.includes('=')) [a, v] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    const next = () => v ?? (i + 1 < argv.length ? argv[++i] : fail(`${a} needs a value`));
    switch (a.replace(/_/g, '-')) {
      case '--nproc-per-node': o.nproc = int(a, next()); break;
      case '--nnodes': o.nnodes = int(a, next()); break;
      case '--node-rank': o.nodeRank = int(a, next()); break;
      case '--master-addr': o.addr = next(); break;
      case '--master-port': o.port = int(a, next()); break;
      case '--standalone': o.standalone = true; break;
      case '--help': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown option ${a}`);
    }
  }
  if (!o.script) fail('no script given');
  if (o.nproc < 1 || o.nnodes < 1) fail('--nproc-per-node and --nnodes must be at least 1');
  if (o.nodeRank >= o.nnodes) fail(`--node-rank ${o.nodeRank} must be below --nnodes ${o.nnodes}`);
  return o;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function run(o) {
  if (o.standalone) {
    if (o.nnodes !== 1) fail('--standalone is for one node (--nnodes 1)');
    o.port = await freePort();
  }
  const world = o.nnodes * o.nproc;
  const children = [];
  let failure = null;
  let remaining = o.nproc;
  const stopOthers = () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
    const t = setTimeout(() => { for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL'); }, 3000);
    t.unref();
  };
  const onSignal = (sig) => { failure ??= { rank: -1, code: 130, why: `interrupted (${sig})`, tail: '' }; stopOthers(); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await new Promise((resolveAll) => {
    for (let local = 0; local < o.nproc; local++) {
      const rank = o.nodeRank * o.nproc + local;
      const env = {
        ...process.env, RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: String(world),
        LOCAL_WORLD_SIZE: String(o.nproc), GROUP_RANK: String(o.nodeRank), MASTER_ADDR: o.addr, MASTER_PORT: String(o.port),
        TORCHELASTIC_RUN_ID: process.env.TORCHELASTIC_RUN_ID ?? 'none',
      };
      // The same node flags as the launcher (e.g. --import tsx), so a TypeScript script runs too.
      const proc = spawn(process.execPath, [...process.execArgv, o.script, ...o.args], { env, stdio: ['inherit', 'inherit', 'pipe'] });
      const c = { rank, proc, tail: '' };
      children.push(c);
      proc.stderr.on('data', (d) => { process.stderr.write(d); c.tail = (c.tail + d.toString()).slice(-4000); });
      proc.on('exit', (code, signal) => {
        // Wait for the stderr pipe to drain before reporting.
        const report = () => {
          if ((code !== 0 || signal) && !failure) {
            failure = { rank, code: code ?? 1, why: signal ? `killed by ${signal}` : `exit code ${code}`, tail: c.tail };
            stopOthers();
          }
          if (--remaining === 0) resolveAll();
        };
        if (proc.stderr.readableEnded) report(); else proc.stderr.once('end', report);
      });
      proc.on('error', (e) => { failure ??= { rank, code: 1, why: e.message, tail: '' }; stopOthers(); });
    }
  });
  if (failure && failure.rank < 0) {
    console.error(`torchlet run: ${failure.why}; the ranks were stopped`);
    process.exit(failure.code);
  }
  if (failure) {
    const lines = failure.tail.trim().split('\n');
    const err = [...lines].reverse().find((l) => /^\s*(\w*Error|Uncaught)\b.*:/.test(l)) ?? [...lines].reverse().find((l) => /Error/.test(l)) ?? lines[lines.length - 1] ?? '';
    console.error(`torchlet run: rank ${failure.rank} failed (${failure.why})${err ? `: ${err.trim()}` : ''}; the other ranks were stopped`);
    process.exit(failure.code || 1);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'run') run(parse(rest));
else if (cmd === '--help' || cmd === '-h' || cmd === undefined) { console.log(USAGE); process.exit(cmd ? 0 : 2); }
else fail(`unknown command '${cmd}'`);
