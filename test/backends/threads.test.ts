// The CPU backend's threads (src/backends/wasm/threads.ts, split.ts): every threaded kernel, reached
// through the ops that use it, gives bit for bit the single-thread result with 2 and 3 threads, at
// sizes above and below the threshold that keeps small ops on the calling thread; the workers really
// took calls; setNumThreads/getNumThreads/TORCHLET_NUM_THREADS; a process that used threads exits.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { getBackend } from '../../src/backends/registry.js';
import type { WasmBackend } from '../../src/backends/wasm/index.js';
import { CallList } from '../../src/backends/wasm/threads.js';

const { nn } = torch;
const F = nn.functional;
const cpu = getBackend('cpu') as WasmBackend;
const shared = torch.parallelInfo().sharedMemory;
const before = torch.getNumThreads();
afterAll(() => torch.setNumThreads(before));

/** Deterministic data (no generator state involved): a scrambled sine in [-2, 2]. */
function data(shape: number[], seed = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 2 * Math.sin(i * 12.9898 + seed * 78.233);
  return torch.tensor(v).reshape(shape);
}

/** Runs `fn` with `threads` threads once the workers are up; returns every output's bits. */
async function at(threads: number, fn: () => Tensor[]): Promise<number[][]> {
  torch.setNumThreads(threads);
  if (threads > 1) await cpu.threadPool()!.whenReady(threads - 1);
  return torch.tidy(() => fn().map((t) => Array.from(new Uint32Array(t.contiguous().float().dataSync().buffer))));
}

function sameBits(got: number[][], want: number[][], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    const g = got[k]!, w = want[k]!;
    expect(g.length, `${what}: output ${k} length`).toBe(w.length);
    for (let i = 0; i < w.length; i++) {
      if (g[i] !== w[i]) throw new Error(`${what}: output ${k} element ${i}: bits ${g[i]!.toString(16)} with threads, ${w[i]!.toString(16)} with one`);
    }
  }
}

/** Each case: a name and a function of a size scale (small: below the threshold; large: above). */
const cases: [string, (big: boolean) => Tensor[]][] = [
  ['matmul (square, transposed, batched, broadcast)', (big) => {
    const n = big ? 300 : 12;
    const a = data([n, n + 5]), b = data([n + 5, n - 3], 2), bt = data([n - 3, n + 5], 3);
    const ba = data([big ? 40 : 2, 17, 33]), bb = data([33, 29], 4);
    return [torch.matmul(a, b), torch.matmul(a, bt.t()), torch.matmul(ba, bb), torch.matmul(a.t(), a)];
  }],
  ['matmul past the K blocking, thin and wide', (big) => {
    const m = big ? 70 : 5;
    return [torch.matmul(data([m, 1100]), data([1100, 9], 2)), torch.matmul(data([9, 600]), data([600, big ? 700 : 20], 3))];
  }],
  ['elementwise (binary, broadcast, unary, compare, where, cast)', (big) => {
    const x = data([big ? 300 : 7, 257]), y = data([257], 2), z = data([big ? 300 : 7, 1], 3);
    const m = x.gt(z);
    return [x.add(y), x.mul(z), x.div(y.abs().add(1)), x.exp(), x.tanh(), x.sigmoid(), x.abs().add(1).log(),
      x.sqrt().nanToNum({ nan: 0 }), m.float(), torch.where(m, x, y), x.maximum(z), x.t().relu(), x.mul(2).erf(), F.gelu(x.t())];
  }],
  ['reductions (rows, columns, two dims, argmax)', (big) => {
    const x = data([big ? 400 : 6, 9, 37]);
    // A transposed view's reduced dims run against the strides (a seq-first bias gradient): visited
    // outermost-stride first, they collapse to one strided run.
    const t = x.transpose(0, 1);
    return [x.sum(2), x.sum(0), x.sum([0, 2]), x.amax(2), x.amin(0), x.argmax(2), x.argmin(1), x.mean(1), x.std(2),
      t.sum([0, 1]), t.amax([0, 1]), x.permute([2, 1, 0]).sum([1, 2])];
  }],
  ['full sums (fixed parts of a long row)', (big) => {
    const x = data([big ? 300_017 : 999]);
    return [x.sum(), x.mean(), x.square().sum(), data([3, big ? 70_001 : 50]).sum(1)];
  }],
  ['softmax, logSoftmax, layerNorm, batchNorm', (big) => {
    const x = data([big ? 64 : 2, 16, 50]);
    return [F.softmax(x, -1), F.logSoftmax(x, 1), F.layerNorm(x, [50]), F.batchNorm(x, null, null, { training: true })];
  }],
  ['conv2d and pooling forward and backward', (big) => {
    const x = data([big ? 16 : 1, 3, 20, 20]).requiresGrad_(), w = data([8, 3, 3, 3], 2).requiresGrad_();
    const y = F.maxPool2d(F.relu(F.conv2d(x, w, null, { padding: 1 })), 2);
    const z = F.avgPool2d(y, 2);
    z.mul(data([...z.shape], 3)).sum().backward();
    // 4 channels on 14x14: Winograd forward and both gradients (parts of 8 images when big).
    const x4 = data([big ? 19 : 1, 4, 14, 14], 4).requiresGrad_(), w4 = data([6, 4, 3, 3], 5).requiresGrad_();
    const y4 = F.conv2d(x4, w4, null, { padding: 1 });
    y4.mul(data([...y4.shape], 6)).sum().backward();
    return [y, z, x.grad!, w.grad!, y4, x4.grad!, w4.grad!];
  }],
  ['gather, scatter, scatterAdd, indexSelect, embedding backward', (big) => {
    const rows = big ? 500 : 4;
    const x = data([rows, 70]).requiresGrad_();
    const idx = torch.tensor(Array.from({ length: rows * 70 }, (_, i) => (i * 7919) % 70), { dtype: 'int32' }).reshape([rows, 70]);
    const g = torch.gather(x, 1, idx);
    const s = torch.zeros([rows, 70]).scatter(1, idx, data([rows, 70], 2));
    const sa = torch.zeros([rows, 70]).scatterAdd(1, idx, data([rows, 70], 3));
    const sa0 = torch.zeros([rows, 70]).scatterAdd(0, idx.remainder(rows), data([rows, 70], 4));
    const emb = data([100, 64]).requiresGrad_();
    const ids = torch.tensor(Array.from({ length: rows * 8 }, (_, i) => (i * 31) % 100), { dtype: 'int32' });
    F.embedding(ids, emb).mul(data([rows * 8, 64], 5)).sum().backward();
    g.sum().backward();
    return [g, s, sa, sa0, torch.indexSelect(x, 0, idx.select(1, 0).remainder(rows)), emb.grad!, x.grad!];
  }],
  ['random: rand and dropout (Philox uniform kernel)', (big) => {
    torch.manualSeed(5);
    const x = data([big ? 300 : 3, 257]);
    return [torch.rand([big ? 300 : 3, 257]), F.dropout(x, { p: 0.3, training: true }), torch.rand([7])];
  }],
  ['an op cut into more calls than one batch holds (600 windows of non-merging leading dims)', (big) => {
    const x = data([big ? 600 : 3, 30, 4, 40]).narrow(2, 0, 2).narrow(1, 0, 29);
    return [x.exp(), x.mul(x.narrow(0, 0, 1))];
  }],
  ['copies and fills', (big) => {
    const x = data([big ? 300 : 5, 130]);
    return [x.t().contiguous(), x.reshape([-1, 10]).t().contiguous(), torch.full([big ? 300 : 5, 130], 1.5), torch.zerosLike(x)];
  }],
];

describe.skipIf(!shared)(shared ? 'CPU threads' : 'CPU threads (SKIPPED: no shared memory)', () => {
  let bigCalls = 0;
  for (const [name, fn] of cases) {
    for (const big of [false, true]) {
      it(`${name}, ${big ? 'above' : 'below'} the threshold: 2 and 3 threads give the 1-thread bits`, async () => {
        const one = await at(1, () => fn(big));
        const calls0 = torch.parallelInfo().workerCalls;
        sameBits(await at(2, () => fn(big)), one, '2 threads');
        sameBits(await at(3, () => fn(big)), one, '3 threads');
        // Small ops are one call, which a worker or (when the workers are late) the calling thread
        // runs; large ones are cut. A loaded machine may let the calling thread finish a small batch
        // before a worker wakes: the workers' share is checked over all the large cases below.
        if (big) bigCalls += torch.parallelInfo().workerCalls - calls0;
      });
    }
  }

  it('the workers ran part of the large ops', () => {
    expect(bigCalls, 'kernel calls the workers ran in the cases above the threshold').toBeGreaterThan(0);
  });

  it("an Adam step on a large model gives the 1-thread parameters", async () => {
    const run = () => {
      torch.manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(256, 512), new nn.ReLU(), new nn.Linear(512, 64));
      const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-2 });
      for (let s = 0; s < 2; s++) {
        opt.zeroGrad();
        F.mseLoss(model.forward(data([128, 256], s)), data([128, 64], 9)).backward();
        opt.step();
      }
      return model.parameters().map((p) => p.detach());
    };
    const one = await at(1, run);
    sameBits(await at(2, run), one, '2 threads');
    sameBits(await at(3, run), one, '3 threads');
  });
});

describe('long sums', () => {
  it("a sum cut into float64 parts is the float64 sum of its elements, rounded once", async () => {
    const x = data([300_017]);
    const v = x.dataSync();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]!;
    expect(await x.sum().item()).toBe(Math.fround(s));
  });
  it("a transposed view's sum over its leading dims is each column's float64 sum, rounded once", () => {
    const x = data([40, 9, 37]), v = x.dataSync();
    const got = x.transpose(0, 1).sum([0, 1]).dataSync();
    for (let c = 0; c < 37; c++) {
      let s = 0;
      for (let r = 0; r < 40 * 9; r++) s += v[r * 37 + c]!;
      expect(got[c]).toBe(Math.fround(s));
    }
  });
});

describe('Philox uniform kernel', () => {
  it('gives the bits of the TypeScript reference loop (the generator contract), at any size and offset', () => {
    const kernels = cpu.kernels;
    const draw = (k: typeof kernels) => {
      cpu.useKernels(k);
      torch.manualSeed(2 ** 40 + 12345);
      torch.rand([3]); // an odd offset for what follows
      return [5, 1000, 100_003].map((n) => Array.from(new Uint32Array(torch.rand([n]).dataSync().buffer)));
    };
    try {
      const ref = draw('reference'), fast = draw(kernels);
      for (let i = 0; i < ref.length; i++) expect(fast[i]!, `fill ${i}`).toEqual(ref[i]!);
    } finally {
      cpu.useKernels(kernels);
    }
  });
});

describe('thread settings', () => {
  it('setNumThreads/getNumThreads, and bad values are refused', () => {
    torch.setNumThreads(3);
    expect(torch.getNumThreads()).toBe(shared ? 3 : 1);
    expect(() => torch.setNumThreads(0)).toThrow(/setNumThreads: expected a positive integer number of threads, got 0/);
    expect(() => torch.setNumThreads(1.5)).toThrow(/positive integer/);
    torch.setNumThreads(before);
  });

  const script = (body: string): string => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `import * as torch from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};\n${body}`],
  { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TORCHLET_NUM_THREADS: '3' } });

  it('TORCHLET_NUM_THREADS sets the default', () => {
    expect(script('console.log(torch.getNumThreads());').trim()).toBe(shared ? '3' : '1');
  });

  it('a process that used the threads exits by itself when its work is done', () => {
    // execFileSync's timeout fails this test if the workers kept the process alive.
    const out = script(`const a = torch.randn([400, 400]);
for (let i = 0; i < 20; i++) torch.matmul(a, a).exp().sum(1);
// Workers start in the background (here each also loads tsx): wait for them, then use them.
for (let t = 0; t < 2000 && torch.parallelInfo().workersReady < 2; t++) await new Promise((r) => setTimeout(r, 10));
for (let i = 0; i < 30; i++) torch.matmul(a, a);
const info = torch.parallelInfo();
console.log(JSON.stringify({ ready: info.workersReady, calls: info.workerCalls }));`);
    const info = JSON.parse(out.trim().split('\n').pop()!) as { ready: number; calls: number };
    if (shared) {
      expect(info.ready).toBe(2);
      expect(info.calls).toBeGreaterThan(0);
    }
  });
});

describe('call table', () => {
  it('a call with more arguments than a table row holds is refused, not spilled into the next row', () => {
    const list = new CallList();
    expect(() => list.push('attnBackward', new Array<number>(34).fill(0), 1)).toThrow("cpu: kernel 'attnBackward' takes 34 arguments, more than the call table's 33");
    list.push('attnBackward', new Array<number>(32).fill(0), 1); // attention's backward: 32
    expect(list.length).toBe(1);
  });
});
