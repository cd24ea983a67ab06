// NumPy's .npy (format versions 1-3) and .npz (a zip of <name>.npy, stored or deflated) files.
// Reading: float16/32/64, int8-64 (int8/16 widen to int32, int64 narrows with a RangeError), uint8
// and bool; C or Fortran order; little or big endian. Writing: version 1.0 headers padded to 64
// bytes, each dtype stored as itself ('<f4', '<i4', '|b1'...), C order.

import type { Device } from '../backends/backend.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { decodeStorage, encodeValues, STORED_SIZE, type StoredType } from './convert.js';
import { viewAsComplex } from '../ops/complex.js';
import { readZipDirectory, readZipEntry, writeZip } from './zip.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(b: Uint8Array): boolean {
  return b.length >= 6 && MAGIC.every((m, i) => b[i] === m);
}

// NumPy type codes (kind + item size) -> stored type.
const FROM_CODE: Record<string, StoredType> = {
  f2: 'F16', f4: 'F32', f8: 'F64', i1: 'I8', i2: 'I16', i4: 'I32', i8: 'I64', u1: 'U8', b1: 'BOOL',
};
const TO_DESCR: Record<DType, string> = { float64: '<f8', float32: '<f4', float16: '<f2', int32: '<i4', uint8: '|u1', bool: '|b1', complex64: '<c8', complex128: '<c16' };

function fail(what: string, msg: string): never { throw new Error(`load: ${what}: ${msg}`); }

interface NpyHeader { type: StoredType; complex: boolean; bigEndian: boolean; fortran: boolean; shape: number[]; dataStart: number }

function parseHeader(b: Uint8Array, what: string): NpyHeader {
  if (b.length < 10) fail(what, `truncated: ${b.length} bytes, shorter than the .npy preamble`);
  const major = b[6]!;
  if (major < 1 || major > 3) fail(what, `unsupported .npy format version ${major}.${b[7]}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (b.length < 8 + lenBytes) fail(what, 'truncated inside the header length');
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + hlen > b.length) fail(what, `header of ${hlen} bytes extends past the end of the file (${b.length} bytes): truncated file?`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(b.subarray(start, start + hlen));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    fail(what, `header is not a plain array description (structured dtypes are not supported): ${JSON.stringify(text.trim())}`);
  }
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) fail(what, `bad shape (${shape}) in the header`);
    return n;
  });
  const order = descr[0]!;
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  // complex64 / complex128: read as (re, im) float pairs, then viewed as complex.
  const pairType: StoredType | undefined = code === 'c8' ? 'F32' : code === 'c16' ? 'F64' : undefined;
  const type = pairType ?? FROM_CODE[code === '?' ? 'b1' : code];
  if (!type) fail(what, `unsupported dtype '${descr}' (float16/32/64, complex64/128, int8-64, uint8 and bool can be loaded)`);
  return { type, complex: pairType !== undefined, bigEndian: order === '>', fortran: fortran === 'True', shape: dims, dataStart: start + hlen };
}

/** A .npy file -> a tensor of its shape (Fortran-ordered data is transposed into C order). */
export function decodeNpy(b: Uint8Array, device: Device, what = 'NumPy .npy file'): Tensor {
  const h = parseHeader(b, what);
  const size = STORED_SIZE[h.type];
  const n = h.shape.reduce((a, s) => a * s, 1) * (h.complex ? 2 : 1);
  const have = b.length - h.dataStart;
  if (have < n * size) fail(what, `data is truncated: ${have} bytes for shape (${h.shape.join(', ')}) of ${n * size} bytes`);
  let data = b.subarray(h.dataStart, h.dataStart + n * size);
  if (h.bigEndian && size > 1) {
    const sw = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i += size) for (let k = 0; k < size; k++) sw[i + k] = data[i + size - 1 - k]!;
    data = sw;
  }
  const flat = decodeStorage(data, h.type, n, device, what);
  const pair = h.complex ? [2] : [];
  let t: Tensor;
  if (!h.fortran || h.shape.length < 2) t = flat.reshape([...h.shape, ...pair]);
  else {
    // Fortran order is C order of the reversed shape, transposed back (a complex pair stays innermost).
    const rev = flat.reshape([...[...h.shape].reverse(), ...pair]);
    t = rev.permute([...h.shape.map((_, i) => h.shape.length - 1 - i), ...(h.complex ? [h.shape.length] : [])]).contiguous();
    rev.dispose();
  }
  flat.dispose();
  return h.complex ? viewAsComplex(t) : t;
}

/** A tensor -> .npy bytes (version 1.0, C order). */
export async function encodeNpy(t: Tensor): Promise<Uint8Array> {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${TO_DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Preamble (10 bytes) + header + '\n' padded with spaces to a multiple of 64, as NumPy writes it.
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const data = encodeValues(await t.data(), t.dtype);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** True when the zip's entries are .npy arrays (an .npz) rather than a PyTorch checkpoint. */
export function isNpzDirectory(names: Iterable<string>): boolean {
  const list = [...names];
  return list.length > 0 && list.some((n) => n.endsWith('.npy')) && !list.some((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
}

/** An .npz archive -> { name: Tensor } (names without '.npy', as np.load gives them). */
export async function decodeNpz(b: Uint8Array, device: Device): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  try {
    for (const [name, e] of readZipDirectory(b)) {
      if (!name.endsWith('.npy')) continue;
      out[name.slice(0, -4)] = decodeNpy(await readZipEntry(b, e), device, `array '${name}'`);
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

/** { name: Tensor } -> .npz bytes (stored entries, like np.savez). */
export async function encodeNpz(arrays: Record<string, Tensor>): Promise<Uint8Array> {
  const entries: { name: string; data: Uint8Array }[] = [];
  for (const [name, t] of Object.entries(arrays)) entries.push({ name: `${name}.npy`, data: await encodeNpy(t) });
  return writeZip(entries, 'save');
}
