// torch.save's safetensors bytes against the reference implementation's own published test vectors
// (huggingface/safetensors, safetensors/src/tensor.rs: test_serialization, test_empty,
// test_serialization_forced_alignement), byte for byte, plus the writer's rules on cases those
// vectors lack (0-d and empty tensors, dtype-then-name order with UTF-8 byte order for names).
// The Python `safetensors` package is not packaged for Debian, so it cannot write fixtures here.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const f32 = (shape: number[]) => torch.arange(0, 6, { dtype: 'float32' }).reshape(shape);
const header = (b: Uint8Array) => {
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  return { n, text: new TextDecoder().decode(b.subarray(8, 8 + n)) };
};

describe('safetensors bytes match the reference implementation', () => {
  it('test_serialization: one F32 tensor, header already 8-byte aligned', async () => {
    const out = await torch.save({ 'attn.0': f32([1, 2, 3]) }, null);
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('test_serialization_forced_alignement: the header is padded with spaces to 8 bytes', async () => {
    const out = await torch.save({ attn0: f32([1, 1, 2, 3]) }, null);
    expect(Array.from(out)).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
      121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
      91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
      115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
      32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
      160, 64,
    ]);
  });

  it('test_empty: no tensors, without and with __metadata__', async () => {
    expect(Array.from(await torch.save({}, null))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(await torch.save({}, null, { metadata: { framework: 'pt' } }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('0-d and empty tensors; data ordered by dtype (descending alignment), then name by UTF-8 bytes', async () => {
    const sd: Record<string, Tensor> = {
      s: torch.tensor(4.25), e: torch.zeros(0, 3), b: torch.tensor([true]), i: torch.tensor([7]),
      h: torch.tensor([0.5], { dtype: 'float16' }), d: torch.tensor([0.5], { dtype: 'float64' }),
      '\u{1F600}': torch.tensor([1.5]), '\uFF01': torch.tensor([2.5]), // UTF-8 F0.. sorts after EF..
    };
    const out = await torch.save(sd, null, { metadata: { format: 'pt' } });
    const { n, text } = header(out);
    const expected = '{"__metadata__":{"format":"pt"},'
      + '"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},'
      + '"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},'
      + '"s":{"dtype":"F32","shape":[],"data_offsets":[8,12]},'
      + '"\uFF01":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},'
      + '"\u{1F600}":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},'
      + '"i":{"dtype":"I32","shape":[1],"data_offsets":[20,24]},'
      + '"h":{"dtype":"F16","shape":[1],"data_offsets":[24,26]},'
      + '"b":{"dtype":"BOOL","shape":[1],"data_offsets":[26,27]}}';
    const len = new TextEncoder().encode(expected).length;
    expect(n).toBe(len + ((8 - (len % 8)) % 8));
    expect(text).toBe(expected + ' '.repeat(n - len));
    expect(out.length).toBe(8 + n + 27);
    const back = await torch.load(out);
    expect((back.s as Tensor).shape).toEqual([]);
    expect((back.s as Tensor).itemSync()).toBe(4.25);
    expect((back.e as Tensor).shape).toEqual([0, 3]);
    expect((back.h as Tensor).dtype).toBe('float16');
    expect((back['\u{1F600}'] as Tensor).tolistSync()).toEqual([1.5]);
  });
});
