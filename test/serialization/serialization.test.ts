// torch.save / torch.load against files written by real PyTorch 1.13 (test/fixtures/files, made by
// serialization_fixtures.py; expected.json holds the values PyTorch sees), a safetensors file written
// by an independent Python implementation of the spec, and our writer's bytes parsed here by the spec.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

await torch.init();
const file = (n: string) => new URL(`../fixtures/files/${n}`, import.meta.url);
const bytes = (n: string) => new Uint8Array(readFileSync(file(n)));
interface Enc { dtype: string; shape: number[]; data: (number | boolean)[] }
const expected = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as {
  state_dict: Record<string, Enc>; safetensors: Record<string, Enc>; safetensors_metadata: Record<string, string>;
  checkpoint_scalars: { epoch: number; lr: number; name: string; history: number[]; step: number };
};
// What each PyTorch dtype becomes here.
const MAPPED: Record<string, string> = { float32: 'float32', float64: 'float64', float16: 'float16', bfloat16: 'float32', int64: 'int32', int32: 'int32', int8: 'int32', uint8: 'uint8', bool: 'bool' };

function checkTensor(t: unknown, e: Enc, key: string): void {
  expect(t instanceof torch.Tensor, `${key} is a Tensor`).toBe(true);
  const x = t as Tensor;
  expect(x.shape, `${key} shape`).toEqual(e.shape);
  expect(x.dtype, `${key} dtype`).toBe(MAPPED[e.dtype]);
  const got = Array.from(x.dataSync(), (v) => (x.dtype === 'bool' ? v !== 0 : v));
  const want = e.data;
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    if (typeof w === 'boolean' || e.dtype !== 'float32') expect(got[i], `${key}[${i}]`).toBe(w);
    else expect(got[i], `${key}[${i}]`).toBe(Math.fround(w));
  });
}

describe('load: PyTorch zip checkpoints', () => {
  for (const name of ['state_dict.pt', 'state_dict_deflate.pt']) {
    it(`${name}: every tensor matches PyTorch, keys in order`, async () => {
      const sd = await torch.load(bytes(name));
      expect(Object.keys(sd)).toEqual(Object.keys(expected.state_dict));
      for (const [k, e] of Object.entries(expected.state_dict)) checkTensor(sd[k], e, k);
    });
  }
  it('views that shared storage in the file still share it (offset and strides honoured)', async () => {
    const sd = await torch.load(bytes('state_dict.pt'));
    const base = sd['shared.base'] as Tensor, view = sd['shared.view'] as Tensor;
    expect(view.stride()).toEqual([4, 2]);
    expect(view.storageOffset()).toBe(4);
    torch.noGrad(() => base.fill_(7));
    expect([...view.dataSync()]).toEqual([7, 7, 7, 7]);
  });
  it('nested checkpoint comes back as plain objects, arrays, numbers and strings', async () => {
    const ck = await torch.load(bytes('checkpoint.pt'));
    const s = expected.checkpoint_scalars;
    expect(ck.epoch).toBe(s.epoch);
    expect(ck.lr).toBe(s.lr);
    expect(ck.name).toBe(s.name);
    expect(ck.history).toEqual(s.history);
    expect(ck.step).toBe(s.step);
    expect(ck.flags).toEqual([true, null]);
    const model = ck.model as Record<string, unknown>;
    for (const [k, e] of Object.entries(expected.state_dict)) checkTensor(model[k], e, `model.${k}`);
  });
  it('a loaded state dict drives a module-free computation like PyTorch (Linear forward)', async () => {
    const sd = await torch.load(file('state_dict.pt'));
    const w = sd['0.weight'] as Tensor, b = sd['0.bias'] as Tensor;
    const y = torch.ones(1, 3).matmul(w.t()).add(b);
    const ew = expected.state_dict['0.weight']!.data as number[], eb = expected.state_dict['0.bias']!.data as number[];
    const want = [0, 1, 2, 3].map((r) => ew[3 * r]! + ew[3 * r + 1]! + ew[3 * r + 2]! + eb[r]!);
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });
  it('a checkpoint holding one strided tensor loads as that tensor', async () => {
    const t = await torch.load<Tensor>(bytes('bare_tensor.pt'));
    expect(t.shape).toEqual([2]);
    expect(t.stride()).toEqual([3]);
    expect(t.storageOffset()).toBe(1);
    expect([...t.dataSync()]).toEqual([1, 4]);
  });
  it('int64 values outside int32 give a range error', async () => {
    await expect(torch.load(bytes('int64_overflow.pt'))).rejects.toThrow(/8589934592 .*does not fit in int32/);
  });
  it('a pickle naming os.system is rejected, naming the global, and nothing runs', async () => {
    await expect(torch.load(bytes('malicious.pt'))).rejects.toThrow(/refusing to load global '(posix|os)\.system'/);
  });
  it('truncated and garbage files give clear errors', async () => {
    const b = bytes('state_dict.pt');
    await expect(torch.load(b.subarray(0, b.length - 100))).rejects.toThrow(/load: .*(truncated|end of central directory|malformed)/);
    await expect(torch.load(b.subarray(0, 1000))).rejects.toThrow(/load: /);
    await expect(torch.load(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(/unrecognized format/);
    const st = bytes('reference.safetensors');
    await expect(torch.load(st.subarray(0, st.length - 3))).rejects.toThrow(/truncated/);
    await expect(torch.load(st.subarray(0, 40))).rejects.toThrow(/load: /);
  });
});

describe('safetensors', () => {
  it('reads a file written by an independent implementation of the spec', async () => {
    const src = bytes('reference.safetensors');
    const sd = await torch.load(src);
    expect(Object.keys(sd).sort()).toEqual(Object.keys(expected.safetensors).sort());
    for (const [k, e] of Object.entries(expected.safetensors)) checkTensor(sd[k], e, k);
    const { metadata } = await torch.loadSafetensors(src);
    expect(metadata).toEqual(expected.safetensors_metadata);
  });
  it('save writes bytes that follow the spec (parsed here independently) and load round-trips', async () => {
    const sd = {
      'b.w': torch.tensor([[1.5, -2], [3, 4]]), 'a.ids': torch.tensor([7, -8, 9]), mask: torch.tensor([true, false]),
      d: torch.tensor([0.1], { dtype: 'float64' }), h: torch.tensor([0.5, 2], { dtype: 'float16' }), u: torch.tensor([255, 1], { dtype: 'uint8' }),
      strided: torch.arange(6).reshape(2, 3).t(),
    };
    const out = await torch.save(sd, null, { metadata: { format: 'pt' } });
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const n = Number(dv.getBigUint64(0, true));
    expect(n % 8).toBe(0); // header padded to 8-byte alignment
    const text = new TextDecoder().decode(out.subarray(8, 8 + n));
    expect(text.trimEnd().length + (n - text.trimEnd().length)).toBe(n);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(Object.keys(header)).toEqual(['__metadata__', 'd', 'b.w', 'a.ids', 'strided', 'h', 'u', 'mask']);
    expect(header['b.w']).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: expect.any(Array) });
    expect(header.mask!.dtype).toBe('BOOL');
    expect(header.d!.dtype).toBe('F64');
    expect(header.h!.dtype).toBe('F16');
    // Offsets tile the data section exactly; data is laid out by dtype (F64, F32, I32, F16, U8, BOOL), then name.
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__').sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
    expect(entries.map(([k]) => k)).toEqual(['d', 'b.w', 'a.ids', 'strided', 'h', 'u', 'mask']);
    let pos = 0;
    for (const [, v] of entries) { expect(v.data_offsets[0]).toBe(pos); pos = v.data_offsets[1]; }
    expect(8 + n + pos).toBe(out.length);
    const w = header['b.w']!.data_offsets;
    const raw = new DataView(out.buffer, out.byteOffset + 8 + n + w[0], 16);
    expect([0, 1, 2, 3].map((i) => raw.getFloat32(4 * i, true))).toEqual([1.5, -2, 3, 4]);
    const st = header.strided!.data_offsets; // a transposed view is written contiguous, row-major
    const rs = new DataView(out.buffer, out.byteOffset + 8 + n + st[0], 24);
    expect([0, 1, 2, 3, 4, 5].map((i) => rs.getInt32(4 * i, true))).toEqual([0, 3, 1, 4, 2, 5]);
    const back = await torch.load(out);
    for (const [k, t] of Object.entries(sd)) {
      const b = back[k] as Tensor;
      expect(b.dtype).toBe(t.dtype);
      expect(b.tolistSync()).toEqual(t.tolistSync());
    }
  });
  it('a single Tensor, file paths, Blob and Response sources; nested objects are rejected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torchlet-ser-'));
    try {
      const p = join(dir, 'x.safetensors');
      await torch.save(torch.tensor([1, 2, 3]), p);
      const a = await torch.load(p);
      expect(Object.keys(a)).toEqual(['tensor']);
      expect((a.tensor as Tensor).tolistSync()).toEqual([1, 2, 3]);
      const raw = await torch.save({ x: torch.ones(2) });
      expect(((await torch.load(new Blob([raw as Uint8Array<ArrayBuffer>]))).x as Tensor).tolistSync()).toEqual([1, 1]);
      expect(((await torch.load(new Response(raw as Uint8Array<ArrayBuffer>))).x as Tensor).tolistSync()).toEqual([1, 1]);
      expect(((await torch.load(raw.buffer as ArrayBuffer)).x as Tensor).tolistSync()).toEqual([1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(torch.save({ a: { b: torch.ones(1) } } as unknown as Record<string, Tensor>)).rejects.toThrow(/value at key 'a' is object, not a Tensor/);
  });
});

describe('load memory', () => {
  it('disposing the loaded tensors frees every buffer load allocated', async () => {
    const b = bytes('checkpoint.pt'), st = bytes('reference.safetensors');
    const before = torch.memory().cpu!.allocatedBytes;
    const ck = await torch.load(b);
    const sd = await torch.load(st);
    expect(torch.memory().cpu!.allocatedBytes).toBeGreaterThan(before);
    torch.dispose(ck);
    torch.dispose(sd);
    expect(torch.memory().cpu!.allocatedBytes).toBe(before);
  });
});
