// Damaged files: every format's truncated and corrupt variants are reported with the format the
// bytes look like and what is wrong (a truncated safetensors file whose header length starts with
// 0x80 used to be called "a legacy PyTorch file"). Partial loads free what they allocated.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';

await torch.init();
const fixture = (n: string) => new Uint8Array(readFileSync(new URL(`../fixtures/files/${n}`, import.meta.url)));
const cut = (b: Uint8Array, n: number) => b.slice(0, n);
const patch = (b: Uint8Array, at: number, v: number[]) => { const c = b.slice(); c.set(v, at); return c; };
const find = (b: Uint8Array, s: string) => Buffer.from(b).indexOf(s);

describe('damaged files name their format and the problem', () => {
  it('safetensors: truncated anywhere, bad JSON, bad entries', async () => {
    // A header of exactly 128 bytes: the file starts with 0x80, like a pickle.
    let st: Uint8Array = new Uint8Array(0);
    for (let pad = 0; pad < 64; pad++) {
      st = await torch.save({ w: torch.ones(2, 2) }, null, { metadata: { note: 'x'.repeat(pad) } });
      if (st[0] === 0x80) break;
    }
    expect(st[0]).toBe(0x80);
    for (const n of [9, 60, 8 + 128, st.length - 1]) {
      await expect(torch.load(cut(st, n)), `cut at ${n}`).rejects.toThrow(/^load: safetensors file: .*truncated file\?/);
    }
    const badJson = patch(st, 8, [0x7b, 0x7b]);
    await expect(torch.load(badJson)).rejects.toThrow(/^load: safetensors file: header is not valid JSON/);
    const badEntry = patch(st, find(st, 'data_offsets'), [...Buffer.from('data_offsetz')]);
    await expect(torch.load(badEntry)).rejects.toThrow(/^load: safetensors file: header entry 'w' is not \{ dtype, shape, data_offsets \}/);
    const badDtype = patch(st, find(st, '"F32"'), [...Buffer.from('"Q32"')]);
    await expect(torch.load(badDtype)).rejects.toThrow(/safetensors file: tensor 'w' has unsupported dtype 'Q32'/);
  });

  it('PyTorch zip checkpoint: truncated, missing storage, corrupt pickle', async () => {
    const pt = fixture('state_dict.pt');
    await expect(torch.load(cut(pt, 40))).rejects.toThrow(/^load: zip archive \(PyTorch checkpoint or NumPy \.npz\): malformed zip archive: end of central directory not found/);
    for (const n of [1000, pt.length - 30]) {
      await expect(torch.load(cut(pt, n)), `cut at ${n}`).rejects.toThrow(/^load: PyTorch zip checkpoint: malformed zip archive: end of central directory not found \(truncated file\?\)/);
    }
    // A checkpoint whose pickle refers to a storage record that is not in the archive.
    const ours = await torch.save({ a: torch.ones(3), b: torch.zeros(2) }, null, { format: 'pt' });
    const renamed = patch(ours, find(ours, 'archive/data/1'), [...Buffer.from('archive/data/9')]);
    const cd = find(renamed.subarray(find(renamed, 'archive/version')), 'archive/data/1'); // the central directory's copy
    const both = patch(renamed, find(renamed, 'archive/version') + cd, [...Buffer.from('archive/data/9')]);
    await expect(torch.load(both)).rejects.toThrow(/^load: PyTorch zip checkpoint: storage data\/1 is missing from the archive/);
    // An unknown opcode inside data.pkl (the byte after PROTO 2).
    const pkl = find(ours, 'archive/data.pkl') + 'archive/data.pkl'.length;
    const dataStart = Array.from({ length: 200 }, (_, i) => pkl + i).find((i) => ours[i] === 0x80 && ours[i + 1] === 2)!;
    await expect(torch.load(patch(ours, dataStart + 2, [0xff]))).rejects.toThrow(/^load: PyTorch zip checkpoint: unsupported pickle opcode 0xff/);
  });

  it('NumPy .npy: truncated preamble, header and data; unsupported dtype', async () => {
    const npy = await torch.save(torch.arange(10, { dtype: 'float32' }), null, { format: 'npy' });
    await expect(torch.load(cut(npy, 7))).rejects.toThrow(/^load: NumPy \.npy file: truncated: 7 bytes/);
    await expect(torch.load(cut(npy, 40))).rejects.toThrow(/^load: NumPy \.npy file: header of 118 bytes extends past the end of the file \(40 bytes\): truncated file\?/);
    await expect(torch.load(cut(npy, npy.length - 4))).rejects.toThrow(/^load: NumPy \.npy file: data is truncated: 36 bytes for shape \(10\) of 40 bytes/);
    const complex = patch(npy, find(npy, "'<f4'"), [...Buffer.from("'<U4'")]);
    await expect(torch.load(complex)).rejects.toThrow(/^load: NumPy \.npy file: unsupported dtype '<U4'/);
  });

  it('NumPy .npz: truncated archive, corrupt deflate stream, truncated member', async () => {
    const z = fixture('interop/arrays_compressed.npz');
    await expect(torch.load(cut(z, z.length - 10))).rejects.toThrow(/^load: NumPy \.npz archive: malformed zip archive: end of central directory not found/);
    const first = find(z, 'weight.npy') + 'weight.npy'.length;
    const garbage = patch(z, first + 20, Array.from({ length: 16 }, () => 0xff));
    await expect(torch.load(garbage)).rejects.toThrow(/^load: NumPy \.npz archive: /);
    // A stored archive whose member is a truncated .npy.
    const stored = await torch.save({ a: torch.ones(4) }, null, { format: 'npz' });
    // Sizes are read from the central directory: shrink the member's there by 8 bytes.
    const cdAt = find(stored.subarray(100), 'PK\x01\x02') + 100;
    const short = new DataView(stored.buffer, stored.byteOffset).getUint32(cdAt + 20, true) - 8;
    const shrunk = stored.slice();
    new DataView(shrunk.buffer).setUint32(cdAt + 20, short, true);
    new DataView(shrunk.buffer).setUint32(cdAt + 24, short, true);
    await expect(torch.load(shrunk)).rejects.toThrow(/^load: NumPy \.npz archive: array 'a\.npy': data is truncated: 8 bytes for shape \(4\) of 16 bytes/);
  });

  it('other files: legacy PyTorch, bare pickle, unknown bytes', async () => {
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    await expect(torch.load(legacy)).rejects.toThrow(/legacy \(pre-1\.6, non-zip\) PyTorch file/);
    await expect(torch.load(Uint8Array.from([0x80, 0x04, 0x95, 0, 0]))).rejects.toThrow(/bare pickle stream, not a torch\.save zip checkpoint/);
    await expect(torch.load(Uint8Array.from([1, 2, 3, 4, 5]))).rejects.toThrow(/unrecognized format \(5 bytes\): expected safetensors, a PyTorch zip checkpoint, or a NumPy \.npy\/\.npz file/);
  });

  it('a load that fails part-way frees the tensors it had made', async () => {
    const st = await torch.save({ a: torch.ones(1000), b: torch.ones(1000) }, null);
    const before = torch.memory().cpu!.allocatedBytes;
    await expect(torch.load(cut(st, st.length - 8))).rejects.toThrow(/truncated/);
    expect(torch.memory().cpu!.allocatedBytes).toBe(before);
  });
});
