// The WebGPU elementwise kernels specialised to the collapsed rank (rankedElementwise in
// src/backends/webgpu/index.ts: coordinates once per element, each operand's offset a dot product):
// exact ops (multiply, add, where, negate, copy, gather) over views that collapse to 0..6 dims
// (permuted, stepped, flipped, broadcast) equal the CPU's bits, and shapes of one collapsed rank
// share one pipeline. On CPU adapters' terms (cpuElementwise on), invocations that take 4 or 16
// elements each give the bits of one per invocation, for every elementwise family, tails included,
// and flag bad indices alike. Without an adapter: a failure in CI (CI=true), a loud skip elsewhere.
import { describe, expect, it } from 'vitest';
import { torch, wavyValues as values } from '../helpers.js';
import type { Device, Tensor } from '../../src/index.js';
import { realBackend } from '../../src/backends/registry.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

const available = torch.webgpu.isAvailable();
if (!available && process.env.CI !== 'true') console.warn('\n*** WEBGPU NOT AVAILABLE: test/webgpu/elementwise-rank.test.ts is skipped ***\n');
describe.runIf(!available && process.env.CI === 'true')('webgpu elementwise ranks in CI', () => {
  it('a WebGPU adapter is available', () => expect.fail('no WebGPU adapter: the rank-specialised kernels were not tested'));
});

const bits = async (t: Tensor) => Array.from(new Uint32Array((await t.contiguous().data() as Float32Array).slice().buffer));

/**
 * A view of rank r (1..6) that collapses to r dims: a base tensor permuted (reversed dims), every
 * other element taken along dim 0 and the last dim flipped; rank 0 is a scalar.
 */
function odd(r: number, seed: number, device: Device): Tensor {
  if (r === 0) return values([], seed, device);
  const shape = Array.from({ length: r }, (_v, d) => 2 + ((d + r) % 3));
  let t = values([2 * shape[0]!, ...shape.slice(1)].reverse(), seed, device).permute([...Array(r).keys()].reverse());
  t = t.slice(0, 0, 2 * shape[0]!, 2);
  return r > 1 ? t.flip([r - 1]) : t;
}

describe.runIf(available)('webgpu elementwise kernels specialised to the collapsed rank', () => {
  it('exact ops over views of every collapsed rank 0..6 equal the CPU bit for bit', async () => {
    for (let r = 0; r <= 6; r++) {
      const run = (device: Device) => {
        const a = odd(r, 1, device), b = odd(r, 2, device);
        // b broadcast along dim 0 (stride 0) where it has one.
        const bb = r > 0 ? b.narrow(0, 0, 1).expand(b.shape) : b;
        const m = a.mul(bb), s = m.add(b), w = torch.where(a.gt(0), s, b.neg());
        const idx = r > 0 ? torch.zeros(a.shape, { dtype: 'int32', device }) : null;
        const g = idx ? torch.gather(a, r - 1, idx) : a.clone();
        return [m, s, w, g, a.contiguous()];
      };
      const [cpu, gpu] = [run('cpu'), run('webgpu')];
      for (let k = 0; k < cpu.length; k++) expect(await bits(gpu[k]!), `rank ${r}, result ${k}`).toEqual(await bits(cpu[k]!));
    }
  });

  it('one pipeline per collapsed rank: other shapes of that rank add none', async () => {
    const be = realBackend('webgpu') as unknown as { gpu: GPUDevice };
    const gpu = be.gpu as GPUDevice & { createComputePipeline: GPUDevice['createComputePipeline'] };
    const create = gpu.createComputePipeline;
    let created = 0;
    gpu.createComputePipeline = function (this: GPUDevice, d: GPUComputePipelineDescriptor) { created++; return create.call(this, d); };
    try {
      // Rank 2 after collapsing: x [m, n] times a row broadcast down it.
      const mulRows = async (m: number, n: number) => {
        const x = values([m, n], 3, 'webgpu'), y = values([1, n], 4, 'webgpu');
        const want = await bits(values([m, n], 3, 'cpu').mul(values([1, n], 4, 'cpu')));
        expect(await bits(x.mul(y))).toEqual(want);
      };
      await mulRows(3, 5);
      const first = created;
      for (const [m, n] of [[7, 2], [64, 33], [2, 1000]]) await mulRows(m, n);
      expect(created).toBe(first);
    } finally {
      gpu.createComputePipeline = create;
    }
  });

  it('several elements per invocation (cpuElementwise) give the bits of one, in every family', async () => {
    const be = realBackend('webgpu') as unknown as { cpuElementwise: WebGPUBackend['cpuElementwise']; pipelines: Map<string, unknown> };
    const saved = be.cpuElementwise;
    const cases = async () => {
      const out: Tensor[] = [];
      // 16384 elements: 4 per invocation; 70001 and a [3, 160, 151] permuted view: 16, with a tail.
      for (const shape of [[16384], [70001], [3, 160, 151]]) {
        let a = values(shape, 5, 'webgpu'), b = values(shape, 6, 'webgpu');
        if (shape.length === 3) { a = values([151, 160, 3], 5, 'webgpu').permute([2, 1, 0]); b = b.flip([1]); }
        const m = a.mul(b), e = a.exp(), w = torch.where(a.gt(0), m, b), c = a.contiguous();
        const d = a.to({ dtype: 'float16' }).to({ dtype: 'float32' });
        const idx = torch.remainder(torch.arange(a.numel(), { device: 'webgpu', dtype: 'int32' }), 3).reshape(a.shape);
        const g = torch.gather(a, a.dim() - 1, idx);
        const fused = torch.compile((x: Tensor, y: Tensor) => x.mul(y).add(x).sigmoid())(a, b);
        out.push(m, e, w, c, d, g, fused, torch.full(shape, 0.25, { device: 'webgpu' }), torch.arange(a.numel(), { device: 'webgpu' }));
      }
      return Promise.all(out.map(bits));
    };
    try {
      be.cpuElementwise = 'off';
      const one = await cases();
      be.cpuElementwise = 'on';
      const many = await cases();
      many.forEach((v, i) => expect(v, `result ${i}`).toEqual(one[i]));
      const keys = [...be.pipelines.keys()];
      for (const fam of ['binary:mul', 'unary:exp', 'where', 'copy', 'gather', 'fill', 'arange', 'fused']) {
        expect(keys.some((k) => k.startsWith(fam) && k.includes('|per16')), fam).toBe(true);
      }
      expect(keys.some((k) => k.includes('|per4'))).toBe(true);
      // A bad index found by a chunked gather is flagged as by the plain kernel.
      const x = values([70000], 7, 'webgpu'), bad = torch.zeros([70000], { dtype: 'int32', device: 'webgpu' }).indexFill(0, torch.tensor([69999], { device: 'webgpu' }), 70000);
      await expect(torch.gather(x, 0, bad).data()).rejects.toThrow(/index 70000 is out of bounds/);
    } finally { be.cpuElementwise = saved; }
  });
});
