// Random numbers: Philox-4x32-10 against the published Random123 known-answer vectors
// (kat_vectors: zero counter/key, all-ones, and the pi-digits vector), manualSeed reproducibility
// of rand/randn/randint/randperm/dropout, and distribution checks (range, mean/std, permutation).
import { describe, expect, it } from 'vitest';
import { torch, testDevices } from './helpers.js';
import { philox4x32 } from '../src/backends/philox.js';
import { state } from '../src/state.js';
import type { Tensor } from '../src/index.js';

const hex = (w: Uint32Array): string[] => Array.from(w, (v) => v.toString(16).padStart(8, '0'));

describe('Philox-4x32-10 known answers (Random123 kat_vectors)', () => {
  const kat: [number[], number[], string[]][] = [
    [[0, 0, 0, 0], [0, 0], ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], ['d16cfe09', '94fdcceb', '5001e420', '24126ea1']],
  ];
  for (const [ctr, key, want] of kat) {
    it(`counter ${ctr.map((c) => c.toString(16)).join(' ')} key ${key.map((k) => k.toString(16)).join(' ')}`, () => {
      const out = new Uint32Array(4);
      philox4x32(ctr[0]!, ctr[1]!, key[0]!, key[1]!, out, ctr[2], ctr[3]);
      expect(hex(out)).toEqual(want);
    });
  }
});

describe('fill contract shared by every backend', () => {
  // After manualSeed(s), uniform element i is word i%4 of Philox block floor(i/4) (key = s), top
  // 24 bits scaled by 2^-24; normal elements 2j, 2j+1 are Box-Muller (cos, sin) of block j's words 0, 1.
  const words = (block: number, seed: number): Uint32Array => {
    const w = new Uint32Array(4);
    philox4x32(block, 0, seed >>> 0, Math.floor(seed / 2 ** 32), w);
    return w;
  };
  it('rand', () => {
    const seed = 2 ** 33 + 12345; // a seed above 2^32 uses both key words
    torch.manualSeed(seed);
    const got = Array.from(torch.rand([6], { dtype: 'float64' }).dataSync());
    const w = [...words(0, seed), ...words(1, seed)];
    expect(got).toEqual(w.slice(0, 6).map((v) => (v >>> 8) / 2 ** 24));
  });
  it('rand float32 on the cpu (its 4-block SIMD kernel and the scalar tail), counters carrying into the high word', () => {
    const seed = 77;
    for (const start of [0, 2 ** 32 - 2]) { // blocks 2^32 - 2 .. cross into the counter's high word
      torch.manualSeed(seed);
      state.offset = start;
      const n = 16 * 3 + 7;
      const got = Array.from(torch.rand([n], { device: 'cpu' }).dataSync());
      const want: number[] = [];
      for (let b = 0; b < n / 4; b++) {
        const blk = start + b, w = new Uint32Array(4);
        philox4x32(blk >>> 0, Math.floor(blk / 2 ** 32), seed, 0, w);
        want.push(...Array.from(w, (v) => (v >>> 8) / 2 ** 24));
      }
      expect(got).toEqual(want.slice(0, n));
    }
  });
  it('randn', () => {
    torch.manualSeed(99);
    const got = Array.from(torch.randn([4], { dtype: 'float64' }).dataSync());
    const want: number[] = [];
    for (const b of [0, 1]) {
      const w = words(b, 99);
      const u1 = ((w[0]! >>> 8) + 1) / 2 ** 24, u2 = (w[1]! >>> 8) / 2 ** 24;
      const r = Math.sqrt(-2 * Math.log(u1));
      want.push(r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2));
    }
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
  });
});

const draw = (): Tensor[] => [
  torch.rand(5, 3), torch.randn(7), torch.randint(0, 100, [6]), torch.randperm(10),
  torch.nn.functional.dropout(torch.ones(4, 4), 0.5), torch.rand([3], { dtype: 'float64' }),
];

describe('manualSeed reproducibility', () => {
  it('the same seed gives the same rand/randn/randint/randperm/dropout sequence; another seed differs', () => {
    torch.manualSeed(1234);
    const a = draw().map((t) => Array.from(t.dataSync()));
    torch.manualSeed(1234);
    const b = draw().map((t) => Array.from(t.dataSync()));
    expect(b).toEqual(a);
    torch.manualSeed(1235);
    const c = draw().map((t) => Array.from(t.dataSync()));
    expect(c[0]).not.toEqual(a[0]);
    expect(c[1]).not.toEqual(a[1]);
    expect(torch.initialSeed()).toBe(1235);
  });

  it('consecutive draws differ (the counter advances)', () => {
    torch.manualSeed(7);
    expect(Array.from(torch.rand(8).dataSync())).not.toEqual(Array.from(torch.rand(8).dataSync()));
  });

  it('rejects bad seeds', () => {
    expect(() => torch.manualSeed(-1)).toThrow(/non-negative integer/);
    expect(() => torch.manualSeed(1.5)).toThrow(/manualSeed/);
  });
});

describe('the same numbers on every device', () => {
  const others = testDevices().filter((d) => d !== 'cpu');
  it.runIf(others.length > 0)(`cpu vs ${others.join(', ') || 'no other device here'}`, async () => {
    const sample = async (device: torch.Device) => {
      torch.manualSeed(42);
      return [
        Array.from(await torch.rand([33], { device }).data()), Array.from(await torch.randn([17], { device }).data()),
        Array.from(await torch.randint(0, 10, [9], { device }).data()), Array.from(await torch.randperm(12, { device }).data()),
        Array.from(await torch.nn.functional.dropout(torch.ones(16, { device }), 0.5).data()),
      ];
    };
    const ref = await sample('cpu');
    for (const d of others) {
      const got = await sample(d);
      expect(got[0], `rand on ${d}`).toEqual(ref[0]); // exact: 24-bit values are exact in float32
      got[1]!.forEach((v, i) => expect(Math.abs(v - ref[1]![i]!), `randn[${i}] on ${d}`).toBeLessThan(1e-4));
      expect(got.slice(2), `randint/randperm/dropout on ${d}`).toEqual(ref.slice(2));
    }
  });
});

describe('distributions', () => {
  const N = 100_000;
  it('rand is uniform on [0, 1): range, mean 1/2, variance 1/12', () => {
    torch.manualSeed(0);
    const d = torch.rand(N).dataSync();
    let mn = Infinity, mx = -Infinity, s = 0, s2 = 0;
    for (const v of d) { mn = Math.min(mn, v); mx = Math.max(mx, v); s += v; s2 += v * v; }
    const mean = s / N, variance = s2 / N - mean * mean;
    expect(mn).toBeGreaterThanOrEqual(0);
    expect(mx).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // ~5 standard errors
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('rand in float64 and float16 stays below 1', () => {
    torch.manualSeed(3);
    for (const dtype of ['float64', 'float16'] as const) {
      const d = torch.rand([50_000], { dtype }).dataSync();
      expect(Math.max(...d), dtype).toBeLessThan(1);
      expect(Math.min(...d), dtype).toBeGreaterThanOrEqual(0);
    }
  });

  it('randn has mean 0, std 1 and normal tails', () => {
    torch.manualSeed(0);
    const t = torch.randn(N);
    expect(Math.abs(t.mean().itemSync() as number)).toBeLessThan(0.015);
    expect(Math.abs((t.std().itemSync() as number) - 1)).toBeLessThan(0.015);
    // P(|z| > 2) = 0.0455
    const frac = (t.abs().gt(2).sum().itemSync() as number) / N;
    expect(Math.abs(frac - 0.0455)).toBeLessThan(0.004);
    // even and odd elements (cos/sin halves of Box-Muller) are each standard normal
    const ev = t.reshape(-1, 2).select(1, 0), od = t.reshape(-1, 2).select(1, 1);
    expect(Math.abs(ev.mean().itemSync() as number)).toBeLessThan(0.02);
    expect(Math.abs((od.std().itemSync() as number) - 1)).toBeLessThan(0.02);
  });

  it('randint stays in [low, high), hits every value, is int32 by default', () => {
    torch.manualSeed(0);
    const t = torch.randint(-3, 4, [20_000]);
    expect(t.dtype).toBe('int32');
    const d = t.dataSync();
    const counts = new Map<number, number>();
    for (const v of d) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c / 20_000 - 1 / 7)).toBeLessThan(0.015);
    expect(() => torch.randint(5, 5, [2])).toThrow(/from=5 >= to=5/);
    expect(torch.randint(10, [2, 3]).shape).toEqual([2, 3]);
  });

  it('randperm is a permutation of 0..n-1', () => {
    torch.manualSeed(0);
    for (const n of [1, 10, 1000]) {
      const p = Array.from(torch.randperm(n).dataSync()).sort((a, b) => a - b);
      expect(p).toEqual([...Array(n).keys()]);
    }
    torch.manualSeed(0);
    expect(Array.from(torch.randperm(1000).dataSync())).not.toEqual([...Array(1000).keys()]);
  });

  it('dropout zeroes about p of the elements and scales the rest by 1/(1-p)', () => {
    torch.manualSeed(0);
    const d = torch.nn.functional.dropout(torch.ones(N), 0.3).dataSync();
    let zeros = 0;
    for (const v of d) { if (v === 0) zeros++; else expect(v).toBeCloseTo(1 / 0.7, 5); }
    expect(Math.abs(zeros / N - 0.3)).toBeLessThan(0.01);
  });

  it('non-float dtypes are refused by rand/randn', () => {
    expect(() => torch.rand([2], { dtype: 'int32' })).toThrow(/rand.*int32/);
    expect(() => torch.randn([2], { dtype: 'bool' })).toThrow(/randn.*bool/);
  });
});
