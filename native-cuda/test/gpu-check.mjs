// gpu-check.mjs: the real CUDA addon (native-cuda/build/torchlet_cuda.node) on a machine with an NVIDIA
// GPU -- what test/cuda/addon.test.ts checks on the emulator, plus what only a GPU shows: the driver,
// cuBLAS, NCCL (world size 1), asynchronous faults, a non-blocked event loop, gemm speed. Plain Node, no
// dependencies (the GPU machine has no node_modules): `node native-cuda/test/gpu-check.mjs`; bench/gpu.sh
// runs it. Prints one line per check and exits non-zero when one failed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const build = join(here, '../build');
// --emulate (or TORCHLET_CUDA_EMULATE=1): the emulated build, to try this script without a GPU (no speed
// or NCCL checks there: they need the real thing).
const emulate = process.argv.includes('--emulate') || process.env.TORCHLET_CUDA_EMULATE === '1';
const addonPath = join(build, emulate ? 'torchlet_cuda_emu.node' : 'torchlet_cuda.node');
// Where cuBLAS and NCCL may be: TORCHLET_CUDA_LIBS, LD_LIBRARY_PATH, the toolkit, and the nvidia/*/lib
// folders of the Python packages PyTorch's wheels install (the GPU machine has them there).
function libraryDirs() {
  const split = (v) => (v ?? '').split(':').filter(Boolean);
  const dirs = [...split(process.env.TORCHLET_CUDA_LIBS), ...split(process.env.LD_LIBRARY_PATH), '/usr/local/cuda/lib64'];
  let sites = [];
  try {
    sites = execFileSync('python3', ['-c', 'import site, sys; print("\\n".join(site.getsitepackages() + [site.getusersitepackages()]))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
  } catch { /* no python3: the folders above only */ }
  for (const site of sites) {
    let subs = [];
    try { subs = readdirSync(join(site, 'nvidia')); } catch { continue; }
    for (const sub of subs.sort()) if (existsSync(join(site, 'nvidia', sub, 'lib'))) dirs.push(join(site, 'nvidia', sub, 'lib'));
  }
  return [...new Set(dirs)].filter((d) => existsSync(d));
}
const libs = process.argv[2] === 'fault' || process.argv[2] === 'blocking' ? [] : libraryDirs();
const MiB = 2 ** 20;

// ---- the fault checks break the context: they run in a child process (argv[2] names the case)
if (process.argv[2] === 'fault' || process.argv[2] === 'blocking') {
  const a = createRequire(import.meta.url)(addonPath);
  a.init({ fatbin: join(build, 'kernels.fatbin'), libs });
  const out = {}, buf = a.alloc(0, 4);
  a.launch(0, 'tl_test_iota', 1 << 20, iotaArgs(0x10, 1 << 20)); // unmapped address
  try { await a.read(0, buf, 4); } catch (e) { out.read = e.message; }
  try { a.alloc(0, 4); } catch (e) { out.later = e.message; }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}
function iotaArgs(ptr, n, start = 0, step = 1) {
  const b = new Uint8Array(728), dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(ptr), true);
  dv.setInt32(16, 0, true);
  dv.setInt32(20, 1, true);
  dv.setBigInt64(24, BigInt(n), true);
  dv.setBigInt64(88, 1n, true);
  dv.setBigInt64(608, BigInt(n), true);
  dv.setFloat64(696, start, true);
  dv.setFloat64(704, step, true);
  return b;
}
function viewArgs(views, n) {
  const b = new Uint8Array(728), dv = new DataView(b.buffer);
  views.forEach(([ptr, dtype, len], k) => {
    dv.setBigUint64(k * 152, BigInt(ptr), true);
    dv.setInt32(k * 152 + 16, dtype, true);
    dv.setInt32(k * 152 + 20, 1, true);
    dv.setBigInt64(k * 152 + 24, BigInt(len), true);
    dv.setBigInt64(k * 152 + 88, 1n, true);
  });
  dv.setBigInt64(608, BigInt(n), true);
  return b;
}

let failed = 0;
async function check(name, fn) {
  if (emulate && /speed|NCCL/.test(name)) return console.log(`skip ${name} (emulated build)`);
  const t0 = performance.now();
  try {
    const note = await fn();
    console.log(`ok   ${name} (${(performance.now() - t0).toFixed(0)} ms)${note ? ': ' + note : ''}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}

const a = createRequire(import.meta.url)(addonPath);
const info = a.init({ fatbin: join(build, 'kernels.fatbin'), libs });
console.log('init:', JSON.stringify(info));
console.log('library folders searched:', libs.join(':') || '(none)');
if (!info.ok) {
  console.log(`FAIL init: ${info.reason}`);
  process.exit(1);
}

await check('device properties', () => {
  const p = a.deviceProperties(0);
  assert.ok(p.totalMemory > 1e9 && p.major >= 8, JSON.stringify(p));
  return `${a.deviceName(0)}, ${(p.totalMemory / 2 ** 30).toFixed(1)} GiB, sm_${p.major}${p.minor}, ${p.multiProcessorCount} SMs`;
});

await check('write/read round trips (1 B .. 64 MiB, at offsets) and copyDevice', async () => {
  for (const n of [1, 7, 4096, 3 * MiB + 5, 64 * MiB]) {
    const src = new Uint8Array(n);
    for (let i = 0; i < n; i++) src[i] = (i * 2654435761) >>> 24;
    const p = a.alloc(0, n), q = a.alloc(0, n);
    a.write(0, p, src);
    a.copyDevice(0, q, p, n);
    assert.deepEqual(new Uint8Array(await a.read(0, q, n)), src);
    if (n > 8) assert.deepEqual(new Uint8Array(await a.read(0, p + 3, 5)), src.subarray(3, 8));
    a.free(0, p);
    a.free(0, q);
  }
});

await check('caching allocator: reuse, stats, emptyCache', () => {
  a.emptyCache(0);
  const p = a.alloc(0, 1000);
  a.free(0, p);
  assert.equal(a.alloc(0, 1024), p);
  const s = a.memoryStats(0);
  assert.equal(s.allocated, 1024);
  a.free(0, p);
  a.emptyCache(0);
  assert.deepEqual({ ...a.memoryStats(0), maxAllocated: 0 }, { allocated: 0, reserved: 0, segments: 0, maxAllocated: 0 });
});

await check('out of memory wording', () => {
  assert.throws(() => a.alloc(0, 2 ** 50), /^Error: CUDA out of memory\. Tried to allocate 1048576\.00 GiB \(GPU 0; [\d.]+ GiB total capacity; [\d.]+ (bytes|KiB|MiB|GiB) already allocated; [\d.]+ (bytes|KiB|MiB|GiB) reserved in total by torchlet\)$/);
  const p = a.alloc(0, 16);
  a.free(0, p);
});

await check('launch: every item once, grid capped at 65535 blocks (grid-stride loop)', async () => {
  const n = 65535 * 256 + 4097;
  const v = a.alloc(0, 4 * n), g = a.alloc(0, 4 * n);
  a.write(0, v, new Int32Array(n));
  a.launch(0, 'tl_test_visit', n, viewArgs([[v, 3, n], [g, 3, n]], n));
  const visits = new Int32Array(await a.read(0, v, 4 * n)), grids = new Int32Array(await a.read(0, g, 4 * n));
  assert.ok(visits.every((x) => x === 1), 'each item visited once');
  assert.ok(grids.every((x) => x === 65535), 'grid 65535');
  const p = a.alloc(0, 4 * 1000);
  a.launch(0, 'tl_test_iota', 1000, iotaArgs(p, 1000, 0.5, 0.25));
  const out = new Float32Array(await a.read(0, p, 4000));
  out.forEach((x, i) => assert.equal(x, 0.5 + 0.25 * i));
  for (const x of [v, g, p]) a.free(0, x);
});

await check('__float2half_rn / __half2float round to nearest even', async () => {
  const xs = new Float32Array([0, 1, 65504, 65520, 1e6, 5.960464477539063e-8, 2.9802322387695312e-8, 1.00048828125, 1.00146484375, 0.1, -0.3]);
  const want = [0x0000, 0x3c00, 0x7bff, 0x7c00, 0x7c00, 0x0001, 0x0000, 0x3c00, 0x3c02, 0x2e66, 0xb4cd];
  const n = xs.length, pi = a.alloc(0, 4 * n), ph = a.alloc(0, 2 * n), pb = a.alloc(0, 4 * n);
  a.write(0, pi, xs);
  a.launch(0, 'tl_test_half', n, viewArgs([[pi, 0, n], [ph, 1, n], [pb, 0, n]], n));
  assert.deepEqual([...new Uint16Array(await a.read(0, ph, 2 * n))], want);
  for (const x of [pi, ph, pb]) a.free(0, x);
});

// C = op(A) op(B) column-major batched, in float64 on the host.
function hostGemm(g, A, B, round = (x) => x) {
  const C = new Float64Array(g.batch * g.strideC);
  for (let p = 0; p < g.batch; p++)
    for (let j = 0; j < g.n; j++)
      for (let i = 0; i < g.m; i++) {
        let s = 0;
        for (let l = 0; l < g.k; l++)
          s += round(A[p * g.strideA + (g.transA ? l + i * g.lda : i + l * g.lda)]) * round(B[p * g.strideB + (g.transB ? j + l * g.ldb : l + j * g.ldb)]);
        C[p * g.strideC + i + j * g.ldc] = s;
      }
  return C;
}
const toF16 = (x) => {
  const f = new Float32Array([x]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, e = ((u >>> 23) & 0xff) - 112, m = u & 0x7fffff;
  if (e <= 0) return sign; // inputs here are normal
  let h = (e << 10) | (m >>> 13);
  const r = m & 0x1fff;
  if (r > 0x1000 || (r === 0x1000 && (h & 1))) h++;
  return sign | h;
};
const fromF16 = (h) => ((h & 0x8000) ? -1 : 1) * (((h >>> 10) & 0x1f) === 0 ? (h & 0x3ff) * 2 ** -24 : (1 + (h & 0x3ff) / 1024) * 2 ** (((h >>> 10) & 0x1f) - 15));

for (const [dtype, Arr, tol] of [['float32', Float32Array, 1e-5], ['float64', Float64Array, 1e-12], ['float16', Uint16Array, 4e-3], ['tf32', Float32Array, 2e-2]]) {
  await check(`gemm ${dtype} (cuBLAS) with transposes and batch strides vs float64 host`, async () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const m = 67, n = 45, k = 129, batch = 3;
      const lda = (transA ? k : m) + 3, ldb = (transB ? n : k) + 1, ldc = m + 2;
      const g = { transA, transB, m, n, k, lda, ldb, ldc, batch, dtype: dtype === 'tf32' ? 'float32' : dtype, tf32: dtype === 'tf32',
        strideA: lda * (transA ? m : k) + 8, strideB: 0, strideC: ldc * n + 8, a: 0, b: 0, c: 0 };
      const A = Array.from({ length: g.strideA * batch }, (_, i) => Math.sin(i * 0.37) * (dtype === 'float64' ? 1 : 1 + 2 ** -12));
      const B = Array.from({ length: ldb * (transB ? k : n) }, (_, i) => Math.cos(i * 0.91));
      const enc = (v) => (dtype === 'float16' ? new Uint16Array(v.map(toF16)) : new Arr(v));
      const Ad = dtype === 'float16' ? A.map((x) => fromF16(toF16(x))) : dtype === 'float64' ? A : A.map(Math.fround);
      const Bd = dtype === 'float16' ? B.map((x) => fromF16(toF16(x))) : dtype === 'float64' ? B : B.map(Math.fround);
      const bytes = Arr.BYTES_PER_ELEMENT;
      g.a = a.alloc(0, A.length * bytes); g.b = a.alloc(0, B.length * bytes); g.c = a.alloc(0, g.strideC * batch * bytes);
      a.write(0, g.a, enc(A)); a.write(0, g.b, enc(B));
      a.gemm(0, g);
      const raw = new Arr(await a.read(0, g.c, g.strideC * batch * bytes));
      const want = hostGemm(g, Ad, Bd);
      let worst = 0;
      for (let p = 0; p < batch; p++)
        for (let j = 0; j < n; j++)
          for (let i = 0; i < m; i++) {
            const at = p * g.strideC + i + j * ldc, got = dtype === 'float16' ? fromF16(raw[at]) : raw[at];
            worst = Math.max(worst, Math.abs(got - want[at]) / Math.max(1, Math.abs(want[at])));
          }
      assert.ok(worst <= tol, `trans ${transA},${transB}: worst relative error ${worst}`);
      for (const x of [g.a, g.b, g.c]) a.free(0, x);
    }
  });
}

await check('gemm 4096^3 speed (float32, tf32, float16); the event loop runs while a read waits', async () => {
  const N = 4096, notes = [];
  for (const [dtype, tf32, bytes] of [['float32', false, 4], ['float32', true, 4], ['float16', false, 2]]) {
    const pa = a.alloc(0, N * N * bytes), pb = a.alloc(0, N * N * bytes), pc = a.alloc(0, N * N * bytes);
    const g = { transA: false, transB: false, m: N, n: N, k: N, a: pa, lda: N, strideA: 0, b: pb, ldb: N, strideB: 0, c: pc, ldc: N, strideC: 0, batch: 1, dtype, tf32 };
    a.write(0, pa, new Uint8Array(N * N * bytes)); a.write(0, pb, new Uint8Array(N * N * bytes));
    for (let i = 0; i < 3; i++) a.gemm(0, g);
    await a.synchronize(0);
    const reps = 20, t0 = performance.now();
    for (let i = 0; i < reps; i++) a.gemm(0, g);
    let ticks = 0;
    const tick = setInterval(() => ticks++, 1);
    await a.read(0, pc, 4);
    clearInterval(tick);
    const s = (performance.now() - t0) / 1000;
    notes.push(`${dtype}${tf32 ? '/tf32' : ''} ${(2 * N ** 3 * reps / s / 1e12).toFixed(1)} TFLOPS (event loop ticked ${ticks}x while waiting)`);
    assert.ok(ticks > 0 || s < 0.005, 'the event loop was blocked during the read');
    for (const x of [pa, pb, pc]) a.free(0, x);
  }
  return notes.join('; ');
});

await check('an illegal address in a kernel rejects the next read, then every call (sticky)', () => {
  const r = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'fault', ...(emulate ? ['--emulate'] : [])], { encoding: 'utf8' }));
  assert.match(r.read, /^CUDA error: an illegal memory access was encountered \(raised by work queued before this read; set CUDA_LAUNCH_BLOCKING=1 to raise it at the kernel\)( \[emulator: .*\])?$/);
  assert.equal(r.later, r.read);
});

await check('CUDA_LAUNCH_BLOCKING=1 raises it at the kernel', () => {
  let err = '';
  try {
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'blocking', ...(emulate ? ['--emulate'] : [])], { encoding: 'utf8', env: { ...process.env, CUDA_LAUNCH_BLOCKING: '1' }, stdio: 'pipe' });
  } catch (e) { err = String(e.stderr); }
  assert.match(err, /CUDA error: an illegal memory access was encountered \(raised by kernel tl_test_iota\)/);
});

await check('NCCL world size 1: allReduce, broadcast, allGather', async () => {
  if (!info.nccl) throw new Error('libnccl.so.2 was not found: set TORCHLET_CUDA_LIBS to the folder of PyTorch\'s nvidia/nccl/lib');
  const comm = await a.ncclCommInitRank(0, a.ncclGetUniqueId(), 1, 0);
  const p = a.alloc(0, 12), q = a.alloc(0, 12);
  a.write(0, p, new Float32Array([1, 2, 3]));
  a.ncclCollective(comm, 'allReduce', { send: p, recv: q, count: 3, dtype: 'float32', redOp: 'sum' });
  assert.deepEqual([...new Float32Array(await a.read(0, q, 12))], [1, 2, 3]);
  a.ncclGroupStart();
  a.ncclCollective(comm, 'broadcast', { send: q, recv: p, count: 3, dtype: 'int32', root: 0 });
  a.ncclGroupEnd();
  await a.synchronize(0);
  a.ncclCommDestroy(comm);
  for (const x of [p, q]) a.free(0, x);
  return info.nccl;
});

console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
