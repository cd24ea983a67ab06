// The CUDA addon's own contract (native-cuda/ABI.md, "Addon API"), on the emulated build
// (npm run build:cuda -- --emulate): memory round trips, the caching allocator, OOM wording, launches,
// gemm against a float64 host product, errors. A missing emulated build fails under CI=true, else skips
// loudly. The real build's init() is checked where it was built (on a machine without a GPU: ok=false).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../src/dtype.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const emuPath = join(root, 'native-cuda/build/torchlet_cuda_emu.node');
const realPath = join(root, 'native-cuda/build/torchlet_cuda.node');
const hasEmu = existsSync(emuPath);
if (!hasEmu) {
  const msg = `CUDA addon tests: the emulated addon is missing (${emuPath}); run \`npm run build:cuda -- --emulate\``;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n\n*** SKIPPING: ${msg} ***\n\n`);
}

interface Stats { allocated: number; reserved: number; maxAllocated: number; segments: number }
interface Gemm {
  transA: boolean; transB: boolean; m: number; n: number; k: number; a: number; lda: number; strideA: number;
  b: number; ldb: number; strideB: number; c: number; ldc: number; strideC: number; batch: number; dtype: string; tf32: boolean;
}
interface Addon {
  init(o: { fatbin: string; libs: string[] }): { ok: boolean; reason?: string; emulated: boolean; deviceCount: number; driverVersion: number; cublas: string | null; nccl: string | null };
  abiLayout(): Record<string, number>;
  deviceName(dev: number): string;
  deviceProperties(dev: number): { name: string; totalMemory: number; major: number; minor: number; multiProcessorCount: number };
  alloc(dev: number, nbytes: number): number;
  free(dev: number, ptr: number): void;
  emptyCache(dev: number): void;
  memoryStats(dev: number): Stats;
  resetPeakMemoryStats(dev: number): void;
  write(dev: number, ptr: number, data: ArrayBufferView): void;
  read(dev: number, ptr: number, nbytes: number): Promise<ArrayBuffer>;
  copyDevice(dev: number, dst: number, src: number, nbytes: number): void;
  launch(dev: number, name: string, n: number, args: Uint8Array): void;
  gemm(dev: number, g: Gemm): void;
  synchronize(dev: number): Promise<void>;
  ncclGetUniqueId(): Uint8Array;
  ncclCommInitRank(dev: number, id: Uint8Array, nranks: number, rank: number): Promise<number>;
}

const load = (path: string) => createRequire(import.meta.url)(path) as Addon;
const MiB = 1 << 20;

// A TlArgs block (abi.h) with views given as [ptr, dtype, shape, strides, offset].
type ViewSpec = { ptr: number; dtype: number; shape: number[]; strides: number[]; offset?: number };
function args(views: ViewSpec[], n: number, f: number[] = [], i: number[] = []): Uint8Array {
  const buf = new Uint8Array(728);
  const dv = new DataView(buf.buffer);
  views.forEach((v, k) => {
    const o = k * 152;
    dv.setBigUint64(o, BigInt(v.ptr), true);
    dv.setBigInt64(o + 8, BigInt(v.offset ?? 0), true);
    dv.setInt32(o + 16, v.dtype, true);
    dv.setInt32(o + 20, v.shape.length, true);
    v.shape.forEach((s, d) => dv.setBigInt64(o + 24 + 8 * d, BigInt(s), true));
    v.strides.forEach((s, d) => dv.setBigInt64(o + 88 + 8 * d, BigInt(s), true));
  });
  dv.setBigInt64(608, BigInt(n), true);
  i.forEach((x, k) => dv.setBigInt64(616 + 8 * k, BigInt(x), true));
  f.forEach((x, k) => dv.setFloat64(696 + 8 * k, x, true));
  return buf;
}
const F32 = 0, F16 = 1, I32 = 3;

/** Runs `body` (JS using `a`, the emulated addon after init) in a fresh process with env; returns its JSON output. */
function child(env: Record<string, string>, body: string, init = "a.init({ fatbin: '', libs: [] });"): unknown {
  const code = `const a = require(${JSON.stringify(emuPath)}); ${init}
    const out = (v) => process.stdout.write(JSON.stringify(v));
    (async () => { ${body} })().catch((e) => { out({ uncaught: e.message }); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' }));
}

describe.skipIf(!hasEmu)('CUDA addon (emulated build)', () => {
  const a = hasEmu ? load(emuPath) : (undefined as unknown as Addon);
  const info = hasEmu ? a.init({ fatbin: '', libs: [] }) : undefined;

  it('initialises as the emulator with two devices and reports the TlArgs layout', () => {
    expect(info).toEqual({ ok: true, emulated: true, deviceCount: 2, driverVersion: 0, cublas: '(emulated: host loop)', nccl: null });
    expect(a.abiLayout()).toEqual({ size: 728, n: 608, i: 616, f: 696, view: 0, viewSize: 152 });
    expect(a.deviceName(1)).toBe('torchlet CUDA emulator (host CPU)');
    expect(a.deviceProperties(0)).toMatchObject({ totalMemory: 4 * 1024 * MiB, major: 9, minor: 0 });
    expect(() => a.alloc(2, 16)).toThrow('CUDA error: invalid device ordinal: cuda:2 (2 CUDA devices: cuda:0..cuda:1)');
    expect(() => a.alloc(0, -1)).toThrow('nbytes must be a non-negative integer');
  });

  it('init() with malformed options reports why without initialising; a later call still can', () => {
    const r = child({}, `out({ bad: a.init({ fatbin: 3, libs: [] }), notYet: (() => { try { a.alloc(0, 4); } catch (e) { return e.message; } })(),
      good: a.init({ fatbin: '', libs: [] }), again: a.init({ fatbin: 'ignored', libs: ['x'] }) });`, '') as Record<string, Record<string, unknown> | string>;
    expect(r.bad).toEqual({ ok: false, reason: 'init: fatbin must be a string', emulated: true, deviceCount: 0, driverVersion: 0, cublas: null, nccl: null });
    expect(r.notYet).toBe('the CUDA addon is not initialised: call init() first');
    expect(r.good).toMatchObject({ ok: true, deviceCount: 2 });
    expect(r.again).toEqual(r.good); // initialised once per process (per JS environment)
  });

  it('writes and reads back every dtype, at offsets inside an allocation', async () => {
    const samples: ArrayBufferView[] = [
      new Float32Array([1.5, -2.25, NaN, Infinity]), new Float64Array([Math.PI, -0, 1e-300]), new Int32Array([-7, 2 ** 31 - 1, 0]),
      new Uint8Array([0, 255, 1, 128, 7]), new Uint16Array([0x3c00, 0x7e00, 0x8001]),
    ];
    for (const s of samples) {
      const p = a.alloc(0, s.byteLength);
      a.write(0, p, s);
      const back = await a.read(0, p, s.byteLength);
      expect(new Uint8Array(back)).toEqual(new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
      a.free(0, p);
    }
    const p = a.alloc(0, 16);
    a.write(0, p, new Int32Array([1, 2, 3, 4]));
    a.write(0, p + 4, new Int32Array([20]));
    expect(new Int32Array(await a.read(0, p + 4, 8))).toEqual(new Int32Array([20, 3]));
    expect(() => a.write(0, p + 8, new Int32Array(3))).toThrow(/write: 12 bytes at 0x[0-9a-f]+ run past the end of the allocation at 0x[0-9a-f]+ \(16 bytes\) on cuda:0/);
    expect(() => a.read(0, p, 17)).toThrow(/read: 17 bytes/);
    expect(() => a.write(0, 12345, new Uint8Array(1))).toThrow('write: 0x3039 is not a live allocation on cuda:0');
    a.free(0, p);
  });

  it('orders reads, writes and copies as the stream does; write copies its data before returning', async () => {
    const p = a.alloc(0, 12), q = a.alloc(0, 12);
    const src = new Float32Array([1, 2, 3]);
    a.write(0, p, src);
    src[0] = 99; // after write returned: must not reach the device
    const before = a.read(0, p, 12);
    a.write(0, p, new Float32Array([4, 5, 6])); // queued after the read
    a.copyDevice(0, q, p, 12);
    expect(new Float32Array(await before)).toEqual(new Float32Array([1, 2, 3]));
    expect(new Float32Array(await a.read(0, q, 12))).toEqual(new Float32Array([4, 5, 6]));
    expect(() => a.copyDevice(0, q, p, 16)).toThrow(/copyDevice \(dst\): 16 bytes/);
    await a.synchronize(0);
    a.free(0, p);
    a.free(0, q);
  });

  it('caches freed blocks by size class, reuses them, and gives them back on emptyCache', () => {
    a.emptyCache(1);
    const base = a.memoryStats(1);
    expect(base).toEqual({ allocated: 0, reserved: 0, maxAllocated: base.maxAllocated, segments: 0 });
    const p = a.alloc(1, 1000); // 512-byte classes below 1 MiB
    expect(a.memoryStats(1)).toMatchObject({ allocated: 1024, reserved: 1024, segments: 1 });
    a.free(1, p);
    expect(a.memoryStats(1)).toMatchObject({ allocated: 0, reserved: 1024, segments: 1 });
    expect(a.alloc(1, 1024)).toBe(p); // same class: the cached block again
    expect(a.memoryStats(1)).toMatchObject({ allocated: 1024, reserved: 1024, segments: 1 });
    const big = a.alloc(1, 3 * MiB); // 2 MiB classes above 1 MiB
    expect(a.memoryStats(1)).toMatchObject({ allocated: 1024 + 4 * MiB, reserved: 1024 + 4 * MiB, maxAllocated: 1024 + 4 * MiB, segments: 2 });
    a.free(1, big);
    expect(a.alloc(1, 3.5 * MiB)).toBe(big);
    a.free(1, big);
    a.resetPeakMemoryStats(1);
    expect(a.memoryStats(1).maxAllocated).toBe(1024);
    const zero = a.alloc(1, 0); // a block of its own even for 0 bytes
    expect(zero).not.toBe(p);
    a.free(1, zero);
    a.emptyCache(1);
    expect(a.memoryStats(1)).toEqual({ allocated: 1024, reserved: 1024, maxAllocated: 1536, segments: 1 }); // the 0-byte block raised the peak
    a.free(1, p);
    expect(() => a.free(1, p)).toThrow(/free: 0x[0-9a-f]+ is not a live allocation on cuda:1 \(freed twice\?\)/);
    a.emptyCache(1);
    expect(a.memoryStats(1)).toMatchObject({ allocated: 0, reserved: 0, segments: 0 });
  });

  it('runs out of memory with PyTorch\'s message, after emptying the cache once', () => {
    const r = child({ TORCHLET_CUDA_EMULATE_MEMORY: String(16 * MiB) }, `
      const p = a.alloc(0, 6 * 2 ** 20);            // 6 MiB block
      a.free(0, a.alloc(0, 8 * 2 ** 20));           // 8 MiB cached: 14 MiB reserved
      const q = a.alloc(0, 9 * 2 ** 20);            // 10 MiB fits only once the cache is emptied
      const afterRetry = a.memoryStats(0);
      let message = null;
      try { a.alloc(0, 2 ** 31); } catch (e) { message = e.message; }
      out({ afterRetry, message });`) as { afterRetry: Stats; message: string };
    expect(r.afterRetry).toMatchObject({ allocated: 16 * MiB, reserved: 16 * MiB, segments: 2 });
    expect(r.message).toBe('CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 16.00 MiB total capacity; 16.00 MiB already allocated; 16.00 MiB reserved in total by torchlet)');
  });

  it('launches a kernel over n items with its argument block; n = 0 launches nothing', async () => {
    const p = a.alloc(0, 4 * 2000);
    a.write(0, p, new Float32Array(2000));
    // every second float, starting at element 1: out[i] = 0.5 + 0.25 i
    a.launch(0, 'tl_test_iota', 999, args([{ ptr: p, dtype: F32, shape: [999], strides: [2], offset: 1 }], 999, [0.5, 0.25]));
    const out = new Float32Array(await a.read(0, p, 4 * 2000));
    for (let i = 0; i < 999; i++) {
      expect(out[1 + 2 * i]).toBe(0.5 + 0.25 * i);
      expect(out[2 * i]).toBe(0);
    }
    a.launch(0, 'tl_test_iota', 0, args([{ ptr: 8, dtype: F32, shape: [5], strides: [1] }], 0));
    expect(() => a.launch(0, 'tl_no_such_kernel', 1, new Uint8Array(728))).toThrow("unknown CUDA kernel 'tl_no_such_kernel'");
    expect(() => a.launch(0, 'tl_test_iota', 1, new Uint8Array(720))).toThrow('launch tl_test_iota: args.byteLength is 720, expected 728 (abiLayout().size)');
    a.free(0, p);
  });

  it('covers every item once, with ceil(n/256) blocks capped at the grid limit (grid-stride loop)', async () => {
    const n = 1000;
    const v = a.alloc(0, 4 * n), g = a.alloc(0, 4 * n);
    a.write(0, v, new Int32Array(n));
    a.launch(0, 'tl_test_visit', n, args([{ ptr: v, dtype: I32, shape: [n], strides: [1] }, { ptr: g, dtype: I32, shape: [n], strides: [1] }], n));
    expect(new Int32Array(await a.read(0, v, 4 * n))).toEqual(new Int32Array(n).fill(1));
    expect(new Int32Array(await a.read(0, g, 4 * n))).toEqual(new Int32Array(n).fill(4));
    a.free(0, v);
    a.free(0, g);
    const capped = child({ TORCHLET_CUDA_EMULATE_MAX_GRID: '3' }, `
      const n = 5000, v = a.alloc(0, 4 * n), g = a.alloc(0, 4 * n);
      a.write(0, v, new Int32Array(n));
      const args = new Uint8Array(728); const dv = new DataView(args.buffer);
      for (const [k, p] of [[0, v], [1, g]]) { dv.setBigUint64(k * 152, BigInt(p), true); dv.setInt32(k * 152 + 16, 3, true);
        dv.setInt32(k * 152 + 20, 1, true); dv.setBigInt64(k * 152 + 24, BigInt(n), true); dv.setBigInt64(k * 152 + 88, 1n, true); }
      dv.setBigInt64(608, BigInt(n), true);
      a.launch(0, 'tl_test_visit', n, args);
      out({ visits: [...new Int32Array(await a.read(0, v, 4 * n))], grids: [...new Set(new Int32Array(await a.read(0, g, 4 * n)))] });`) as { visits: number[]; grids: number[] };
    expect(capped.visits).toEqual(new Array(5000).fill(1));
    expect(capped.grids).toEqual([3]);
  });

  it('converts float16 as the CPU backend does (round to nearest even, subnormals, overflow, NaN)', async () => {
    const values = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e6, -1e6, 5.960464477539063e-8, 2.9802322387695312e-8, 2.98023259e-8,
      1e-8, 6.097555160522461e-5, 1.00048828125, 1.00146484375, 0.1, -0.3, Infinity, -Infinity, NaN];
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push((seed / 2 ** 31 - 0.5) * 2 ** ((i % 40) - 25));
    }
    const xs = new Float32Array(values), n = xs.length;
    const pin = a.alloc(0, 4 * n), ph = a.alloc(0, 2 * n), pb = a.alloc(0, 4 * n);
    a.write(0, pin, xs);
    a.launch(0, 'tl_test_half', n, args([{ ptr: pin, dtype: F32, shape: [n], strides: [1] }, { ptr: ph, dtype: F16, shape: [n], strides: [1] },
      { ptr: pb, dtype: F32, shape: [n], strides: [1] }], n));
    const bits = new Uint16Array(await a.read(0, ph, 2 * n)), back = new Float32Array(await a.read(0, pb, 4 * n));
    for (let i = 0; i < n; i++) {
      expect(bits[i], `f16 bits of ${xs[i]}`).toBe(f32ToF16Bits(xs[i]!));
      expect(Object.is(back[i], Math.fround(f16BitsToF32(bits[i]!))), `f32 of 0x${bits[i]!.toString(16)}`).toBe(true);
    }
    for (const p of [pin, ph, pb]) a.free(0, p);
  });

  // C = op(A) op(B), column-major, batched with strides: the float64 product computed here.
  function hostGemm(g: Gemm, A: ArrayLike<number>, B: ArrayLike<number>, round: (x: number) => number = (x) => x): Float64Array {
    const C = new Float64Array(g.batch * g.strideC + g.m * g.ldc);
    for (let p = 0; p < g.batch; p++) {
      for (let j = 0; j < g.n; j++) {
        for (let i = 0; i < g.m; i++) {
          let s = 0;
          for (let l = 0; l < g.k; l++) {
            const x = A[p * g.strideA + (g.transA ? l + i * g.lda : i + l * g.lda)]!;
            const y = B[p * g.strideB + (g.transB ? j + l * g.ldb : l + j * g.ldb)]!;
            s += round(x) * round(y);
          }
          C[p * g.strideC + i + j * g.ldc] = s;
        }
      }
    }
    return C;
  }

  for (const [dtype, Arr, tol] of [['float32', Float32Array, 1e-5], ['float64', Float64Array, 1e-12], ['float16', Uint16Array, 3e-3]] as const) {
    it(`gemm ${dtype}: transposes, leading dimensions and batch strides as cublasGemmStridedBatchedEx`, async () => {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const m = 5, n = 3, k = 7, batch = 3;
        const lda = (transA ? k : m) + 2, ldb = (transB ? n : k) + 1, ldc = m + 3;
        const g: Gemm = { transA, transB, m, n, k, lda, ldb, ldc, batch, dtype, tf32: false, a: 0, b: 0, c: 0,
          strideA: lda * (transA ? m : k) + 4, strideB: 0 /* B broadcast over the batch */, strideC: ldc * n + 1 };
        const lenA = g.strideA * batch, lenB = ldb * (transB ? k : n), lenC = g.strideC * batch;
        const vals = (len: number, s: number) => Array.from({ length: len }, (_, i) => Math.round(Math.sin(i * 1.7 + s) * 64) / 32);
        const A = vals(lenA, 1), B = vals(lenB, 2);
        const enc = (v: number[]) => (dtype === 'float16' ? new Uint16Array(v.map(f32ToF16Bits)) : new Arr(v));
        g.a = a.alloc(0, lenA * Arr.BYTES_PER_ELEMENT);
        g.b = a.alloc(0, lenB * Arr.BYTES_PER_ELEMENT);
        g.c = a.alloc(0, lenC * Arr.BYTES_PER_ELEMENT);
        a.write(0, g.a, enc(A));
        a.write(0, g.b, enc(B));
        a.write(0, g.c, new Arr(lenC));
        a.gemm(0, g);
        const raw = new Arr(await a.read(0, g.c, lenC * Arr.BYTES_PER_ELEMENT));
        const got = dtype === 'float16' ? Array.from(raw, f16BitsToF32) : Array.from(raw);
        const want = hostGemm(g, A, B);
        for (let p = 0; p < batch; p++)
          for (let j = 0; j < n; j++)
            for (let i = 0; i < m; i++) {
              const at = p * g.strideC + i + j * ldc;
              expect(Math.abs(got[at]! - want[at]!), `C[${p}][${i},${j}] trans ${transA},${transB}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[at]!)));
            }
        for (const ptr of [g.a, g.b, g.c]) a.free(0, ptr);
      }
    });
  }

  it('gemm with tf32 rounds float32 inputs to 10 mantissa bits; checks its leading dimensions', async () => {
    const pa = a.alloc(0, 4), pb = a.alloc(0, 4), pc = a.alloc(0, 4);
    a.write(0, pa, new Float32Array([1 + 2 ** -12]));
    a.write(0, pb, new Float32Array([3]));
    const g: Gemm = { transA: false, transB: false, m: 1, n: 1, k: 1, a: pa, lda: 1, strideA: 0, b: pb, ldb: 1, strideB: 0, c: pc, ldc: 1, strideC: 0, batch: 1, dtype: 'float32', tf32: false };
    a.gemm(0, g);
    expect(new Float32Array(await a.read(0, pc, 4))[0]).toBe(Math.fround(3 * (1 + 2 ** -12)));
    a.gemm(0, { ...g, tf32: true });
    expect(new Float32Array(await a.read(0, pc, 4))[0]).toBe(3);
    expect(() => a.gemm(0, { ...g, m: 2 })).toThrow('gemm: lda = 1 is less than the 2 rows of A (m)');
    expect(() => a.gemm(0, { ...g, transB: true, n: 3, ldc: 1, ldb: 2 })).toThrow('gemm: ldb = 2 is less than the 3 rows of B (transposed: n)');
    expect(() => a.gemm(0, { ...g, dtype: 'int32' })).toThrow("gemm: dtype must be 'float32', 'float16' or 'float64' (cuBLAS), got 'int32'");
    for (const p of [pa, pb, pc]) a.free(0, p);
  });

  it('NCCL says it is not there', async () => {
    expect(() => a.ncclGetUniqueId()).toThrow('NCCL is not available in the CUDA emulator');
    expect(() => a.ncclCommInitRank(0, new Uint8Array(128), 1, 0)).toThrow('NCCL is not available in the CUDA emulator');
  });

  it('reports an out-of-bounds kernel at the next read, then fails every call on that device (sticky) only', async () => {
    const p = a.alloc(1, 64);
    a.write(1, p, new Float32Array(16));
    // 17 floats into a 64-byte allocation: the launch returns, the fault surfaces at the read
    a.launch(1, 'tl_test_iota', 17, args([{ ptr: p, dtype: F32, shape: [17], strides: [1] }], 17, [1, 1]));
    const msg = 'CUDA error: an illegal memory access was encountered (raised by work queued before this read; set CUDA_LAUNCH_BLOCKING=1 to raise it at the kernel)';
    await expect(a.read(1, p, 64)).rejects.toThrow(msg);
    expect(() => a.alloc(1, 8)).toThrow(msg);
    expect(() => a.launch(1, 'tl_test_iota', 1, new Uint8Array(728))).toThrow(msg);
    await expect(a.synchronize(1)).rejects.toThrow(msg);
    a.free(1, p); // cleanup still works
    const q = a.alloc(0, 4); // the other device is fine
    a.write(0, q, new Float32Array([2]));
    expect(new Float32Array(await a.read(0, q, 4))[0]).toBe(2);
    a.free(0, q);
  });

  it('with CUDA_LAUNCH_BLOCKING=1 raises the fault at the kernel; gemm operands are bounds-checked too', () => {
    const r = child({ CUDA_LAUNCH_BLOCKING: '1' }, `
      const p = a.alloc(0, 16);
      const g = { transA: false, transB: false, m: 2, n: 2, k: 2, a: p, lda: 2, strideA: 0, b: p, ldb: 2, strideB: 0, c: p + 8, ldc: 2, strideC: 0, batch: 1, dtype: 'float32', tf32: false };
      let gemm = null, later = null;
      try { a.gemm(0, g); } catch (e) { gemm = e.message; }
      try { a.alloc(0, 4); } catch (e) { later = e.message; }
      out({ gemm, later });`) as { gemm: string; later: string };
    expect(r.gemm).toMatch(/^CUDA error: an illegal memory access was encountered \(raised by gemm\) \[emulator: gemm operand C reaches bytes \[8, 24\) of the allocation at 0x[0-9a-f]+, which holds 16 bytes\]$/);
    expect(r.later).toBe(r.gemm);
  });
});

const hasReal = existsSync(realPath);
describe.skipIf(!hasReal)('CUDA addon (real build)', () => {
  it('init() never throws: on this machine, without a driver, it says why', () => {
    const r = load(realPath);
    const info = r.init({ fatbin: join(root, 'native-cuda/build/kernels.fatbin'), libs: [] });
    expect(info.emulated).toBe(false);
    expect(r.abiLayout()).toEqual({ size: 728, n: 608, i: 616, f: 696, view: 0, viewSize: 152 });
    if (!existsSync('/dev/nvidiactl')) {
      expect(info).toMatchObject({ ok: false, deviceCount: 0, cublas: null, nccl: null });
      expect(info.reason).toMatch(/^libcuda\.so\.1 not found: no NVIDIA driver is installed \(|^cuInit failed: CUDA_ERROR_/);
      expect(() => r.alloc(0, 4)).toThrow(`CUDA is not available: ${info.reason}`);
    } else {
      expect(info.ok || info.reason).toBeTruthy(); // a GPU machine: native-cuda/test/gpu-check.mjs checks the rest
    }
  });

  // The real addon over a stand-in libcuda.so.1 (native-cuda/test/fake_libcuda.c: host memory, synchronous
  // copies): its driver loading, error wording, staging and argument passing, without a GPU.
  const fakes = mkdtempSync(join(tmpdir(), 'torchlet-fake-cuda-'));
  if (hasReal) {
    const cc = (src: string, out: string, flags: string[] = []) =>
      execFileSync(process.env.CC ?? 'gcc', ['-shared', '-fPIC', '-O1', ...flags, join(root, 'native-cuda/test', src), '-o', join(fakes, out)]);
    for (const dir of ['ok', 'old', 'libs']) mkdirSync(join(fakes, dir));
    cc('fake_libcuda.c', 'ok/libcuda.so.1');
    cc('fake_libcuda.c', 'old/libcuda.so.1', ['-DFAKE_OLD_DRIVER']);
    cc('fake_libcublas.c', 'libs/libcublas.so.13');
    cc('fake_libnccl.c', 'libs/libnccl.so.2');
  }
  afterAll(() => rmSync(fakes, { recursive: true, force: true }));
  const fake = (env: Record<string, string>, body: string, dir = 'ok', libs = fakes): Record<string, unknown> => {
    const code = `const a = require(${JSON.stringify(realPath)});
      const info = a.init({ fatbin: process.env.FATBIN ?? ${JSON.stringify(join(root, 'native-cuda/build/kernels.fatbin'))}, libs: [${JSON.stringify(libs)}] });
      const out = (v) => process.stdout.write(JSON.stringify({ info, ...v }));
      const err = (f) => { try { f(); } catch (e) { return e.message; } return null; };
      (async () => { ${body} })().catch((e) => out({ uncaught: e.message }));`;
    return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: join(fakes, dir), ...env } }));
  };

  it('loads the driver by dlopen: device, memory through pinned staging, a launch by name with its argument block', () => {
    const r = fake({}, `
      const p = a.alloc(0, 4000);
      a.write(0, p, new Float32Array(1000).fill(7));
      const args = ${JSON.stringify(Array.from(args([{ ptr: 0, dtype: F32, shape: [1000], strides: [1] }], 1000, [0.5, 0.25])))};
      const block = new Uint8Array(args); new DataView(block.buffer).setBigUint64(0, BigInt(p), true);
      a.launch(0, 'tl_test_iota', 1000, block);
      const vals = new Float32Array(await a.read(0, p, 4000));
      const again = new Float32Array(await a.read(0, p + 8, 8)); // a second read reuses the staging buffer
      const gemm = { transA: false, transB: false, m: 1, n: 1, k: 1, a: p, lda: 1, strideA: 0, b: p, ldb: 1, strideB: 0, c: p, ldc: 1, strideC: 0, batch: 1, dtype: 'float32', tf32: false };
      out({ name: a.deviceName(0), props: a.deviceProperties(0), iota: vals.every((v, i) => v === 0.5 + 0.25 * i), again: [...again],
        unknown: err(() => a.launch(0, 'tl_no_such_kernel', 1, block)), gemm: info.cublas === null ? err(() => a.gemm(0, gemm)) : 'skipped: cuBLAS is installed',
        oom: err(() => a.alloc(0, 2 ** 31)), nccl: info.nccl === null ? err(() => a.ncclGetUniqueId()) : 'skipped: NCCL is installed',
        stats: (a.free(0, p), a.emptyCache(0), a.memoryStats(0)) });`);
    expect(r.info).toMatchObject({ ok: true, emulated: false, deviceCount: 1, driverVersion: 13000 });
    expect(r).toMatchObject({ name: 'Fake GPU', props: { name: 'Fake GPU', totalMemory: 2 ** 30, major: 9, minor: 0, multiProcessorCount: 132 }, iota: true, again: [1, 1.25] });
    expect(r.unknown).toMatch(/^unknown CUDA kernel 'tl_no_such_kernel' \(not in .*kernels\.fatbin: rebuild with npm run build:cuda\)$/);
    if (!String(r.gemm).startsWith('skipped')) expect(r.gemm).toMatch(/^cuBLAS was not found \(looked for libcublas\.so\.13, libcublas\.so\.12, libcublas\.so\.11 in .*torchlet-fake-cuda-.*, and the loader's default path\)$/);
    if (!String(r.nccl).startsWith('skipped')) expect(r.nccl).toMatch(/^NCCL was not found \(looked for libnccl\.so\.2 in .*\): install PyTorch's nvidia-nccl-cu12 wheel or set TORCHLET_CUDA_LIBS$/);
    // PyTorch's format_size: up to 1 GiB inclusive in MiB
    expect(r.oom).toBe('CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 1024.00 MiB total capacity; 4.00 KiB already allocated; 4.00 KiB reserved in total by torchlet)');
    expect(r.stats).toEqual({ allocated: 0, reserved: 0, maxAllocated: 4096, segments: 0 });
  });

  it('moves big copies through pinned staging in chunks, never reusing a buffer before its copy completed', () => {
    // FAKE_CUDA_LAG: events complete only after 3 queries; the stand-in rejects a copy through a buffer still in flight
    const r = fake({ TORCHLET_CUDA_STAGING_CHUNK: '4096', FAKE_CUDA_LAG: '3' }, `
      const n = 10001, src = new Uint8Array(n).map((_, i) => (i * 7919) % 251);
      const p = a.alloc(0, n), q = a.alloc(0, 100);
      a.write(0, p, src);
      for (let i = 0; i < 20; i++) a.write(0, q, new Uint8Array(100).fill(i));
      const [all, part, last] = await Promise.all([a.read(0, p, n), a.read(0, p + 4000, 5000), a.read(0, q, 100)]);
      a.write(0, p, src.subarray(0, 10)); // the reads' buffers are free again
      out({ all: Buffer.from(all).equals(Buffer.from(src)), part: Buffer.from(part).equals(Buffer.from(src.subarray(4000, 9000))),
        last: new Uint8Array(last).every((x) => x === 19) });`);
    expect(r).toEqual({ info: expect.objectContaining({ ok: true }), all: true, part: true, last: true });
  });

  it('calls cuBLAS (stand-in) with cublasGemmStridedBatchedEx\'s arguments and NCCL (stand-in, one rank) through a Promise', () => {
    const libs = join(fakes, 'libs');
    const r = fake({}, `
      const f32 = (v) => new Float32Array(v), put = (arr) => { const p = a.alloc(0, arr.byteLength); a.write(0, p, arr); return p; };
      const get = async (p, Arr, n) => [...new Arr(await a.read(0, p, n * Arr.BYTES_PER_ELEMENT))];
      // A 2x3 = [[1,2,3],[4,5,6]], B 3x2 = [[7,8],[9,10],[11,12]], column-major; A also stored transposed (lda 3)
      const A = put(f32([1, 4, 2, 5, 3, 6])), At = put(f32([1, 2, 3, 4, 5, 6])), B = put(f32([7, 9, 11, 8, 10, 12])), C = a.alloc(0, 16);
      const g = { transA: false, transB: false, m: 2, n: 2, k: 3, a: A, lda: 2, strideA: 0, b: B, ldb: 3, strideB: 0, c: C, ldc: 2, strideC: 0, batch: 1, dtype: 'float32', tf32: false };
      a.gemm(0, g);
      const plain = await get(C, Float32Array, 4);
      a.gemm(0, { ...g, transA: true, a: At, lda: 3 });
      const transposed = await get(C, Float32Array, 4);
      const D = put(new Float64Array([1, 4, 2, 5, 3, 6])), E = put(new Float64Array([7, 9, 11, 8, 10, 12])), F = a.alloc(0, 32);
      a.gemm(0, { ...g, a: D, b: E, c: F, dtype: 'float64' });
      const f64 = await get(F, Float64Array, 4);
      const x = put(f32([1 + 2 ** -12])), y = put(f32([3])), z = a.alloc(0, 4);
      const one = { ...g, m: 1, n: 1, k: 1, a: x, lda: 1, b: y, ldb: 1, c: z, ldc: 1 };
      a.gemm(0, one);
      const exact = await get(z, Float32Array, 1);
      a.gemm(0, { ...one, tf32: true });
      const tf32 = await get(z, Float32Array, 1);
      const half = err(() => a.gemm(0, { ...one, dtype: 'float16' }));
      const id = a.ncclGetUniqueId();
      const comm = await a.ncclCommInitRank(0, id, 1, 0);
      const s = put(f32([1, 2, 3])), rcv = a.alloc(0, 12);
      a.ncclCollective(comm, 'allReduce', { send: s, recv: rcv, count: 3, dtype: 'float32', redOp: 'avg' });
      const reduced = await get(rcv, Float32Array, 3);
      a.ncclGroupStart();
      a.ncclCollective(comm, 'broadcast', { send: B, recv: rcv, count: 3, dtype: 'float32', root: 0 });
      a.ncclGroupEnd();
      const broadcast = await get(rcv, Float32Array, 3);
      const send = err(() => a.ncclCollective(comm, 'send', { send: s, recv: 0, count: 3, dtype: 'float32', peer: 0 }));
      const badOp = err(() => a.ncclCollective(comm, 'allReduce', { send: s, recv: rcv, count: 3, dtype: 'float32', redOp: 'mean' }));
      a.ncclCommDestroy(comm);
      out({ plain, transposed, f64, exact, tf32, half, idLength: id.length, comm, reduced, broadcast, send, badOp,
        destroyed: err(() => a.ncclCollective(comm, 'allReduce', { send: s, recv: rcv, count: 3, dtype: 'float32' })) });`, 'ok', libs);
    expect(r.info).toMatchObject({ ok: true, cublas: join(libs, 'libcublas.so.13'), nccl: join(libs, 'libnccl.so.2') });
    expect(r).toMatchObject({ plain: [58, 139, 64, 154], transposed: [58, 139, 64, 154], f64: [58, 139, 64, 154],
      exact: [Math.fround(3 * (1 + 2 ** -12))], tf32: [3], idLength: 128, comm: 1, reduced: [1, 2, 3], broadcast: [7, 9, 11] });
    expect(r.half).toBe('cublasGemmStridedBatchedEx failed: CUBLAS_STATUS_NOT_SUPPORTED'); // the stand-in has no float16
    expect(r.send).toBe('NCCL error in nccl send: invalid argument (run with NCCL_DEBUG=WARN for details)');
    expect(r.badOp).toBe("NCCL: unknown redOp 'mean' (sum, prod, max, min, avg)");
    expect(r.destroyed).toBe('NCCL: 1 is not a live communicator');
  });

  it('an asynchronous fault rejects the next read and sticks; CUDA_LAUNCH_BLOCKING=1 raises it at the kernel', () => {
    const msg = 'CUDA error: an illegal memory access was encountered (raised by work queued before this read; set CUDA_LAUNCH_BLOCKING=1 to raise it at the kernel)';
    const r = fake({ FAKE_CUDA_FAULT: '1' }, `
      const p = a.alloc(0, 16);
      let read = null, sync = null;
      try { await a.read(0, p, 16); } catch (e) { read = e.message; }
      try { await a.synchronize(0); } catch (e) { sync = e.message; }
      out({ read, sync, later: err(() => a.alloc(0, 4)) });`);
    expect(r).toMatchObject({ read: msg, sync: msg, later: msg });
    const b = fake({ FAKE_CUDA_FAULT: '1', CUDA_LAUNCH_BLOCKING: '1' }, `
      const p = a.alloc(0, 16), block = new Uint8Array(728), dv = new DataView(block.buffer);
      dv.setBigUint64(0, BigInt(p), true); dv.setBigInt64(88, 1n, true); dv.setBigInt64(608, 4n, true);
      out({ launch: err(() => a.launch(0, 'tl_test_iota', 4, block)), later: err(() => a.alloc(0, 4)) });`);
    expect(b.launch).toBe('CUDA error: an illegal memory access was encountered (raised by kernel tl_test_iota)');
    expect(b.later).toBe(b.launch);
  });

  it('TORCHLET_CUDA_CHECK_BOUNDS=1 refuses a launch whose view leaves its allocation', () => {
    const r = fake({ TORCHLET_CUDA_CHECK_BOUNDS: '1' }, `
      const p = a.alloc(0, 16), block = new Uint8Array(728), dv = new DataView(block.buffer);
      dv.setBigUint64(0, BigInt(p), true); dv.setInt32(20, 1, true); dv.setBigInt64(24, 5n, true); dv.setBigInt64(88, 1n, true); dv.setBigInt64(608, 5n, true);
      const refused = err(() => a.launch(0, 'tl_test_iota', 5, block));
      dv.setBigInt64(24, 4n, true); dv.setBigInt64(608, 4n, true);
      out({ refused, fine: err(() => a.launch(0, 'tl_test_iota', 4, block)) });`);
    expect(r.refused).toMatch(/^kernel tl_test_iota: v0 \(float32, shape \[5\], offset 0\) reaches bytes \[0, 20\) of the allocation at 0x[0-9a-f]+, which holds 16 bytes \(TORCHLET_CUDA_CHECK_BOUNDS\)$/);
    expect(r.fine).toBeNull();
  });

  it('init() reports ok=false with the reason: no device, too old a GPU or driver, no kernel image', () => {
    expect(fake({ FAKE_CUDA_NO_DEVICE: '1' }, 'out({});').info).toEqual({ ok: false, reason: 'cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)',
      emulated: false, deviceCount: 0, driverVersion: 13000, cublas: null, nccl: null });
    expect(fake({ FAKE_CUDA_MAJOR: '7' }, 'out({});').info).toMatchObject({ ok: false,
      reason: "no CUDA device of compute capability 8.0 or newer (torchlet's kernels are built for sm_80 and sm_90)" });
    expect(fake({}, 'out({});', 'old').info).toMatchObject({ ok: false,
      reason: 'libcuda.so.1 lacks cuMemAlloc_v2: the NVIDIA driver is too old for torchlet (CUDA 12 or newer needed)' });
    expect(fake({ FATBIN: '/nonexistent/kernels.fatbin' }, 'out({});').info).toMatchObject({ ok: false,
      reason: 'kernel image /nonexistent/kernels.fatbin not found: run npm run build:cuda' });
  });
});
