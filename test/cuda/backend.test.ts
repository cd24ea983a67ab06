// The CUDA backend beyond the op suite (which runs on 'cuda' whenever it is available): the TlArgs
// packer against the layout the addon reports, matmul through the cuBLAS mapping and through the
// fallback kernel against float64 math for transposed, broadcast, strided and flipped operands,
// Philox numbers equal to the CPU's, poison from bad indices and integer division, memory accounting.
// Runs with the emulated addon (`npm run build:cuda -- --emulate`, TORCHLET_CUDA_EMULATE=1) or a GPU;
// without either, CUDA is unavailable and only the no-addon packer checks run.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import type { View } from '../../src/backends/backend.js';
import { ArgPacker, ARGS_F, ARGS_I, ARGS_N, ARGS_SIZE, VIEW_SIZE } from '../../src/backends/cuda/abi.js';
import { CudaBackend, gemmOperand } from '../../src/backends/cuda/index.js';

const available = torch.cuda.isAvailable();
if (!available) console.warn('\n*** test/cuda/backend.test.ts: no CUDA device, most cases skipped: `npm run test:cuda-emulated` (CI) runs them on the emulated addon ***\n');
const cuda = () => getBackend('cuda') as CudaBackend;

describe('TlArgs packer', () => {
  it('writes abi.h offsets: views of 152 bytes, n at 608, i at 616, f at 696, 728 in all', () => {
    expect([VIEW_SIZE, ARGS_N, ARGS_I, ARGS_F, ARGS_SIZE]).toEqual([152, 608, 616, 696, 728]);
    const p = new ArgPacker().reset();
    p.view(1, { ptr: 2 ** 40 + 3, offset: -5, dtype: 'int32', shape: [2, 3], strides: [-3, 1] }).n(7).i(9, -2).f(3, 0.5);
    const dv = new DataView(p.bytes.buffer);
    const b = VIEW_SIZE;
    expect(dv.getBigUint64(b, true)).toBe(2n ** 40n + 3n);
    expect(dv.getBigInt64(b + 8, true)).toBe(-5n);
    expect([dv.getInt32(b + 16, true), dv.getInt32(b + 20, true)]).toEqual([3, 2]); // TL_I32, ndim
    expect([dv.getBigInt64(b + 24, true), dv.getBigInt64(b + 32, true)]).toEqual([2n, 3n]);
    expect([dv.getBigInt64(b + 88, true), dv.getBigInt64(b + 96, true)]).toEqual([-3n, 1n]);
    expect(dv.getBigInt64(ARGS_N, true)).toBe(7n);
    expect(dv.getBigInt64(ARGS_I + 72, true)).toBe(-2n);
    expect(dv.getFloat64(ARGS_F + 24, true)).toBe(0.5);
    expect(() => p.view(0, { ptr: 0, offset: 0, dtype: 'float32', shape: new Array(9).fill(1), strides: new Array(9).fill(1) })).toThrow(/9 dims/);
  });

  it.runIf(available)('matches the layout the addon was compiled with', () => {
    const l = cuda().addon.abiLayout();
    expect({ size: l.size, n: l.n, i: l.i, f: l.f, viewSize: l.viewSize }).toEqual({ size: ARGS_SIZE, n: ARGS_N, i: ARGS_I, f: ARGS_F, viewSize: VIEW_SIZE });
  });

  it('maps row-major operands to cuBLAS column-major ones, or refuses', () => {
    expect(gemmOperand(4, 3, 3, 1)).toEqual({ trans: false, ld: 3 }); // contiguous
    expect(gemmOperand(4, 3, 1, 4)).toEqual({ trans: true, ld: 4 }); // a transposed view
    expect(gemmOperand(4, 3, 8, 1)).toEqual({ trans: false, ld: 8 }); // rows of a wider matrix
    expect(gemmOperand(4, 3, 6, 2)).toBeNull(); // every other column: copy first
    expect(gemmOperand(4, 3, 0, 1)).toBeNull(); // rows broadcast (ld < cols)
    expect(gemmOperand(1, 3, 0, 1)).toEqual({ trans: false, ld: 3 }); // one row: its stride does not matter
  });
});

/** float64 reference of out[b] = a[b] @ b[b] from nested host arrays. */
function refMatmul(a: number[][][], b: number[][][]): number[] {
  const out: number[] = [];
  for (let t = 0; t < a.length; t++) {
    const A = a[t]!, B = b[a.length === b.length ? t : 0]!;
    for (let i = 0; i < A.length; i++) for (let j = 0; j < B[0]!.length; j++) {
      let s = 0;
      for (let k = 0; k < B.length; k++) s += A[i]![k]! * B[k]![j]!;
      out.push(s);
    }
  }
  return out;
}
const nested = async (t: torch.Tensor): Promise<number[][][]> => (await t.tolist()) as number[][][];

describe.skipIf(!available)('cuda matmul', () => {
  // Operand layouts: contiguous, transposed, broadcast batch, every-other column (strided), flipped.
  const cases: [string, (x: torch.Tensor) => torch.Tensor][] = [
    ['contiguous', (x) => x],
    ['transposed', (x) => x.transpose(1, 2).contiguous().transpose(1, 2)],
    ['strided', (x) => torch.stack([x, x], 3).select(3, 0)], // inner stride 2
    ['flipped', (x) => x.flip([1]).contiguous().flip([1])],
  ];
  for (const dtype of ['float32', 'float64', 'float16', 'int32'] as const) {
    for (const [name, layout] of cases) {
      it(`${dtype}: ${name} operands, cuBLAS path and fallback kernel, against float64 math`, async () => {
        torch.manualSeed(7);
        const int = dtype === 'int32';
        const mk = (s: number[]) => (int ? torch.randint(-4, 5, s, { dtype: 'int32' }) : torch.randn(s).to(dtype === 'float16' ? 'float16' : dtype));
        const a = mk([2, 3, 5]), b = mk([2, 5, 4]), bb = mk([1, 5, 4]);
        const want = refMatmul(await nested(a.to('float64')), await nested(b.to('float64')));
        const wantB = refMatmul(await nested(a.to('float64')), await nested(bb.to('float64')));
        const tol = dtype === 'float16' ? 2e-2 : dtype === 'float32' ? 1e-5 : 1e-12;
        const be = cuda();
        const fallback = new CudaBackend(be.addon, be.index, { ...be.info, cublas: null });
        for (const backend of [be, fallback]) {
          const run = (x: torch.Tensor, y: torch.Tensor): Promise<ArrayLike<number>> => {
            const xv = layout(x.to('cuda')).view_(), yv = layout(y.to('cuda')).view_();
            const [B, M] = [Math.max(x.shape[0]!, y.shape[0]!), x.shape[1]!];
            const N = y.shape[2]!;
            const out = torch.empty([B, M, N], { dtype, device: 'cuda' });
            // A batch of one broadcasts by stride 0.
            const widen = (v: View): View => (v.shape[0] === B ? v : { ...v, shape: [B, v.shape[1]!, v.shape[2]!], strides: [0, v.strides[1]!, v.strides[2]!] });
            backend.matmul(widen(xv), widen(yv), out.view_());
            return out.data().then((d) => Array.from(d as ArrayLike<number>));
          };
          for (const [got, exp] of [[await run(a, b), want], [await run(a, bb), wantB]] as const) {
            expect(got.length).toBe(exp.length);
            for (let i = 0; i < exp.length; i++) expect(Math.abs(got[i]! - exp[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(exp[i]!)));
          }
        }
      });
    }
  }
});

describe.skipIf(!available)('cuda long reductions (two stages)', () => {
  it('sum, prod, max, min, argmax, argmin, all, any over 5000-element rows equal the CPU', async () => {
    torch.manualSeed(3);
    const xf = torch.randn([3, 5000]);
    const xi = torch.randint(-3, 4, [3, 5000], { dtype: 'int32' });
    const signs = torch.where(torch.rand([3, 5000]).lt(0.5), -1, 1).to('int32');
    const cases: [string, torch.Tensor, (t: torch.Tensor) => torch.Tensor, number][] = [
      ['sum f32', xf, (t) => t.sum(1), 1e-4], ['sum f64', xf.to('float64'), (t) => t.sum(1), 1e-10],
      ['sum i32', xi, (t) => t.sum(1), 0], ['prod i32', signs, (t) => t.prod(1), 0],
      ['max', xf, (t) => t.amax(1), 0], ['min', xf, (t) => t.amin(1), 0],
      ['argmax', xf, (t) => t.argmax(1), 0], ['argmin', xi, (t) => t.argmin(1), 0],
      ['all', xi, (t) => t.bool().all(1), 0], ['any', xi.eq(9), (t) => t.any(1), 0],
      ['max with NaN', torch.where(torch.arange(5000).eq(4321), NaN, xf), (t) => t.amax(1), 0],
      ['argmax with NaN', torch.where(torch.arange(5000).eq(4321), NaN, xf), (t) => t.argmax(1), 0],
    ];
    for (const [name, x, f, tol] of cases) {
      const want = Array.from(await f(x).data()), got = Array.from(await f(x.to('cuda')).data());
      expect(got.length, name).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        if (Number.isNaN(want[i]!)) expect(Number.isNaN(got[i]!), name).toBe(true);
        else expect(Math.abs(got[i]! - want[i]!), `${name}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!)));
      }
    }
  });
});

describe.skipIf(!available)('cuda Philox', () => {
  it('uniform numbers are the CPU\'s bit for bit (float32, float64, float16)', async () => {
    for (const dtype of ['float32', 'float64', 'float16'] as const) {
      torch.manualSeed(1234);
      const c = await torch.rand([1027], { dtype }).data();
      torch.manualSeed(1234);
      const g = await torch.rand([1027], { dtype, device: 'cuda' }).data();
      expect(Array.from(g)).toEqual(Array.from(c));
    }
  });
  it('normal numbers equal the CPU\'s Box-Muller within float rounding', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      torch.manualSeed(99);
      const c = await torch.randn([1001], { dtype }).data();
      torch.manualSeed(99);
      const g = await torch.randn([1001], { dtype, device: 'cuda' }).data();
      const tol = dtype === 'float64' ? 1e-13 : 1e-6;
      for (let i = 0; i < c.length; i++) expect(Math.abs(g[i]! - c[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(c[i]!)));
    }
  });
});

describe.skipIf(!available)('cuda poison', () => {
  it('a bad gather index poisons the output and what is computed from it, not other tensors', async () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]], { device: 'cuda' });
    const idx = torch.tensor([[0, 7], [1, 2]], { dtype: 'int32', device: 'cuda' });
    const bad = torch.gather(x, 1, idx); // no throw: the kernel flags it
    const derived = bad.mul(2).sum();
    const fine = x.add(1);
    await expect(bad.data()).rejects.toThrow(/gather\(\): index 7 is out of bounds for dimension 1 with size 3 \(flagged on cuda/);
    await expect(derived.data()).rejects.toThrow(/index 7 is out of bounds/);
    expect(Array.from(await fine.data())).toEqual([2, 3, 4, 5, 6, 7]);
  });
  it('integer division by zero raises at the next read', async () => {
    const a = torch.tensor([6, 7], { dtype: 'int32', device: 'cuda' });
    const z = torch.tensor([2, 0], { dtype: 'int32', device: 'cuda' });
    await expect(torch.floorDivide(a, z).data()).rejects.toThrow(/ZeroDivisionError/);
    expect(Array.from(await torch.floorDivide(a, torch.tensor([2, -2], { dtype: 'int32', device: 'cuda' })).data())).toEqual([3, -4]);
  });
});

describe.skipIf(!available)('cuda fused Adam', () => {
  /** Three Adam(W) steps from fixed values on `device`; the bits of the parameter and both moments. */
  async function run(device: 'cpu' | 'cuda', fused: boolean, make: (ps: torch.Tensor[]) => torch.optim.Optimizer): Promise<number[][]> {
    const be = getBackend(device) as { adamStep?: unknown };
    if (!fused) be.adamStep = undefined; // an own property shadows the method: the optimizer composes the update
    try {
      const vals = (n: number, seed: number) => torch.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * (1 + (i % 7))), { device });
      const p = vals(1000, 1).requiresGrad_();
      const opt = make([p]);
      for (let s = 0; s < 3; s++) { p.grad = vals(1000, 10 * s + 3).mul(s === 1 ? 1e-3 : 1); opt.step(); }
      const state = Object.values(opt.state.get(p) ?? {}).filter((v): v is torch.Tensor => v instanceof torch.Tensor);
      return Promise.all([p, ...state].map(async (t) => Array.from(new Uint32Array((await t.detach().contiguous().data()).buffer))));
    } finally { if (!fused) delete be.adamStep; }
  }
  for (const [name, make] of [
    ['Adam with L2 decay and maximize', (ps: torch.Tensor[]) => new torch.optim.Adam(ps, { lr: 1e-3, maximize: true, weightDecay: 0.5 })],
    ['AdamW', (ps: torch.Tensor[]) => new torch.optim.AdamW(ps, { lr: 1e-2, weightDecay: 0.05 })],
  ] as const) {
    it(`${name}: bit-identical to the composed update on cuda and to the CPU's fused step`, async () => {
      const fusedCuda = await run('cuda', true, make), composedCuda = await run('cuda', false, make), cpu = await run('cpu', true, make);
      expect(fusedCuda).toEqual(composedCuda);
      expect(fusedCuda).toEqual(cpu);
    });
  }
});

describe.skipIf(!available || torch.cuda.deviceCount() < 2)('cuda:1', () => {
  it('computes on its own backend and names itself in poison errors', async () => {
    const x = torch.tensor([[1, 2], [3, 4]], { device: 'cuda:1' });
    expect(x.device).toBe('cuda:1');
    expect(Array.from(await x.matmul(x).add(1).data())).toEqual([8, 11, 16, 23]);
    const bad = torch.gather(x, 1, torch.tensor([[0, 2], [1, 0]], { dtype: 'int32', device: 'cuda:1' }));
    await expect(bad.data()).rejects.toThrow(/index 2 is out of bounds for dimension 1 with size 2 \(flagged on cuda:1/);
  });
});

describe.skipIf(!available)('cuda memory', () => {
  it('allocated bytes return to the baseline after frees; emptyCache releases the cached blocks', async () => {
    const be = cuda();
    await be.synchronize();
    const base = be.memory();
    const ts = [1000, 5000, 1 << 20].map((n) => torch.zeros([n], { device: 'cuda' }));
    const during = be.memory();
    expect(during.allocatedBytes - base.allocatedBytes).toBeGreaterThanOrEqual(4 * (1000 + 5000 + (1 << 20)));
    expect(during.buffers - base.buffers).toBe(3);
    for (const t of ts) t.dispose();
    const after = be.memory();
    expect(after.allocatedBytes).toBe(base.allocatedBytes);
    expect(after.buffers).toBe(base.buffers);
    expect(after.reservedBytes).toBeGreaterThanOrEqual(during.allocatedBytes - base.allocatedBytes); // cached for reuse
    be.emptyCache();
    expect(be.memory().reservedBytes).toBeLessThan(after.reservedBytes);
  });
});
