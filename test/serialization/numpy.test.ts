// torch.load of files written by real NumPy (test/fixtures/files/interop, from checkpoint_fixtures.py;
// expected.json holds the values NumPy sees): every dtype, Fortran order, big-endian, format 2.0,
// .npz stored and deflated, on every device; torch.save's npy/npz round trip; the format is told by
// the bytes, not the name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDevices, torch, UNSUPPORTED_DTYPES } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

interface Enc { dtype: string; shape: number[]; data: (number | boolean)[] }
const file = (n: string) => new URL(`../fixtures/files/interop/${n}`, import.meta.url);
const bytes = (n: string) => new Uint8Array(readFileSync(file(n)));
const fx = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as { arrays: Record<string, Enc>; npz: Record<string, Enc> };

// NumPy dtype -> torchlet dtype (int64 narrows to int32, int8/16 widen; WebGPU has no float64).
const MAPPED: Record<string, string> = {
  float16: 'float16', float32: 'float32', float64: 'float64', int8: 'int32', int16: 'int32', int32: 'int32', int64: 'int32',
  uint8: 'uint8', bool: 'bool', '>f8': 'float64', '>i4': 'int32', '>f2': 'float16',
};

async function check(t: unknown, e: Enc, what: string, device: string): Promise<void> {
  expect(t instanceof torch.Tensor, `${what} is a Tensor`).toBe(true);
  const x = t as Tensor;
  const dtype = MAPPED[e.dtype]!;
  const gpuF64 = dtype === 'float64' && (UNSUPPORTED_DTYPES[device as torch.Device] ?? []).includes('float64'); // loaded as float32 there
  expect(x.dtype, `${what} dtype`).toBe(gpuF64 ? 'float32' : dtype);
  expect(x.shape, `${what} shape`).toEqual(e.shape);
  expect(x.device).toBe(device);
  const got = Array.from(await x.data(), (v) => (x.dtype === 'bool' ? v !== 0 : v));
  expect(got, `${what} values`).toEqual(gpuF64 ? e.data.map((v) => Math.fround(v as number)) : e.data);
}

for (const device of testDevices()) describe(`load: files written by NumPy (${device})`, () => {
  for (const name of Object.keys(fx.arrays)) {
    it(`np_${name}.npy`, async () => {
      await check(await torch.load(bytes(`np_${name}.npy`), { mapLocation: device }), fx.arrays[name]!, name, device);
    });
  }
  it('format version 2.0 header', async () => {
    await check(await torch.load(bytes('np_v2_f4.npy'), { mapLocation: device }), fx.arrays.f4!, 'v2', device);
  });
  for (const name of ['arrays.npz', 'arrays_compressed.npz']) {
    it(`${name}: { name: Tensor } in the archive's order`, async () => {
      const z = await torch.load(bytes(name), { mapLocation: device });
      expect(Object.keys(z)).toEqual(Object.keys(fx.npz));
      for (const [k, e] of Object.entries(fx.npz)) await check(z[k], e, `${name}:${k}`, device);
    });
  }
  it('int64 values outside int32 give a range error naming the value', async () => {
    await expect(torch.load(bytes('np_int64_overflow.npy'), { mapLocation: device })).rejects.toThrow(RangeError);
    await expect(torch.load(bytes('np_int64_overflow.npy'))).rejects.toThrow(/int64 value 8589934592 in NumPy \.npy file does not fit in int32/);
  });
  it('save npy/npz and load back: dtypes, shapes and values survive; the format is read from the bytes', async () => {
    const ts: Record<string, Tensor> = {
      f: torch.tensor([[1.5, -2], [3, 4], [5, 6]], { device }).t(), i: torch.tensor([1, -2, 2147483647], { device }),
      b: torch.tensor([[true], [false]], { device }), u: torch.tensor(7, { dtype: 'uint8', device }),
      h: torch.tensor([0.5, 65504], { dtype: 'float16', device }), e: torch.zeros([0, 2], { device }),
    };
    for (const [k, t] of Object.entries(ts)) {
      const back = await torch.load<Tensor>(await torch.save(t, null, { format: 'npy' }), { mapLocation: device });
      expect(back.dtype, k).toBe(t.dtype);
      expect(back.shape, k).toEqual(t.shape);
      expect(await back.tolist(), k).toEqual(await t.tolist());
    }
    const z = await torch.load(await torch.save(ts, null, { format: 'npz' }), { mapLocation: device });
    expect(Object.keys(z)).toEqual(Object.keys(ts));
    for (const [k, t] of Object.entries(ts)) expect(await (z[k] as Tensor).tolist(), k).toEqual(await t.tolist());
  });
});

describe('npy/npz save arguments', () => {
  it('npy holds one tensor, npz a flat object (or tensors by position), metadata is safetensors-only', async () => {
    await expect(torch.save({ a: torch.ones(1) }, null, { format: 'npy' })).rejects.toThrow(/format 'npy' holds one Tensor/);
    await expect(torch.save({ a: { b: torch.ones(1) } }, null, { format: 'npz' })).rejects.toThrow(/format 'npz' holds a flat \{ name: Tensor \} object/);
    await expect(torch.save(torch.ones(1), null, { format: 'npy', metadata: { a: 'b' } })).rejects.toThrow(/metadata is stored by the safetensors format only/);
    await expect(torch.save(torch.ones(1), null, { format: 'npx' as 'npy' })).rejects.toThrow(/unknown format 'npx'/);
    const z = await torch.load(await torch.save([torch.ones(1), torch.zeros(2)], null, { format: 'npz' }));
    expect(Object.keys(z)).toEqual(['arr_0', 'arr_1']);
  });
});
