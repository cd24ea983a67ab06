// Loads Fashion-MNIST IDX files (gzipped or plain) from a folder into tensors: images as float32
// [N, 1, 28, 28] normalised with the dataset's mean/std, labels as int32 [N]. Node only (fs, zlib).

import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import * as torch from '../src/index.js';

const MEAN = 0.2860, STD = 0.3530;

function readIdx(dir: string, name: string): Uint8Array {
  const gz = join(dir, name + '.gz');
  const raw = existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(join(dir, name));
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

function parse(buf: Uint8Array, what: string): { dims: number[]; data: Uint8Array } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (magic >>> 8 !== 0x08) throw new Error(`${what}: not an unsigned-byte IDX file (magic 0x${magic.toString(16)})`);
  const nd = magic & 0xff;
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i));
  const n = dims.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * nd;
  if (buf.length < off + n) throw new Error(`${what}: truncated IDX file (${buf.length} bytes, need ${off + n})`);
  return { dims, data: buf.subarray(off, off + n) };
}

export interface Split { images: torch.Tensor; labels: torch.Tensor }

export function loadSplit(dir: string, split: 'train' | 't10k'): Split {
  const im = parse(readIdx(dir, `${split}-images-idx3-ubyte`), `${split} images`);
  const lb = parse(readIdx(dir, `${split}-labels-idx1-ubyte`), `${split} labels`);
  const [n, h, w] = im.dims as [number, number, number];
  if (lb.dims[0] !== n) throw new Error(`${split}: ${n} images but ${lb.dims[0]} labels`);
  const x = new Float32Array(im.data.length);
  for (let i = 0; i < x.length; i++) x[i] = (im.data[i]! / 255 - MEAN) / STD;
  // Reshaped inside tidy so the flat tensor is released: disposing the result frees everything.
  return torch.tidy(() => ({
    images: torch.tensor(x).reshape(n, 1, h, w),
    labels: torch.tensor(Int32Array.from(lb.data)),
  }));
}
