// torch.compile's matmul-epilogue pass (src/compile/program.ts `epilogues`): a matmul whose product
// only one elementwise node reads runs with that node as its epilogue (Backend.matmulEpilogue). On
// the CPU a bias add runs inside the GEMM, other chains as a generated kernel the GEMM calls: values
// and gradients bit for bit those of the same compiled function without the pass (the backend's
// method hidden), and close to eager; programs the backend declines run the two original kernels;
// a product read twice keeps its own kernel.

import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';

const F = torch.nn.functional;
const bits = (t: Tensor) => Array.from(new Uint32Array((t.detach().contiguous().dataSync() as Float32Array).slice().buffer));

const cpu = getBackend('cpu');

/**
 * Values and gradients of f(x, ...params): eager, compiled, and compiled with the CPU backend's
 * matmulEpilogue hidden (an own property shadows the method, so the pass finds none); and the
 * compiled function's pass statistics.
 */
function runs(f: (x: Tensor, ...p: Tensor[]) => Tensor, x: Tensor, params: Tensor[]) {
  const run = (g: typeof f) => {
    const ps = params.map((p) => p.clone().requiresGrad_());
    const y = g(x, ...ps);
    y.sum().backward();
    return { y, grads: ps.map((p) => p.grad!) };
  };
  const compiled = () => { const cf = torch.compile(f); run(cf); return { ...run(cf), info: cf.compileInfo }; }; // trace, then replay
  const eager = run(f), comp = compiled();
  (cpu as { matmulEpilogue?: unknown }).matmulEpilogue = undefined;
  try {
    const plain = compiled();
    expect(plain.info.forward!.epilogues).toBe(0);
    return { eager, comp, plain, info: comp.info };
  } finally {
    delete (cpu as { matmulEpilogue?: unknown }).matmulEpilogue;
  }
}
const maxAbs = (t: Tensor) => Math.max(...(t.abs().dataSync() as Float32Array));
const close = (a: Tensor, b: Tensor) => expect(maxAbs(a.sub(b))).toBeLessThanOrEqual(1e-5 * (maxAbs(b) + 1));

describe('matmul epilogue pass', () => {
  it('fuses a Linear\'s bias add (and backward\'s gradient sums) into the GEMM, bit for bit on the CPU', () => {
    torch.manualSeed(3);
    const x = torch.randn([64, 96]);
    const w1 = torch.randn([80, 96]).mul(0.1), b1 = torch.randn([80]), w2 = torch.randn([40, 80]).mul(0.1), b2 = torch.randn([40]);
    // LayerNorm reads the Linear's output twice (mean, then the centering): the bias add is the
    // GEMM's epilogue, not the mean's prologue.
    const f = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
      F.linear(F.gelu(F.layerNorm(F.linear(x, w1, b1), [80])), w2, b2);
    const { eager, comp, plain, info } = runs(f, x, [w1, b1, w2, b2]);
    expect(info.forward!.epilogues).toBe(2);
    expect(info.backward!.epilogues).toBeGreaterThanOrEqual(1);
    // Without epilogues, the chains after the GEMMs fuse into the reductions that read them instead
    // (as side-output prologues), which saves fewer kernels.
    expect(info.forward!.kernels + info.backward!.kernels).toBeLessThan(plain.info.forward!.kernels + plain.info.backward!.kernels);
    expect(bits(comp.y)).toEqual(bits(plain.y));
    expect(bits(comp.y)).toEqual(bits(eager.y));
    comp.grads.forEach((g, i) => { expect(bits(g), `grad ${i}`).toEqual(bits(plain.grads[i]!)); close(g, eager.grads[i]!); });
  });

  it('runs bias + relu after the GEMM as a generated epilogue on the CPU, bit for bit', () => {
    torch.manualSeed(4);
    const x = torch.randn([33, 20]), w = torch.randn([17, 20]), b = torch.randn([17]);
    const f = (x: Tensor, w: Tensor, b: Tensor) => F.linear(x, w, b).relu().mul(2);
    const { eager, comp, plain, info } = runs(f, x, [w, b]);
    expect(info.forward!.epilogues).toBe(1);
    expect(bits(comp.y)).toEqual(bits(plain.y));
    expect(bits(comp.y)).toEqual(bits(eager.y));
    comp.grads.forEach((g, i) => { expect(bits(g), `grad ${i}`).toEqual(bits(plain.grads[i]!)); close(g, eager.grads[i]!); });
  });

  it('runs the original kernels where the backend declines the epilogue (float64 on the CPU)', () => {
    torch.manualSeed(4);
    const x = torch.randn([33, 20], { dtype: 'float64' }), w = torch.randn([17, 20], { dtype: 'float64' }), b = torch.randn([17], { dtype: 'float64' });
    const f = (x: Tensor, w: Tensor, b: Tensor) => F.linear(x, w, b).relu().mul(2);
    const cf = torch.compile(f);
    cf(x, w, b);
    const y = cf(x, w, b);
    expect(cf.compileInfo.forward!.epilogues).toBe(1);
    expect(Array.from(y.dataSync())).toEqual(Array.from(f(x, w, b).dataSync())); // float64: the same kernels as eager
  });

  it('leaves a product that two nodes read as its own matmul', () => {
    const x = torch.randn([8, 8]), w = torch.randn([8, 8]);
    // The sum reads the product itself, beside the elementwise chain.
    const f = (x: Tensor, w: Tensor) => { const p = x.matmul(w); return p.mul(2).add(p.sum()); };
    const cf = torch.compile(f);
    const y = cf(x, w);
    expect(cf.compileInfo.forward!.epilogues).toBe(0);
    expect(bits(y)).toEqual(bits(f(x, w)));
  });
});

describe.runIf(torch.webgpu.isAvailable())('matmul epilogue pass on WebGPU', () => {
  const gpuBits = async (t: Tensor) => Array.from(new Uint32Array((await t.detach().contiguous().data() as Float32Array).slice().buffer));

  it('folds chains into the matmul on GPUs, not on fallback adapters (SwiftShader); the same bits either way', async () => {
    const be = getBackend('webgpu') as unknown as { epilogues: 'auto' | 'on' | 'off'; compileEpilogues: boolean; info: { isFallbackAdapter: boolean } };
    expect(be.compileEpilogues).toBe(!be.info.isFallbackAdapter);
    torch.manualSeed(5);
    const x = torch.randn([64, 96]).to('webgpu'), w = torch.randn([80, 96]).mul(0.1).to('webgpu'), b = torch.randn([80]).to('webgpu');
    // The bias add either runs in the GEMM or joins the LayerNorm's reduction as its prologue.
    const f = (x: Tensor) => F.gelu(F.layerNorm(F.linear(x, w, b), [80]));
    const run = async (mode: 'on' | 'off') => {
      be.epilogues = mode;
      try {
        const cf = torch.compile(f);
        await cf(x).data();
        return { y: await gpuBits(cf(x)), info: cf.compileInfo.forward! };
      } finally { be.epilogues = 'auto'; }
    };
    const on = await run('on'), off = await run('off');
    expect(on.info.epilogues).toBe(1);
    expect(off.info.epilogues).toBe(0);
    expect(off.y).toEqual(on.y);
    expect(on.y).toEqual(await gpuBits(f(x)));
  });
});
