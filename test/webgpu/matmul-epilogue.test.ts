// The WebGPU backend's matmul epilogue (Backend.matmulEpilogue, src/backends/webgpu/matmul_epilogue.ts)
// against matmul into a temporary then runComposed on the same backend, bit for bit (whole output
// buffers, so stray writes count): bias add, bias + relu, bias + exact GELU, two outputs, a full
// addend, batches, transposed and offset operands, edge tiles, both tiled kernels and the CPU adapters' one; poison as the
// composed path; the cases it declines return false and write nothing.
// Without an adapter: a failure in CI (CI=true), a loud skip elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { View } from '../../src/backends/backend.js';
import { runComposed, type FusedProgram, type FusedStep } from '../../src/backends/fused.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';
import { contiguousStrides, numel } from '../../src/shape.js';

const available = torch.webgpu.isAvailable();
if (!available && process.env.CI !== 'true') console.warn('\n*** WEBGPU NOT AVAILABLE: test/webgpu/matmul-epilogue.test.ts is skipped ***\n');
describe.runIf(!available && process.env.CI === 'true')('webgpu matmul epilogue in CI', () => {
  it('a WebGPU adapter is available', () => expect.fail('no WebGPU adapter: the matmul epilogue was not tested'));
});

let seed = 11;
function rand(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; v[i] = (seed / 2147483648) * 4 - 2; }
  return v;
}

const add = (a: number, b: number): FusedStep => ({ kind: 'binary', op: 'add', a, b, dtype: 'float32' });
const mul = (a: number, b: number): FusedStep => ({ kind: 'binary', op: 'mul', a, b, dtype: 'float32' });
const k = (value: number): FusedStep => ({ kind: 'const', value, dtype: 'float32' });
const F = 'float32' as const;

/** y = prod + bias: a Linear. */
const BIAS: FusedProgram = { inputs: [F, F], steps: [add(0, 1)], outputs: [2] };
const BIAS_RELU: FusedProgram = { inputs: [F, F], steps: [add(0, 1), { kind: 'unary', op: 'relu', a: 2, dtype: F }], outputs: [3] };
/** y = prod + bias; gelu(y) = y * 0.5 * (1 + erf(y / sqrt 2)), PyTorch's exact GELU as the tracer records it. */
const GELU_STEPS: FusedStep[] = [add(0, 1), k(Math.SQRT1_2), mul(2, 3), { kind: 'unary', op: 'erf', a: 4, dtype: F }, k(1), add(5, 6),
  mul(2, 7), k(0.5), mul(8, 9)];
const BIAS_GELU: FusedProgram = { inputs: [F, F], steps: GELU_STEPS, outputs: [10] };
const Y_AND_GELU: FusedProgram = { inputs: [F, F], steps: GELU_STEPS, outputs: [2, 10] };
/** An addend on the left (a residual), then a scale. */
const ADDEND: FusedProgram = { inputs: [F, F], steps: [add(1, 0), k(3), mul(2, 3)], outputs: [4] };

// Twice: on the GPU kernels, and on the CPU adapters' register-tiled one (WebGPUBackend.cpuMatmul), which takes every float32 product.
describe.skipIf(!available).each(['off', 'on'] as const)('webgpu matmul epilogue = matmul then runComposed, bit for bit (cpuMatmul %s)', (cpu) => {
  const be = (): WebGPUBackend => getBackend('webgpu') as WebGPUBackend;
  let savedCpu: WebGPUBackend['cpuMatmul'] = 'auto';
  beforeAll(() => { savedCpu = be().cpuMatmul; be().cpuMatmul = cpu; });
  afterAll(() => { be().cpuMatmul = savedCpu; });
  const temps: View[] = [];
  /** A float32 view of `shape` with `strides` over a fresh buffer of `span` (default: dense) elements from `offset`. */
  const view = (shape: number[], strides = contiguousStrides(shape), span = numel(shape), offset = 0, data?: Float32Array): View => {
    const buf = be().alloc(Math.max(offset + span, 1) * 4);
    be().write(buf, data ?? rand(offset + span));
    const v: View = { buf, dtype: 'float32', shape, strides, offset };
    temps.push(v);
    return v;
  };
  const free = () => { for (const v of temps.splice(0)) be().free(v.buf); };
  /** The whole buffer's words, or the poison error's message. */
  const whole = async (v: View): Promise<number[] | string> => {
    try {
      const a = await be().read({ ...v, shape: [v.buf.nbytes / 4], strides: [1], offset: 0 });
      return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    } catch (e) { return `error: ${(e as Error).message.replace(/ \(flagged on webgpu.*$/, '')}`; }
  };
  /** Output views over buffers prefilled alike: contiguous, or row-padded at an offset. */
  const outputs = (p: FusedProgram, B: number, M: number, N: number, padded: boolean): View[] => p.outputs.map((_, i) => {
    if (!padded) return view([B, M, N], undefined, undefined, 0, new Float32Array(B * M * N).fill(-7 - i));
    return view([B, M, N], [M * (N + 2), N + 2, 1], B * M * (N + 2), 3, new Float32Array(3 + B * M * (N + 2)).fill(-7 - i));
  });

  /** Runs p fused and composed on a @ b and `ins`; expects the fused one to run on `kernel` and all outputs equal. */
  async function same(p: FusedProgram, a: View, b: View, ins: View[], gpuKernel: 'tiled64' | 'tiled128', padded = false): Promise<void> {
    const [B, M] = a.shape as [number, number], N = b.shape[2]!, kernel = cpu === 'on' ? 'cpu' : gpuKernel;
    const got = outputs(p, B, M, N, padded), want = outputs(p, B, M, N, padded);
    expect(be().matmulEpilogue(a, b, p, ins, got), 'the epilogue ran').toBe(true);
    expect(be().lastMatmul?.kernel).toBe(kernel);
    const prod = view([B, M, N]);
    be().matmul(a, b, prod);
    expect(be().lastMatmul?.kernel).toBe(kernel);
    runComposed(be(), p, [prod, ...ins], want);
    for (let i = 0; i < got.length; i++) {
      const [g, w] = [await whole(got[i]!), await whole(want[i]!)];
      if (typeof g === 'string' || typeof w === 'string') { expect(g, `output ${i}`).toEqual(w); continue; }
      const bad = w.findIndex((x, j) => x !== g[j]);
      expect(bad, `output ${i}: first differing word`).toBe(-1);
    }
    free();
  }

  const dense = (B: number, M: number, K: number, N: number) => [view([B, M, K]), view([B, K, N])] as const;
  const bias = (B: number, M: number, N: number) => view([B, M, N], [0, 0, 1], N);

  it('bias add, bias + relu, bias + exact GELU, y and gelu(y): 64x64 tiles, edges not multiples of the tile', async () => {
    for (const [B, M, K, N] of [[1, 17, 9, 23], [1, 70, 33, 65], [1, 64, 64, 128]] as const) {
      for (const p of [BIAS, BIAS_RELU, BIAS_GELU, Y_AND_GELU]) {
        const [a, b] = dense(B, M, K, N);
        await same(p, a, b, [bias(B, M, N)], 'tiled64');
      }
    }
  });

  it('a full [B,M,N] addend, batched, into strided outputs; transposed and offset operands, broadcast batch of b', async () => {
    const [B, M, K, N] = [3, 40, 21, 50];
    const [a, b] = dense(B, M, K, N);
    await same(ADDEND, a, b, [view([B, M, N])], 'tiled64', true);
    // a stored as [B,K,M], b as one [N,K] weight (a Linear's W.t()), the addend's rows padded at an offset.
    const at = view([B, M, K], [M * K, 1, M], B * M * K, 1), bt = view([B, K, N], [0, 1, K], K * N, 2);
    await same(Y_AND_GELU, at, bt, [view([B, M, N], [M * (N + 1), N + 1, 1], B * M * (N + 1), 1)], 'tiled64');
  });

  it('128x128 tiles: vec4 and scalar loads, transposes, batches, edges', async () => {
    const saved = [be().matmul128MinGroups, be().matmul128MinDim] as const;
    // SwiftShader-sized problems on the large-tile kernel (edge tiles, two tiles along N, a batch).
    be().matmul128MinGroups = 1;
    be().matmul128MinDim = 0;
    try {
      for (const [B, M, K, N] of [[1, 40, 12, 150], [2, 19, 9, 33]] as const) {
        const [a, b] = dense(B, M, K, N);
        await same(BIAS_GELU, a, b, [bias(B, M, N)], 'tiled128');
        const [a2, b2] = dense(B, M, K, N);
        await same(Y_AND_GELU, a2, b2, [view([B, M, N])], 'tiled128', true);
        const at = view([B, M, K], [M * K, 1, M], B * M * K, 1), bt = view([B, K, N], [0, 1, K], K * N);
        await same(BIAS_RELU, at, bt, [bias(B, M, N)], 'tiled128');
      }
    } finally { [be().matmul128MinGroups, be().matmul128MinDim] = saved; }
  });

  it('poison: a poisoned addend taints only the outputs computed from it, a poisoned operand all of them', async () => {
    const [B, M, K, N] = [1, 20, 8, 30];
    // A gather with an out-of-range index poisons its output (flagged on the device).
    const poisoned = (): View => {
      const src = torch.tensor(rand(N), { device: 'webgpu' });
      const t = src.gather(0, torch.tensor(Array.from({ length: N }, (_, i) => (i === 3 ? N + 4 : i)), { dtype: 'int32', device: 'webgpu' }));
      return { ...t.view_(), shape: [B, M, N], strides: [0, 0, 1] };
    };
    // outputs: prod * 3 (no bias) and prod + bias.
    const p: FusedProgram = { inputs: [F, F], steps: [k(3), mul(0, 2), add(0, 1)], outputs: [3, 4] };
    const [a, b] = dense(B, M, K, N);
    await same(p, a, b, [poisoned()], 'tiled64');
    const pa = poisoned();
    await same(p, { ...pa, shape: [B, M, K], strides: [0, 0, 1] }, view([B, K, N]), [bias(B, M, N)], 'tiled64');
  });

  it('scalar operands ride in the metadata: 4 outputs, a bias and 3 scalars (one int32) in 8 bindings; their poison too', async () => {
    const [B, M, K, N] = [2, 24, 10, 36];
    const scalar = (x: number, dtype: 'float32' | 'int32' = 'float32'): View => {
      const buf = be().alloc(16);
      be().write(buf, dtype === 'float32' ? new Float32Array([9, x, 9, 9]) : new Int32Array([9, 9, x, 9]));
      const v: View = { buf, dtype, shape: [B, M, N], strides: [0, 0, 0], offset: dtype === 'float32' ? 1 : 2 };
      temps.push(v);
      return v;
    };
    // y = prod + bias; t = y * s1; e = erf(t); g = y * s2 * (e + 1); h = g * float(n): outputs y, t, e, h.
    const p: FusedProgram = { inputs: [F, F, F, F, 'int32'], steps: [add(0, 1), mul(5, 2), { kind: 'unary', op: 'erf', a: 6, dtype: F }, k(1), add(7, 8),
      mul(5, 3), mul(10, 9), { kind: 'cast', a: 4, dtype: F }, mul(11, 12)], outputs: [5, 6, 7, 13] };
    const [a, b] = dense(B, M, K, N);
    await same(p, a, b, [bias(B, M, N), scalar(Math.SQRT1_2), scalar(0.5), scalar(3, 'int32')], 'tiled64');
    // A poisoned scalar (gather with an out-of-range index) taints only the outputs computed from it.
    const src = torch.tensor([0.5, 2], { device: 'webgpu' });
    const bad = src.gather(0, torch.tensor([1, 7], { dtype: 'int32', device: 'webgpu' }));
    const [a2, b2] = dense(B, M, K, N);
    await same(p, a2, b2, [bias(B, M, N), scalar(Math.SQRT1_2), { ...bad.view_(), shape: [B, M, N], strides: [0, 0, 0] }, scalar(3, 'int32')], 'tiled64');
  });

  it('declines what it cannot match (nothing written): thin products, subgroup matrices, reductions, checks, bindings, dtypes', async () => {
    const [B, M, K, N] = [1, 20, 8, 30];
    const [a, b] = dense(B, M, K, N);
    const declined = async (p: FusedProgram, aa: View, bb: View, ins: View[], n = N, m = M): Promise<void> => {
      const outs = p.outputs.map(() => view([B, m, n], undefined, undefined, 0, new Float32Array(B * m * n).fill(-7)));
      const before = await Promise.all(outs.map(whole));
      expect(be().matmulEpilogue(aa, bb, p, ins, outs)).toBe(false);
      expect(await Promise.all(outs.map(whole))).toEqual(before);
    };
    // N <= 16: matmul runs matmul_small (not on the CPU adapters' kernel, which takes it).
    if (cpu === 'off') await declined(BIAS, a, view([B, K, 16]), [bias(B, M, 16)], 16);
    // The subgroup-matrix kernel (emulated) would take the product.
    const mode = be().subgroupMatmul;
    be().subgroupMatmul = 'emulate';
    try {
      const [a2, b2] = dense(1, 64, 64, 64);
      await declined(BIAS, a2, b2, [bias(1, 64, 64)], 64, 64);
    } finally { be().subgroupMatmul = mode; }
    // A reduction; an integer check (division by zero) in the program.
    await declined({ ...BIAS, reduce: { op: 'sum', nReduce: 1 } }, a, b, [bias(B, M, N)]);
    const I = 'int32' as const;
    const intDiv: FusedProgram = { inputs: [F, I], steps: [{ kind: 'binary', op: 'div', a: 1, b: 1, dtype: I }, { kind: 'cast', a: 2, dtype: F }, add(0, 3)], outputs: [4] };
    const ints = be().alloc(4 * N);
    be().write(ints, new Int32Array(N).fill(2));
    await declined(intDiv, a, b, [{ buf: ints, dtype: I, shape: [B, M, N], strides: [0, 0, 1], offset: 0 }]);
    be().free(ints);
    // 6 addends: 1 + 1 + 2 + 6 bindings exceed the 8 allowed.
    const wide: FusedProgram = { inputs: [F, F, F, F, F, F, F], steps: [add(0, 1), add(7, 2), add(8, 3), add(9, 4), add(10, 5), add(11, 6)], outputs: [12] };
    await declined(wide, a, b, Array.from({ length: 6 }, () => bias(B, M, N)));
    // An addend of the wrong shape; a float16 product.
    await declined(BIAS, a, b, [view([B, M, N - 1], [0, 0, 1], N - 1)]);
    const h = be().alloc(2 * M * K);
    await declined({ ...BIAS, inputs: ['float16', 'float16'] }, { buf: h, dtype: 'float16', shape: [B, M, K], strides: [M * K, K, 1], offset: 0 }, b, [bias(B, M, N)]);
    be().free(h);
    free();
  });

  it('through torch.compile: a training step\'s Linear + GELU on webgpu runs as an epilogue, values and gradients as without it', async () => {
    torch.manualSeed(5);
    const dev = { device: 'webgpu' as const };
    const x = torch.randn([33, 40], dev), w = torch.randn([50, 40], dev).mul(0.2), bb = torch.randn([50], dev);
    // Forward saves values of the chain for backward: several outputs, the bias, GELU's scalars in the metadata.
    const f = (x: Tensor, w: Tensor, b: Tensor) => torch.nn.functional.gelu(torch.nn.functional.linear(x, w, b));
    const words = async (t: Tensor) => Array.from(new Uint32Array(((await t.detach().contiguous().data()) as Float32Array).buffer));
    const run = async () => {
      const cf = torch.compile(f), ps = [w, bb].map((p) => p.clone().requiresGrad_());
      cf(x, ps[0]!, ps[1]!); // trace
      for (const p of ps) p.grad = null;
      const y = cf(x, ps[0]!, ps[1]!);
      y.square().sum().backward();
      return { y: await words(y), grads: await Promise.all(ps.map((p) => words(p.grad!))), info: cf.compileInfo };
    };
    const target = be() as unknown as { matmulEpilogue?: unknown; epilogues: 'auto' | 'on' | 'off' };
    const ran: boolean[] = [], method = be().matmulEpilogue.bind(be());
    // Fallback adapters (SwiftShader) leave chains out of the matmul under torch.compile by default.
    target.epilogues = 'on';
    // Own properties shadow the method: one recording what it returns, then none (the pass finds none).
    target.matmulEpilogue = (...args: Parameters<typeof method>) => { const r = method(...args); ran.push(r); return r; };
    let fused;
    try { fused = await run(); } finally { delete target.matmulEpilogue; }
    expect(fused.info.forward!.epilogues).toBe(1);
    expect(ran.length, 'the backend was asked').toBeGreaterThan(0);
    expect(ran.every((r) => r), 'and ran every epilogue').toBe(true);
    target.matmulEpilogue = undefined;
    let plain;
    try { plain = await run(); } finally { delete target.matmulEpilogue; target.epilogues = 'auto'; }
    expect(plain.info.forward!.epilogues).toBe(0);
    expect(fused.y).toEqual(plain.y);
    fused.grads.forEach((g, i) => expect(g, `grad ${i}`).toEqual(plain.grads[i]));
  });

  it('one pipeline per program and layout, across sizes', async () => {
    const count = () => (be() as unknown as { pipelines: Map<string, unknown> }).pipelines.size;
    const [a0, b0] = dense(1, 30, 10, 40);
    await same(BIAS_RELU, a0, b0, [bias(1, 30, 40)], 'tiled64');
    const n = count();
    for (const [M, K, N] of [[33, 5, 70], [90, 17, 20]]) {
      const [a, b] = dense(1, M!, K!, N!);
      await same(BIAS_RELU, a, b, [bias(1, M!, N!)], 'tiled64');
    }
    expect(count()).toBe(n);
  });
});
