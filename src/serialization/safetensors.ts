// safetensors (https://github.com/huggingface/safetensors format): u64 little-endian header length N,
// N bytes of JSON { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }
// padded with spaces to a multiple of 8, then the raw little-endian tensor bytes. The writer lays
// data out like the Python package: tensors sorted by dtype (the Rust enum order, descending:
// F64, F32, I32, F16, U8, BOOL for ours), then by name; header keys in that order, metadata first.

import type { Device } from '../backends/backend.js';
import { Tensor } from '../tensor.js';
import { decodeStorage, encodeValues, STORED_SIZE, writeType, type StoredType } from './convert.js';

// The Rust package orders data by its Dtype enum (descending), then by name.
const DTYPE_RANK: readonly StoredType[] = ['BOOL', 'U8', 'I8', 'I16', 'F16', 'BF16', 'I32', 'F32', 'F64', 'I64'];

export async function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const rank = (t: Tensor) => DTYPE_RANK.indexOf(writeType(t.dtype));
  // Names compare as Rust strings do: by UTF-8 bytes (JS `<` compares UTF-16 units, which orders
  // characters above U+FFFF before U+E000..U+FFFF).
  const utf8 = new Map(Object.keys(tensors).map((k) => [k, new TextEncoder().encode(k)]));
  const byBytes = (a: string, b: string): number => {
    const x = utf8.get(a)!, y = utf8.get(b)!;
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  const names = Object.keys(tensors).sort((a, b) => {
    const d = rank(tensors[b]!) - rank(tensors[a]!);
    return d !== 0 ? d : byBytes(a, b);
  });
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new TypeError(`save: metadata values must be strings (key '${k}' is ${typeof v})`);
    header.__metadata__ = metadata;
  }
  const blobs: Uint8Array[] = [];
  let off = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = encodeValues(await t.data(), t.dtype);
    header[name] = { dtype: writeType(t.dtype), shape: [...t.shape], data_offsets: [off, off + bytes.length] };
    blobs.push(bytes);
    off += bytes.length;
  }
  // Written by hand so keys keep this order (JS objects put integer-like keys such as '0' first).
  const entries: [string, unknown][] = [];
  if (metadata && Object.keys(metadata).length > 0) entries.push(['__metadata__', metadata]);
  for (const name of names) entries.push([name, header[name]]);
  let json = new TextEncoder().encode(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) { const j = new Uint8Array(json.length + pad).fill(0x20); j.set(json); json = j; }
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const b of blobs) { out.set(b, p); p += b.length; }
  return out;
}

export interface SafetensorsFile { tensors: Record<string, Tensor>; metadata: Record<string, string> | null }

interface Entry { dtype: string; shape: number[]; data_offsets: [number, number] }
const isEntry = (v: unknown): v is Entry => {
  const e = v as Entry;
  return !!e && typeof e.dtype === 'string' && Array.isArray(e.shape) && e.shape.every((n) => Number.isSafeInteger(n) && n >= 0)
    && Array.isArray(e.data_offsets) && e.data_offsets.length === 2 && e.data_offsets.every((n) => Number.isSafeInteger(n) && n >= 0);
};

/** Errors say what is wrong; the label 'safetensors file' is added by load(). */
export function decodeSafetensors(b: Uint8Array, device: Device): SafetensorsFile {
  if (b.length < 8) throw new Error(`load: safetensors file is truncated (${b.length} bytes)`);
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > b.length) throw new Error(`load: safetensors file: header of ${n} bytes extends past the end of the file (${b.length} bytes): truncated file?`);
  let header: Record<string, unknown>;
  try { header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Record<string, unknown>; } catch (e) {
    throw new Error(`load: safetensors file: header is not valid JSON (${(e as Error).message}): corrupt or truncated file?`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('load: safetensors file: header is not a JSON object');
  const dataStart = 8 + n;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> | null = null;
  try {
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') { metadata = info as Record<string, string>; continue; }
      if (!isEntry(info)) throw new Error(`load: safetensors file: header entry '${name}' is not { dtype, shape, data_offsets }`);
      const { dtype, shape, data_offsets: [s, e] } = info;
      if (!(dtype in STORED_SIZE)) throw new Error(`load: safetensors file: tensor '${name}' has unsupported dtype '${dtype}'`);
      const count = shape.reduce((a, k) => a * k, 1);
      if (e - s !== count * STORED_SIZE[dtype as StoredType]) throw new Error(`load: safetensors file: tensor '${name}' has ${e - s} bytes for shape [${shape}] of ${dtype}`);
      if (dataStart + e > b.length) throw new Error(`load: safetensors file: tensor '${name}' data extends past the end of the file (${dataStart + e} > ${b.length} bytes): truncated file?`);
      const flat = decodeStorage(b.subarray(dataStart + s, dataStart + e), dtype as StoredType, count, device, `tensor '${name}'`);
      tensors[name] = flat.reshape(shape);
      flat.dispose(); // the reshaped view holds the storage
    }
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}
