// torch.save / torch.load. save writes safetensors (a Tensor is stored under the key 'tensor'; a
// flat { name: Tensor } object such as a stateDict under its names); without a path it resolves to
// the bytes. load reads safetensors or PyTorch zip checkpoints (format told from the bytes) from
// bytes, a file path (Node, via a lazy node:fs import), or a URL/Response/Blob/File.

import type { Device } from '../backends/backend.js';
import { parseDevice } from '../backends/registry.js';
import { Tensor, isTensor } from '../tensor.js';
import { decodeSafetensors, encodeSafetensors, isSafetensors } from './safetensors.js';
import { loadPt } from './pt.js';
import { isZip } from './zip.js';

export type LoadSource = Uint8Array | ArrayBuffer | ArrayBufferView | string | URL | Response | Blob;
export interface SaveOptions { metadata?: Record<string, string> }
export interface LoadOptions { mapLocation?: Device | string }

/** Key used for a single Tensor passed to save(). */
export const SINGLE_TENSOR_KEY = 'tensor';

function flatTensors(obj: Tensor | Record<string, Tensor>): Record<string, Tensor> {
  if (isTensor(obj)) return { [SINGLE_TENSOR_KEY]: obj };
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new TypeError('save: expected a Tensor or a flat { name: Tensor } object (safetensors holds tensors only)');
  for (const [k, v] of Object.entries(obj)) {
    if (!isTensor(v)) throw new TypeError(`save: value at key '${k}' is ${v === null ? 'null' : typeof v}, not a Tensor: safetensors holds a flat { name: Tensor } mapping only`);
    if (k === '__metadata__') throw new TypeError("save: '__metadata__' is reserved; pass metadata in the options");
  }
  return obj;
}

/** Writes safetensors to `path` (Node), or resolves to the bytes when no path is given. */
export async function save(obj: Tensor | Record<string, Tensor>, path?: null, opts?: SaveOptions): Promise<Uint8Array>;
export async function save(obj: Tensor | Record<string, Tensor>, path: string | URL, opts?: SaveOptions): Promise<void>;
export async function save(obj: Tensor | Record<string, Tensor>, path?: string | URL | null, opts: SaveOptions = {}): Promise<Uint8Array | void> {
  const bytes = await encodeSafetensors(flatTensors(obj), opts.metadata);
  if (path === undefined || path === null) return bytes;
  const fs = await import('node:fs/promises');
  await fs.writeFile(path, bytes);
}

async function readSource(src: LoadSource): Promise<Uint8Array> {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (typeof Response !== 'undefined' && src instanceof Response) {
    if (!src.ok) throw new Error(`load: HTTP ${src.status} ${src.statusText} for ${src.url}`);
    return new Uint8Array(await src.arrayBuffer());
  }
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  if (src instanceof URL && src.protocol !== 'file:') return readSource(await fetch(src));
  if (typeof src === 'string' || src instanceof URL) {
    const fs = await import('node:fs/promises');
    return new Uint8Array(await fs.readFile(src));
  }
  throw new TypeError(`load: unsupported source ${Object.prototype.toString.call(src)}`);
}

/**
 * Loads tensors: safetensors -> { name: Tensor }; a PyTorch checkpoint -> its containers with
 * Tensors inside. Nothing from the file is executed. mapLocation picks the device (default 'cpu').
 */
export async function load<T = Record<string, unknown>>(src: LoadSource, opts: LoadOptions = {}): Promise<T> {
  const bytes = await readSource(src);
  const device = parseDevice(opts.mapLocation ?? 'cpu', 'load');
  // A checkpoint's top level is whatever was pickled (usually a dict; a bare Tensor stays a Tensor).
  if (isZip(bytes)) return (await loadPt(bytes, device)) as T;
  if (isSafetensors(bytes)) return decodeSafetensors(bytes, device).tensors as T;
  if (bytes.length >= 2 && bytes[0] === 0x80) throw new Error('load: this is a legacy (pre-1.6, non-zip) PyTorch file; re-save it with torch.save in PyTorch >= 1.6');
  throw new Error(`load: unrecognized format (${bytes.length} bytes): expected safetensors or a PyTorch zip checkpoint`);
}

/** Reads safetensors bytes with their __metadata__. */
export async function loadSafetensors(src: LoadSource, opts: LoadOptions = {}): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> | null }> {
  return decodeSafetensors(await readSource(src), parseDevice(opts.mapLocation ?? 'cpu', 'load'));
}
