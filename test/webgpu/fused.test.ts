// The WebGPU backend's fused elementwise kernel (Backend.fused, src/backends/webgpu/fused.ts) against
// runComposed on the same backend, bit for bit (raw bytes of whole output buffers, so stray writes
// count too): hand-made programs (broadcast chains, where, casts, constants, several outputs,
// strided/flipped views, 0-size and 0-dim shapes, poison) and seeded random ones; one pipeline per
// program across shapes. Programs ending in a reduction (FusedProgram.reduce, ./fused_reduce.ts): softmax-
// and layernorm-like ones, every op and nReduce, both reduce strategies, declined cases, pipeline reuse.
// Without an adapter: a failure in CI (CI=true), a loud skip elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';
import { getBackend } from '../../src/backends/registry.js';
import { BOOL_BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp, type View } from '../../src/backends/backend.js';
import { runComposed, type FusedProgram, type FusedStep } from '../../src/backends/fused.js';
import { arrayType, itemSize, type DType, type RealDType } from '../../src/dtype.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

const available = torch.webgpu.isAvailable();
if (!available && process.env.CI !== 'true') console.warn('\n*** WEBGPU NOT AVAILABLE: test/webgpu/fused.test.ts is skipped ***\n');
describe.runIf(!available && process.env.CI === 'true')('webgpu fused in CI', () => {
  it('a WebGPU adapter is available', () => expect.fail('no WebGPU adapter: the fused kernel was not tested'));
});

/** mulberry32: a seeded stream in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-40, 0.5, -1, 2, 65504, 1e5];
/** Element values of a dtype: raw words for float16, with specials and small integers mixed in. */
function values(r: Rand, d: DType, n: number): number[] {
  return Array.from({ length: n }, () => {
    switch (d) {
      case 'float32': return r() < 0.15 ? pick(r, SPECIAL) : r() < 0.3 ? int(r, 9) - 4 : (r() - 0.5) * 8;
      case 'float16': return r() < 0.1 ? int(r, 65536) : pick(r, [0x3c00, 0xbc00, 0x0000, 0x8000, 0x3555, 0x4248, 0x7c00, 0x0001, 0x7e00, 0xc500]);
      case 'int32': return r() < 0.1 ? pick(r, [2147483647, -2147483648, 65536]) : int(r, 13) - 6;
      case 'uint8': return int(r, 256);
      default: return int(r, 2);
    }
  });
}

/** A fresh buffer holding `data` (as d's typed array: float16 as raw bits). */
function buffer(be: WebGPUBackend, d: DType, data: number[]): View {
  const T = arrayType(d), arr = new T(Math.max(data.length, 1));
  data.forEach((v, i) => { arr[i] = v; });
  const buf = be.alloc(arr.length * itemSize[d]);
  be.write(buf, arr);
  return { buf, dtype: d as RealDType, shape: [arr.length], strides: [1], offset: 0 };
}

/**
 * A view of `shape` on its own buffer: some dims broadcast (stride 0), the others in a random memory
 * order, some flipped (negative strides), with gaps and an offset.
 */
function stridedView(be: WebGPUBackend, r: Rand, d: DType, shape: readonly number[], broadcast = 0.25, layout = true): View {
  const nd = shape.length, strides = new Array<number>(nd).fill(0);
  const order = [...Array(nd).keys()].sort(() => (layout ? r() - 0.5 : 0)).reverse();
  let acc = 1, offset = layout ? int(r, 3) : 0;
  for (const dim of order) {
    if (r() < broadcast) continue;
    const flip = layout && r() < 0.3;
    strides[dim] = flip ? -acc : acc;
    if (flip) offset += (shape[dim]! - 1) * acc;
    acc *= shape[dim]! + (layout ? int(r, 2) : 0);
  }
  const base = buffer(be, d, values(r, d, offset + acc + 1));
  return { ...base, shape, strides, offset };
}

/** Outputs: contiguous, or transposed inside a larger buffer at an offset (prefilled alike for both runs). */
function outputs(be: WebGPUBackend, p: FusedProgram, shape: readonly number[], strided: boolean, seed: number): () => View[] {
  return () => {
    const r = rng(seed);
    return p.outputs.map((v) => {
      const d = v < p.inputs.length ? p.inputs[v]! : p.steps[v - p.inputs.length]!.dtype;
      if (!strided || shape.length === 0) return { ...buffer(be, d, values(r, d, shape.reduce((a, b) => a * b, 1) + 3)), shape, strides: contig(shape) };
      const rev = [...shape].reverse(), st = contig(rev).reverse(), off = 1 + int(r, 3);
      return { ...buffer(be, d, values(r, d, off + shape.reduce((a, b) => a * b, 1) + 2)), shape, strides: st, offset: off };
    });
  };
}
function contig(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

/** The whole buffer of an output as bytes, or the poison error's message (its call site left out). */
async function whole(be: WebGPUBackend, v: View): Promise<string | Uint8Array> {
  const n = Math.floor(v.buf.nbytes / itemSize[v.dtype]);
  try {
    const a = await be.read({ buf: v.buf, dtype: v.dtype, shape: [n], strides: [1], offset: 0 });
    return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  } catch (e) {
    return `error: ${(e as Error).message.replace(/ \(flagged on webgpu.*$/, '')}`;
  }
}

/** Runs p composed and fused on the same inputs; expects fused to run and every output buffer equal. */
async function same(be: WebGPUBackend, p: FusedProgram, ins: View[], shape: readonly number[], strided = false, seed = 7): Promise<void> {
  const mk = outputs(be, p, shape, strided, seed);
  const want = mk(), got = mk();
  runComposed(be, p, ins, want);
  expect(be.fused(p, ins, got), 'fused ran').toBe(true);
  for (let i = 0; i < want.length; i++) {
    const [w, g] = [await whole(be, want[i]!), await whole(be, got[i]!)];
    if (typeof w === 'string' || typeof g === 'string') expect(g, `output ${i}`).toEqual(w);
    else if (!Buffer.from(w).equals(Buffer.from(g))) expect.fail(`output ${i} (${want[i]!.dtype}) differs:\n  composed ${Array.from(w)}\n  fused    ${Array.from(g)}`);
  }
  for (const v of [...want, ...got]) be.free(v.buf);
}

const u = (op: UnaryOp, a: number, dtype: DType): FusedStep => ({ kind: 'unary', op, a, dtype });
const b = (op: BinaryOp, a: number, bb: number, dtype: DType): FusedStep => ({ kind: 'binary', op, a, b: bb, dtype });
const c = (value: number, dtype: DType): FusedStep => ({ kind: 'const', value, dtype });
const cast = (a: number, dtype: DType): FusedStep => ({ kind: 'cast', a, dtype });
const where = (cond: number, a: number, bb: number, dtype: DType): FusedStep => ({ kind: 'where', cond, a, b: bb, dtype });

describe.skipIf(!available)('webgpu fused kernel = runComposed, bit for bit', () => {
  const be = (): WebGPUBackend => getBackend('webgpu') as WebGPUBackend;

  it('a broadcast multiply-add chain (no contraction across steps), flipped and transposed inputs, strided outputs', async () => {
    const r = rng(1), shape = [5, 4, 3];
    // (x * y + z) * x - y / z, then exp and sigmoid: float32 roundings as the chain's stores give them
    const p: FusedProgram = { inputs: ['float32', 'float32', 'float32'], outputs: [8, 3], steps: [
      b('mul', 0, 1, 'float32'), b('add', 3, 2, 'float32'), b('mul', 4, 0, 'float32'), b('div', 1, 2, 'float32'),
      b('sub', 5, 6, 'float32'), u('exp', 7, 'float32')] };
    for (let k = 0; k < 4; k++) {
      const ins = p.inputs.map((d) => stridedView(be(), r, d, shape));
      await same(be(), p, ins, shape, k % 2 === 1, k);
    }
  });

  it('where, comparisons and several outputs of different dtypes (relu mask and value)', async () => {
    const r = rng(2), shape = [3, 7];
    const p: FusedProgram = { inputs: ['float32', 'float16'], outputs: [3, 5, 7, 0], steps: [
      c(0, 'float32'), b('gt', 0, 2, 'bool'), where(3, 0, 2, 'float32'), cast(1, 'float32'), b('maximum', 4, 5, 'float32'),
      u('logicalNot', 3, 'bool')] };
    for (let k = 0; k < 3; k++) await same(be(), p, p.inputs.map((d) => stridedView(be(), r, d, shape)), shape, k === 1, k);
  });

  it('casts between every dtype: float16 rounding, uint8 wrap, bool, integer truncation', async () => {
    const r = rng(3), shape = [4, 5];
    const dts: DType[] = ['float32', 'float16', 'int32', 'uint8', 'bool'];
    for (const from of dts) {
      const steps: FusedStep[] = dts.map((to) => cast(0, to));
      // float16 arithmetic rounds at every step: x*3 then +0.1 in halves
      steps.push(cast(0, 'float16'), c(3, 'float16'), b('mul', 6, 7, 'float16'), c(0.1, 'float16'), b('add', 8, 9, 'float16'));
      const p: FusedProgram = { inputs: [from], steps, outputs: [1, 2, 3, 4, 5, 10] };
      await same(be(), p, [stridedView(be(), r, from, shape)], shape, from === 'int32');
    }
  });

  it('constants: NaN, infinities, -0, a float32 subnormal, values float16/uint8/bool/int32 cannot hold', async () => {
    const shape = [2, 3];
    const p: FusedProgram = { inputs: [], outputs: [0, 1, 2, 3, 4, 5, 6], steps: [
      c(NaN, 'float32'), c(-0, 'float32'), c(1e-40, 'float16'), c(70000, 'float16'), c(300, 'uint8'), c(2, 'bool'), c(3.7, 'int32')] };
    await same(be(), p, [], shape);
    const q: FusedProgram = { inputs: ['float32'], outputs: [4], steps: [c(-Infinity, 'float32'), b('maximum', 0, 1, 'float32'), c(1e-40, 'float32'), b('add', 2, 3, 'float32')] };
    await same(be(), q, [stridedView(be(), rng(4), 'float32', shape)], shape);
  });

  it('0-size and 0-dim shapes, an output that passes an input through, dead steps', async () => {
    const p: FusedProgram = { inputs: ['float32', 'int32'], outputs: [3, 0], steps: [cast(1, 'float32'), b('mul', 0, 2, 'float32'), u('sqrt', 0, 'float32')] };
    const r = rng(5);
    for (const shape of [[], [0, 3], [3, 0, 2], [1], [1, 1, 4]]) await same(be(), p, p.inputs.map((d) => stridedView(be(), r, d, shape)), shape);
  });

  it('integer division by zero poisons exactly the outputs that depend on it, as in the chain', async () => {
    const shape = [6];
    const x = buffer(be(), 'int32', [7, -7, 3, 0, 5, 9]), y = buffer(be(), 'int32', [2, 2, 0, 1, -2, 3]);
    const p: FusedProgram = { inputs: ['int32', 'uint8', 'int32'], outputs: [7, 5, 3], steps: [
      cast(1, 'int32'), b('floorDivide', 0, 3, 'int32'), b('add', 0, 2, 'int32'), b('remainder', 0, 3, 'int32'), b('sub', 4, 6, 'int32')] };
    const y8 = buffer(be(), 'uint8', [2, 2, 0, 1, 254, 3]);
    await same(be(), p, [x, y8, y], shape); // output 0 (both checks) poisoned, outputs 1 and 2 readable
    const outs = outputs(be(), p, shape, false, 1)();
    expect(be().fused(p, [x, y8, y], outs)).toBe(true);
    await expect(be().read(outs[0]!)).rejects.toThrow(/ZeroDivisionError: integer division or modulo by zero \(flagged on webgpu/);
    expect(Array.from(await be().read(outs[1]!))).toEqual([9, -5, 3, 1, 3, 12]);
    const ok = buffer(be(), 'int32', [1, 2, 3, 4, 5, 6]);
    await same(be(), p, [x, buffer(be(), 'uint8', [1, 2, 3, 4, 5, 6]), ok], shape);
  });

  it('an input poisoned by checkRange taints only the outputs computed from it', async () => {
    const shape = [4];
    const idx = buffer(be(), 'int32', [0, 1, 5, 2]), f = buffer(be(), 'float32', [1, 2, 3, 4]);
    be().checkRange(idx, 0, 3, 'index $V is out of range');
    const p: FusedProgram = { inputs: ['int32', 'float32'], outputs: [2, 3], steps: [cast(0, 'float32'), u('neg', 1, 'float32')] };
    await same(be(), p, [idx, f], shape);
    const mk = outputs(be(), p, shape, false, 1)();
    be().fused(p, [idx, f], mk);
    await expect(be().read(mk[0]!)).rejects.toThrow(/index 5 is out of range/);
    expect(Array.from(await be().read(mk[1]!))).toEqual([-1, -2, -3, -4]);
  });

  it('writes into its own input (in place): reads the old values, as the chain does', async () => {
    const x = buffer(be(), 'float32', [1, 2, 3, 4]), want = buffer(be(), 'float32', [1, 2, 3, 4]);
    const p: FusedProgram = { inputs: ['float32'], outputs: [2], steps: [c(2, 'float32'), b('mul', 0, 1, 'float32')] };
    const rev: View = { ...x, shape: [4], strides: [-1], offset: 3 };
    runComposed(be(), p, [{ ...want, strides: [-1], offset: 3 }], [want]);
    expect(be().fused(p, [rev], [x])).toBe(true);
    expect(Array.from(await be().read(x))).toEqual(Array.from(await be().read(want)));
  });

  it('more outputs than the bindings allow: split into kernels of fewer outputs, each as the chain', async () => {
    // A LayerNorm-affine + GELU that keeps its intermediates (backward reads them): 4 inputs and 6
    // outputs need 11 storage bindings with the metadata; Dawn allows 8 per stage by default.
    const r = rng(11), shape = [5, 7];
    const vec = (n: number, strides: number[]): View => ({ ...buffer(be(), 'float32', values(r, 'float32', n)), shape, strides });
    // x (any layout), per-row mean and rstd (broadcast along rows), a per-column weight.
    const ins = [stridedView(be(), r, 'float32', shape, 0), vec(5, [1, 0]), vec(5, [1, 0]), vec(7, [0, 1])];
    const p: FusedProgram = { inputs: ['float32', 'float32', 'float32', 'float32'], outputs: [4, 5, 6, 8, 9, 10], steps: [
      b('sub', 0, 1, 'float32'), b('mul', 4, 2, 'float32'), b('mul', 5, 3, 'float32'), c(Math.SQRT1_2, 'float32'),
      b('mul', 6, 7, 'float32'), u('erf', 8, 'float32'), b('mul', 9, 6, 'float32')] };
    const max = be().info.limits.maxStorageBuffersPerShaderStage;
    expect(1 + p.outputs.length + p.inputs.length).toBeGreaterThan(max);
    await same(be(), p, ins, shape);
    await same(be(), p, ins, shape, true, 3); // strided outputs
    // Not where an output is also an input's buffer: a later kernel would read what an earlier one wrote.
    const x = buffer(be(), 'float32', Array.from({ length: 35 }, (_, i) => i)), xv: View = { ...x, shape, strides: [7, 1] };
    const outs: View[] = p.outputs.map(() => ({ ...buffer(be(), 'float32', new Array(35).fill(0)), shape, strides: [7, 1] }));
    outs[5] = xv;
    expect(be().fused(p, [xv, ins[1]!, ins[2]!, ins[3]!], outs)).toBe(false);
  });

  it('returns false, doing nothing, where it cannot match the chain', () => {
    const v = (d: DType): View => buffer(be(), d, [1, 2]);
    const no = (p: FusedProgram, ins: View[], outs: View[]) => expect(be().fused(p, ins, outs)).toBe(false);
    no({ inputs: ['float64'], steps: [], outputs: [0] }, [{ ...v('int32'), dtype: 'float64' }], [v('float32')]);
    no({ inputs: ['float32', 'float32'], steps: [b('bitwiseAnd', 0, 1, 'float32')], outputs: [2] }, [v('float32'), v('float32')], [v('float32')]);
    // two different integer checks (one flag slot per dispatch)
    no({ inputs: ['int32', 'int32'], steps: [b('pow', 0, 1, 'int32'), b('div', 2, 1, 'int32')], outputs: [3] }, [v('int32'), v('int32')], [v('int32')]);
    // one output depends on the check, another on only part of it
    no({ inputs: ['int32', 'int32'], steps: [b('div', 0, 1, 'int32'), b('fmod', 0, 1, 'int32'), b('add', 2, 3, 'int32')], outputs: [4, 2] },
      [v('int32'), v('int32')], [v('int32'), v('int32')]);
    // more storage buffers than a shader stage may bind
    const seven = Array.from({ length: 7 }, () => v('float32'));
    no({ inputs: seven.map(() => 'float32'), steps: [1, 2, 3, 4, 5, 6].map((k) => b('add', k === 1 ? 0 : 5 + k, k, 'float32')), outputs: [12] }, seven, [v('float32')]);
    // two outputs in one buffer, and a dtype other than declared
    const o = v('float32');
    no({ inputs: ['float32'], steps: [], outputs: [0, 0] }, [v('float32')], [o, { ...o, offset: 1, shape: [1], strides: [1] }]);
    no({ inputs: ['float32'], steps: [], outputs: [0] }, [v('int32')], [v('float32')]);
  });

  it('one pipeline per collapsed rank serves every shape of that rank and every value of its constants', async () => {
    const gpu = be().gpu as GPUDevice & { createComputePipeline: GPUDevice['createComputePipeline'] };
    const create = gpu.createComputePipeline;
    let created = 0;
    gpu.createComputePipeline = function (this: GPUDevice, d: GPUComputePipelineDescriptor) { created++; return create.call(this, d); };
    try {
      // x * float(h) + k: programs differing only in k generate the same code (k is metadata)
      const prog = (k: number): FusedProgram => ({ inputs: ['float32', 'float16'], outputs: [5], steps: [
        cast(1, 'float32'), c(k, 'float32'), b('mul', 0, 2, 'float32'), b('add', 4, 3, 'float32')] });
      const fusedOnly = (): number => [...be().storageBindings.keys()].filter((k) => k.startsWith('fused#')).length;
      const shapes = [[5, 7], [2, 3, 4], [9], [], [3, 1, 2, 2, 5]];
      // Strided layouts (collapsing to various ranks), bit for bit against the composed kernels.
      const run = async (k: number): Promise<void> => {
        const r = rng(9); // the same layouts on every call
        for (const shape of shapes) await same(be(), prog(k), prog(k).inputs.map((d) => stridedView(be(), r, d, shape)), shape);
      };
      await run(1.5);
      const first = created, keys = fusedOnly();
      expect(first).toBeGreaterThan(0);
      await run(-2); // other constants: no new code, no new pipeline
      expect(fusedOnly()).toBe(keys);
      expect(created).toBe(first);
      // Dense views of any shape collapse to one dim: one kernel serves them all.
      const dense = (shape: number[]) => prog(3).inputs.map((d) => ({ ...buffer(be(), d, values(rng(1), d, shape.reduce((x, y) => x * y, 1))), shape, strides: contig(shape) }));
      for (const shape of [[6, 5], [2, 3, 4], [9], [3, 1, 2, 2, 5]]) await same(be(), prog(3), dense(shape), shape);
      expect(fusedOnly() - keys).toBeLessThanOrEqual(1);
    } finally {
      gpu.createComputePipeline = create;
    }
  });

  it('random programs over every dtype (seeded)', async () => {
    const r = rng(20240611);
    let ran = 0, poisoned = 0;
    const N = 80;
    for (let k = 0; k < N; k++) {
      const p = randomProgram(r);
      const nd = int(r, 4), shape = Array.from({ length: nd }, () => 1 + int(r, 4));
      const ins = p.inputs.map((d) => stridedView(be(), r, d, shape, 0.3, r() < 0.7));
      const mk = outputs(be(), p, shape, r() < 0.4, k);
      const want = mk(), got = mk();
      runComposed(be(), p, ins, want);
      if (!be().fused(p, ins, got)) continue; // only programs with two kinds of integer checks
      ran++;
      for (let i = 0; i < want.length; i++) {
        const [w, g] = [await whole(be(), want[i]!), await whole(be(), got[i]!)];
        const what = `program ${k} ${JSON.stringify(p)} shape [${shape}] output ${i}`;
        if (typeof w === 'string') poisoned++;
        if (typeof w === 'string' || typeof g === 'string') expect(g, what).toEqual(w);
        else if (!Buffer.from(w).equals(Buffer.from(g))) expect.fail(`${what} differs:\n  composed ${Array.from(w)}\n  fused    ${Array.from(g)}`);
      }
    }
    expect(ran).toBeGreaterThan(N * 0.7);
    expect(poisoned).toBeGreaterThan(0); // integer division by zero among them
    console.log(`fused: ${ran} of ${N} random programs ran fused (the others mix two kinds of integer checks), ${poisoned} poisoned outputs`);
  });
});

/** A contiguous output of `shape` and dtype d with 3 spare elements (stray writes show), prefilled alike per seed. */
function reduceOut(be: WebGPUBackend, d: DType, shape: readonly number[], seed: number): View {
  return { ...buffer(be, d, values(rng(seed), d, shape.reduce((a, b) => a * b, 1) + 3)), shape, strides: contig(shape) };
}

/**
 * Runs reduction program p composed and fused; expects fused to run and the whole output buffers
 * equal: the reduced one, and the side outputs (p's outputs before it; transposed at an offset with
 * `stridedSides`).
 */
async function sameReduce(be: WebGPUBackend, p: FusedProgram, ins: View[], outDtype?: DType, seed = 7, stridedSides = false): Promise<void> {
  const shape = ins[0]!.shape, oshape = shape.slice(0, shape.length - p.reduce!.nReduce), last = p.outputs.at(-1)!;
  const d = outDtype ?? (last < p.inputs.length ? p.inputs[last]! : p.steps[last - p.inputs.length]!.dtype);
  const sides = outputs(be, { ...p, outputs: p.outputs.slice(0, -1) }, shape, stridedSides, seed + 1);
  const want = [...sides(), reduceOut(be, d, oshape, seed)], got = [...sides(), reduceOut(be, d, oshape, seed)];
  runComposed(be, p, ins, want);
  const what = `${JSON.stringify(p)} over [${shape}]`;
  expect(be.fused(p, ins, got), `fused ran: ${what}`).toBe(true);
  for (let i = 0; i < want.length; i++) {
    const [w, g] = [await whole(be, want[i]!), await whole(be, got[i]!)];
    const tag = i === want.length - 1 ? what : `side output ${i} of ${what}`;
    if (typeof w === 'string' || typeof g === 'string') expect(g, tag).toEqual(w);
    else if (i < want.length - 1 ? !Buffer.from(w).equals(Buffer.from(g)) : !Buffer.from(nanless(w, d, p)).equals(Buffer.from(nanless(g, d, p)))) {
      expect.fail(`${tag} differs:\n  composed ${Array.from(w)}\n  fused    ${Array.from(g)}`);
    }
  }
  for (const v of [...want, ...got]) be.free(v.buf);
}

/**
 * The bytes with every NaN of a float sum/prod made one NaN: which NaN a sum of several comes out as
 * (sign, payload) is left to the compiler (WGSL does not specify it; SwiftShader's choice follows
 * its code generation), so only that may differ. Every other bit, and every NaN of max/min (which
 * pick an element), must match.
 */
function nanless(bytes: Uint8Array, d: DType, p: FusedProgram): Uint8Array {
  const op = p.reduce!.op, out = bytes.slice();
  if (op !== 'sum' && op !== 'prod') return out;
  if (d === 'float32') new Uint32Array(out.buffer).forEach((w, i, a) => { if ((w & 0x7fffffff) > 0x7f800000) a[i] = 0x7fc00000; });
  if (d === 'float16') new Uint16Array(out.buffer, 0, out.length >> 1).forEach((h, i, a) => { if ((h & 0x7fff) > 0x7c00) a[i] = 0x7e00; });
  return out;
}

/** A [rows, cols] float32 view with specials mixed in (transposed in memory when `t`). */
function matrix(be: WebGPUBackend, r: Rand, rows: number, cols: number, t = false, d: DType = 'float32'): View {
  const v = buffer(be, d, values(r, d, rows * cols));
  return { ...v, shape: [rows, cols], strides: t ? [1, rows] : [cols, 1] };
}
/** A [rows] column broadcast to [rows, cols] (a keepdim reduction's result, [rows, 1] expanded). */
function column(be: WebGPUBackend, r: Rand, rows: number, cols: number, d: DType = 'float32'): View {
  return { ...buffer(be, d, values(r, d, rows)), shape: [rows, cols], strides: [1, 0] };
}

// Twice: with the CPU adapters' strategy (WebGPUBackend.cpuReduce: one invocation per output for rows
// up to cpuReduceMaxLength, here from 4 outputs and up to 1000 elements so these shapes take both) off and on.
describe.skipIf(!available).each(['off', 'on'] as const)('webgpu fused reductions (FusedProgram.reduce) = runComposed, bit for bit (cpuReduce %s)', (cpu) => {
  const be = (): WebGPUBackend => getBackend('webgpu') as WebGPUBackend;
  let saved: [WebGPUBackend['cpuReduce'], number, number] = ['auto', 0, 0];
  beforeAll(() => {
    saved = [be().cpuReduce, be().cpuReduceMinOutputs, be().cpuReduceMaxLength];
    Object.assign(be(), { cpuReduce: cpu, cpuReduceMinOutputs: 4, cpuReduceMaxLength: 1000 });
  });
  afterAll(() => { [be().cpuReduce, be().cpuReduceMinOutputs, be().cpuReduceMaxLength] = saved; });
  // Reduced lengths on both sides of the reduce kernels' strategies (one invocation per output up to
  // 32, a workgroup with a 64-wide tree beyond) and of the tree's width.
  const COLS = [1, 5, 32, 33, 64, 65, 200, 4099];

  it('softmax-like: sum of exp(x - max) with the max broadcast from [rows, 1]; the max itself', async () => {
    const r = rng(31);
    const sumExp: FusedProgram = { inputs: ['float32', 'float32'], outputs: [3], steps: [b('sub', 0, 1, 'float32'), u('exp', 2, 'float32')],
      reduce: { op: 'sum', nReduce: 1 } };
    const max: FusedProgram = { inputs: ['float32'], outputs: [0], steps: [], reduce: { op: 'max', nReduce: 1 } };
    for (const cols of COLS) {
      const rows = 1 + int(r, 6), x = matrix(be(), r, rows, cols, cols % 2 === 1);
      await sameReduce(be(), max, [x]);
      await sameReduce(be(), sumExp, [x, column(be(), r, rows, cols)]);
    }
  });

  it('layernorm-like: mean of (x - mean)^2 over the last one and two dims, constants as metadata', async () => {
    const r = rng(32);
    // ((x - mean) * (x - mean)) * (1 / n), summed
    const varOf = (n: number, nReduce: number): FusedProgram => ({ inputs: ['float32', 'float32'], outputs: [5], steps: [
      b('sub', 0, 1, 'float32'), b('mul', 2, 2, 'float32'), c(1 / n, 'float32'), b('mul', 3, 4, 'float32')], reduce: { op: 'sum', nReduce } });
    for (const cols of COLS) {
      const rows = 1 + int(r, 5);
      await sameReduce(be(), varOf(cols, 1), [matrix(be(), r, rows, cols), column(be(), r, rows, cols)]);
      // [batch, rows, cols] reduced over its last two dims, the mean broadcast from [batch, 1, 1]
      const batch = 1 + int(r, 3), x = buffer(be(), 'float32', values(r, 'float32', batch * rows * cols));
      const mean = buffer(be(), 'float32', values(r, 'float32', batch));
      const shape = [batch, rows, cols];
      await sameReduce(be(), varOf(rows * cols, 2), [{ ...x, shape, strides: contig(shape) }, { ...mean, shape, strides: [1, 0, 0] }]);
    }
  });

  it('chunked reductions (few outputs, long rows: reduceChunks workgroups each, then reduce_parts): sums, extrema with ties across chunks, side outputs, poison', async () => {
    const r = rng(35);
    const sumExp: FusedProgram = { inputs: ['float32', 'float32'], outputs: [3], steps: [b('sub', 0, 1, 'float32'), u('exp', 2, 'float32')],
      reduce: { op: 'sum', nReduce: 1 } };
    const negMax: FusedProgram = { inputs: ['float32'], outputs: [1], steps: [u('neg', 0, 'float32')], reduce: { op: 'max', nReduce: 1 } };
    const sideSum: FusedProgram = { inputs: ['float32', 'float32'], outputs: [2, 3], steps: [b('mul', 0, 1, 'float32'), u('neg', 2, 'float32')],
      reduce: { op: 'sum', nReduce: 2 } };
    // 8192 (2 chunks), 12289 (4, a short last one) and 70001 elements per output, 1 to 3 outputs.
    for (const [rows, cols] of [[1, 8192], [3, 12289], [2, 70001]] as const) {
      const x = matrix(be(), r, rows, cols), col = column(be(), r, rows, cols);
      await sameReduce(be(), sumExp, [x, col]);
      await sameReduce(be(), negMax, [x]);
      await sameReduce(be(), negMax, [matrix(be(), r, rows, cols, true)]);
      const shape = [rows, 97, Math.ceil(cols / 97)];
      await sameReduce(be(), sideSum, [stridedView(be(), r, 'float32', shape), stridedView(be(), r, 'float32', shape)]);
    }
    // The integer check's poison reaches the result through the partials.
    const n = 20000;
    const div: FusedProgram = { inputs: ['int32', 'int32'], outputs: [2], steps: [b('floorDivide', 0, 1, 'int32')], reduce: { op: 'sum', nReduce: 1 } };
    const num = { ...buffer(be(), 'int32', Array.from({ length: n }, (_v, i) => i % 7)), shape: [n], strides: [1] };
    const den = { ...buffer(be(), 'int32', Array.from({ length: n }, (_v, i) => (i === 15000 ? 0 : 3))), shape: [n], strides: [1] };
    const bad = reduceOut(be(), 'int32', [], 2);
    expect(be().fused(div, [num, den], [bad])).toBe(true);
    await expect(be().read(bad)).rejects.toThrow(/ZeroDivisionError: integer division or modulo by zero \(flagged on webgpu/);
    // Eager reduce chunks the same shapes: sums against float64, exact integer sums, and of ties in
    // different chunks the first index, as in one pass.
    const vals = Array.from({ length: 70001 }, (_v, i) => Math.fround(Math.sin(i * 0.37) * 3 + 0.5)), want = vals.reduce((a, v) => a + v, 0);
    const sum = reduceOut(be(), 'float32', [], 3);
    be().reduce('sum', { ...buffer(be(), 'float32', vals), shape: [70001], strides: [1] }, 1, sum);
    // float32 partial sums (~35000): within 4 ulp of the float64 sum.
    expect(Math.abs((await be().read(sum) as Float32Array)[0]! - want)).toBeLessThan(4 * 2 ** -23 * Math.abs(want));
    const isum = reduceOut(be(), 'int32', [], 4);
    be().reduce('sum', num, 1, isum);
    expect((await be().read(isum) as Int32Array)[0]).toBe(Array.from({ length: n }, (_v, i) => i % 7).reduce((a, v) => a + v, 0));
    const tie = new Array<number>(n).fill(1);
    tie[5000] = 9; tie[17000] = 9;
    const am = reduceOut(be(), 'int32', [], 5);
    be().reduce('argmax', { ...buffer(be(), 'float32', tie), shape: [n], strides: [1] }, 1, am);
    expect((await be().read(am) as Int32Array)[0]).toBe(5000);
    const keys = [...(be() as unknown as { pipelines: Map<string, unknown> }).pipelines.keys()];
    for (const k of ['reduce_chunks:sum', 'reduce_parts:sum', 'reduce_parts:max', 'reduce_parts:argmax']) expect(keys.some((x) => x.startsWith(k)), k).toBe(true);
    expect(keys.some((x) => x.startsWith('fused_reduce#') && x.includes('|chunks@'))).toBe(true);
  });

  it('max, min, prod and sum over every nReduce of strided, flipped and broadcast views (NaN, -0, ties)', async () => {
    const r = rng(33);
    for (const op of ['max', 'min', 'prod', 'sum'] as const) {
      for (let k = 0; k < 10; k++) {
        const nd = 1 + int(r, 3), shape = Array.from({ length: nd }, () => 1 + int(r, k < 5 ? 6 : 40));
        const nReduce = int(r, nd + 1);
        // x * y (or x + y for prod, to keep values finite), then neg: two inputs and a step after the broadcast
        const p: FusedProgram = { inputs: ['float32', 'float32'], outputs: [3], reduce: { op, nReduce },
          steps: [b(op === 'prod' ? 'add' : 'mul', 0, 1, 'float32'), u('neg', 2, 'float32')] };
        await sameReduce(be(), p, p.inputs.map(() => stridedView(be(), r, 'float32', shape)));
      }
    }
  });

  it('dtypes: float16 steps, an int32 count of a bool mask, uint8 products, a cast of the result', async () => {
    const r = rng(34);
    for (const cols of [7, 100]) {
      const rows = 3, x = matrix(be(), r, rows, cols, false, 'float16'), m = column(be(), r, rows, cols, 'float16');
      const h: FusedProgram = { inputs: ['float16', 'float16'], outputs: [3], steps: [b('sub', 0, 1, 'float16'), u('exp', 2, 'float16')],
        reduce: { op: 'sum', nReduce: 1 } };
      await sameReduce(be(), h, [x, m]);
      await sameReduce(be(), h, [x, m], 'float32');
      const gt: FusedProgram = { inputs: ['float16', 'float16'], outputs: [2], steps: [b('gt', 0, 1, 'bool')], reduce: { op: 'sum', nReduce: 1 } };
      await sameReduce(be(), gt, [x, m], 'int32');
      const u8: FusedProgram = { inputs: ['uint8'], outputs: [2], steps: [c(1, 'uint8'), b('add', 0, 1, 'uint8')], reduce: { op: 'prod', nReduce: 1 } };
      await sameReduce(be(), u8, [matrix(be(), r, rows, cols, true, 'uint8')]);
      const mn: FusedProgram = { inputs: ['int32', 'int32'], outputs: [2], steps: [b('sub', 0, 1, 'int32')], reduce: { op: 'min', nReduce: 2 } };
      await sameReduce(be(), mn, [matrix(be(), r, rows, cols, false, 'int32'), column(be(), r, rows, cols, 'int32')], 'float32');
    }
  });

  it('poison: integer division by zero in the prologue, and a poisoned input, taint the result as in the chain', async () => {
    const x = buffer(be(), 'int32', [7, -7, 3, 0, 5, 9]), y = buffer(be(), 'int32', [2, 1, 0]);
    const p: FusedProgram = { inputs: ['int32', 'int32'], outputs: [2], steps: [b('floorDivide', 0, 1, 'int32')], reduce: { op: 'sum', nReduce: 1 } };
    const xs: View = { ...x, shape: [2, 3], strides: [3, 1] }, ys: View = { ...y, shape: [2, 3], strides: [0, 1] };
    await sameReduce(be(), p, [xs, ys]);
    const out = reduceOut(be(), 'int32', [2], 1);
    expect(be().fused(p, [xs, ys], [out])).toBe(true);
    await expect(be().read(out)).rejects.toThrow(/ZeroDivisionError: integer division or modulo by zero \(flagged on webgpu/);
    await sameReduce(be(), p, [xs, { ...buffer(be(), 'int32', [2, 1, 3]), shape: [2, 3], strides: [0, 1] }]);
    const idx = buffer(be(), 'int32', [0, 1, 5, 2]);
    be().checkRange(idx, 0, 3, 'index $V is out of range');
    const q: FusedProgram = { inputs: ['int32'], outputs: [0], steps: [], reduce: { op: 'max', nReduce: 1 } };
    await sameReduce(be(), q, [{ ...idx, shape: [2, 2], strides: [2, 1] }]);
  });

  it('an output over its own input (reads the old values), a program with no live input', async () => {
    const r = rng(37), data = values(r, 'float32', 12);
    const sq: FusedProgram = { inputs: ['float32'], outputs: [1], steps: [b('mul', 0, 0, 'float32')], reduce: { op: 'sum', nReduce: 1 } };
    const x = buffer(be(), 'float32', data), want = buffer(be(), 'float32', data);
    runComposed(be(), sq, [{ ...want, shape: [3, 4], strides: [4, 1] }], [{ ...want, shape: [3], strides: [1], offset: 1 }]);
    expect(be().fused(sq, [{ ...x, shape: [3, 4], strides: [4, 1] }], [{ ...x, shape: [3], strides: [1], offset: 1 }])).toBe(true);
    expect(Array.from(await be().read(x))).toEqual(Array.from(await be().read(want)));
    // the input is dead: sum of a constant over the iteration shape [2, 40, 3]
    const k: FusedProgram = { inputs: ['float32'], outputs: [1], steps: [c(0.1, 'float32')], reduce: { op: 'sum', nReduce: 2 } };
    await sameReduce(be(), k, [stridedView(be(), r, 'float32', [2, 40, 3])]);
  });

  it('side outputs: softmax\'s exp and layer norm\'s centred values and mask, written as they are reduced, any layout', async () => {
    const r = rng(38);
    // exp(x - max): written and summed; x - mean written, a bool mask too, (x - mean)^2 / n summed
    const expSide: FusedProgram = { inputs: ['float32', 'float32'], outputs: [3, 3], steps: [b('sub', 0, 1, 'float32'), u('exp', 2, 'float32')],
      reduce: { op: 'sum', nReduce: 1 } };
    const centred = (n: number): FusedProgram => ({ inputs: ['float32', 'float32'], outputs: [2, 6, 5], reduce: { op: 'sum', nReduce: 1 },
      steps: [b('sub', 0, 1, 'float32'), b('mul', 2, 2, 'float32'), c(1 / n, 'float32'), b('mul', 3, 4, 'float32'), b('gt', 0, 1, 'bool')] });
    const maxSide: FusedProgram = { inputs: ['float32', 'float32'], outputs: [2, 3], reduce: { op: 'max', nReduce: 1 },
      steps: [b('mul', 0, 1, 'float32'), u('neg', 2, 'float32')] };
    for (const cols of COLS) {
      const rows = 1 + int(r, 6), x = matrix(be(), r, rows, cols, cols % 2 === 1), m = column(be(), r, rows, cols);
      for (const strided of [false, true]) {
        await sameReduce(be(), expSide, [x, m], undefined, 7, strided);
        await sameReduce(be(), centred(cols), [x, m], undefined, 7, strided);
        await sameReduce(be(), maxSide, [x, m], undefined, 7, strided);
      }
    }
    // float16 sides, over two reduced dims of strided views
    const h: FusedProgram = { inputs: ['float16', 'float16'], outputs: [2, 3, 3], steps: [b('sub', 0, 1, 'float16'), u('exp', 2, 'float16')],
      reduce: { op: 'sum', nReduce: 2 } };
    await sameReduce(be(), h, h.inputs.map(() => stridedView(be(), r, 'float16', [3, 5, 7])), 'float32', 7, true);
  });

  it('side outputs: poison as in the chain, and more sides than the bindings allow (run as an elementwise kernel first)', async () => {
    const x = buffer(be(), 'int32', [7, -7, 3, 0, 5, 9]), y = buffer(be(), 'int32', [2, 1, 0]);
    const xs: View = { ...x, shape: [2, 3], strides: [3, 1] }, ys: View = { ...y, shape: [2, 3], strides: [0, 1] };
    // x // y as a side output and summed; x + y (clean) as a side output too
    const p: FusedProgram = { inputs: ['int32', 'int32'], outputs: [2, 3, 2], steps: [b('floorDivide', 0, 1, 'int32'), b('add', 0, 1, 'int32')],
      reduce: { op: 'sum', nReduce: 1 } };
    await sameReduce(be(), p, [xs, ys]);
    const r = rng(39), max = be().info.limits.maxStorageBuffersPerShaderStage;
    const steps: FusedStep[] = [b('sub', 0, 1, 'float32')];
    for (let k = 0; k < max; k++) steps.push(b('mul', 2 + k, 0, 'float32'));
    const many: FusedProgram = { inputs: ['float32', 'float32'], steps, outputs: [...steps.keys()].map((k) => 2 + k), reduce: { op: 'sum', nReduce: 1 } };
    for (const cols of [5, 200]) await sameReduce(be(), many, [matrix(be(), r, 3, cols), column(be(), r, 3, cols)]);
  });

  it('returns false, doing nothing, where it cannot match the chain', async () => {
    const sum: FusedProgram = { inputs: ['float32'], outputs: [1], steps: [u('exp', 0, 'float32')], reduce: { op: 'sum', nReduce: 1 } };
    const x = matrix(be(), rng(35), 3, 4), fill = [5, 6, 7, 8];
    const out = (): View => ({ ...buffer(be(), 'float32', fill), shape: [3], strides: [1] });
    const no = async (p: FusedProgram, ins: View[], o: View) => {
      const all: View = { ...o, shape: [4], strides: [1], offset: 0 }, before = Array.from(await be().read(all));
      expect(be().fused(p, ins, [o])).toBe(false);
      expect(Array.from(await be().read(all))).toEqual(before);
    };
    await no(sum, [x], { ...out(), strides: [-1], offset: 2 }); // an output the reduce kernels would not write as a view
    // A side output over its input's buffer, and one written twice (stride 0): composed.
    const side: FusedProgram = { ...sum, outputs: [1, 1] }, o1 = out(), before = Array.from(await be().read(o1));
    expect(be().fused(side, [x], [x, o1])).toBe(false);
    expect(be().fused(side, [x], [{ ...out(), shape: [3, 4], strides: [1, 0] }, o1])).toBe(false);
    expect(Array.from(await be().read(o1))).toEqual(before);
    await no(sum, [x], { ...out(), shape: [4] }); // an output not of the reduced shape
    await no(sum, [{ ...x, shape: [3, 0], strides: [1, 1] }], out()); // an empty reduction (max/min throw): runComposed's
    await no({ ...sum, reduce: { op: 'sum', nReduce: 3 } }, [x], out());
    await no({ ...sum, inputs: ['float64'] }, [{ ...x, dtype: 'float64' }], out());
    await no({ inputs: ['float32'], outputs: [1], steps: [b('bitwiseAnd', 0, 0, 'float32')], reduce: { op: 'sum', nReduce: 1 } }, [x], out());
    await no({ inputs: ['int32'], outputs: [2], steps: [b('pow', 0, 0, 'int32'), b('div', 1, 0, 'int32')], reduce: { op: 'sum', nReduce: 1 } },
      [{ ...x, dtype: 'int32' }], { ...out(), dtype: 'int32' }); // two kinds of integer checks
  });

  it('one pipeline per program and strategy serves every shape and every value of its constants', async () => {
    const gpu = be().gpu as GPUDevice & { createComputePipeline: GPUDevice['createComputePipeline'] };
    const create = gpu.createComputePipeline;
    let created = 0;
    gpu.createComputePipeline = function (this: GPUDevice, d: GPUComputePipelineDescriptor) { created++; return create.call(this, d); };
    try {
      const prog = (k: number): FusedProgram => ({ inputs: ['float32', 'float32'], outputs: [4], reduce: { op: 'sum', nReduce: 1 },
        steps: [b(cpu === 'on' ? 'add' : 'sub', 0, 1, 'float32'), c(k, 'float32'), b('mul', 2, 3, 'float32')] }); // fresh code per describe
      const r = rng(36);
      const seen = [...be().storageBindings.keys()].filter((k) => k.startsWith('fused_reduce#')).length;
      // both strategies: one invocation per output (8) and a workgroup per output (300)
      for (const cols of [8, 300]) await sameReduce(be(), prog(0.5), [matrix(be(), r, 2, cols), column(be(), r, 2, cols)]);
      const first = created;
      const keys = (): number => [...be().storageBindings.keys()].filter((k) => k.startsWith('fused_reduce#')).length;
      const before = keys();
      for (const [rows, cols] of [[1, 3], [7, 31], [2, 1000], [100, 65], [3, 2]] as const) {
        const out = reduceOut(be(), 'float32', [rows], 1);
        expect(be().fused(prog(-3), [matrix(be(), r, rows, cols, true), column(be(), r, rows, cols)], [out])).toBe(true);
        await be().read(out);
      }
      // the rows and the tree entry points of one program; one more for [1, 3] rows (the outer dim
      // collapses away: a kernel specialised to rank 0 outer dims)
      expect(before - seen).toBe(2);
      expect(keys()).toBe(before + 1);
      const third = created;
      for (const [rows, cols] of [[7, 31], [1, 3], [100, 65]] as const) {
        const out = reduceOut(be(), 'float32', [rows], 1);
        expect(be().fused(prog(5), [matrix(be(), r, rows, cols, true), column(be(), r, rows, cols)], [out])).toBe(true);
        await be().read(out);
      }
      expect(keys()).toBe(before + 1);
      expect(created).toBe(third);
      expect(third - first).toBeLessThanOrEqual(1);
    } finally {
      gpu.createComputePipeline = create;
    }
  });
});

const FLOAT_BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'fmod', 'remainder', 'floorDivide',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor'];
const INT_BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'maximum', 'minimum', 'eq', 'lt', 'ge', 'logicalXor', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor',
  'floorDivide', 'remainder', 'div', 'fmod', 'pow'];
const BOOL_BINARY: BinaryOp[] = ['logicalAnd', 'logicalOr', 'logicalXor', 'eq', 'ne', 'lt', 'ge'];
const INT_UNARY: UnaryOp[] = ['neg', 'abs', 'sign', 'relu', 'bitwiseNot', 'logicalNot', 'isnan', 'floor', 'sqrt', 'exp'];
const BOOL_UNARY: UnaryOp[] = ['logicalNot', 'bitwiseNot', 'abs'];
const DTYPES: DType[] = ['float32', 'float32', 'float16', 'int32', 'uint8', 'bool'];

/** A well-typed random program: 1-3 inputs, 2-9 steps, 1-3 outputs (the last value among them). */
function randomProgram(r: Rand): FusedProgram {
  const inputs = Array.from({ length: 1 + int(r, 3) }, () => pick(r, DTYPES));
  const vals: DType[] = [...inputs], steps: FusedStep[] = [];
  const push = (s: FusedStep): number => { steps.push(s); vals.push(s.dtype); return vals.length - 1; };
  /** A value of dtype d: an existing one, else a cast of a random one. */
  const of = (d: DType): number => {
    const cands = vals.map((t, i) => (t === d ? i : -1)).filter((i) => i >= 0);
    return cands.length && r() < 0.8 ? pick(r, cands) : push(cast(int(r, vals.length), d));
  };
  for (let n = 2 + int(r, 8); steps.length < n;) {
    const a = int(r, vals.length), d = vals[a]!;
    const kind = r();
    if (kind < 0.3) {
      const op = d === 'bool' ? pick(r, BOOL_UNARY) : d === 'float32' || d === 'float16' ? pick(r, UNARY_OPS.filter((o) => o !== 'bitwiseNot')) : pick(r, INT_UNARY);
      push(u(op, a, op === 'logicalNot' || op === 'isnan' || op === 'isinf' ? 'bool' : d));
    } else if (kind < 0.65) {
      const op = d === 'bool' ? pick(r, BOOL_BINARY) : d === 'float32' || d === 'float16' ? pick(r, FLOAT_BINARY) : pick(r, INT_BINARY);
      push(b(op, a, of(d), BOOL_BINARY_OPS.has(op) ? 'bool' : d));
    } else if (kind < 0.8) {
      push(where(of('bool'), a, of(d), d));
    } else if (kind < 0.92) {
      push(cast(a, pick(r, DTYPES)));
    } else {
      const cd = pick(r, DTYPES);
      push(c(cd === 'float32' || cd === 'float16' ? (r() < 0.3 ? pick(r, SPECIAL) : (r() - 0.5) * 10) : int(r, 600) - 300, cd));
    }
  }
  const last = vals.length - 1;
  const outputs = [last, ...Array.from({ length: int(r, 3) }, () => int(r, vals.length))];
  return { inputs, steps, outputs };
}
