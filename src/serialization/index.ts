// torch.save / torch.load. save picks the format from `opts.format`, else the path's extension
// (.pt/.pth/.ckpt/.pth.tar: PyTorch zip; .npy/.npz: NumPy), else safetensors; without a path it
// resolves to the bytes. load tells the format from the bytes (safetensors, PyTorch zip, .npy,
// .npz) and reads bytes, a file path (Node, via a lazy node:fs import), or a URL/Response/Blob/File.
// A file that is damaged is reported with the format it looks like and what is wrong.

import type { Device } from '../backends/backend.js';
import { parseDevice } from '../backends/registry.js';
import { isTensor, type Tensor } from '../tensor.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { loadPt, savePt } from './pt.js';
import { firstZipEntryName, isZip, readZipDirectory } from './zip.js';
import { decodeNpy, decodeNpz, encodeNpy, encodeNpz, isNpy, isNpzDirectory } from './numpy.js';
import { flattenTree, isFlatTensorMap, STRUCTURE_KEY, unflattenTree } from './tree.js';

export { PickledReference, isPickledReference } from './pickle.js';

/** What load reads: bytes, a file path (Node), a URL, a fetch Response, or a Blob/File. */
export type LoadSource = Uint8Array | ArrayBuffer | ArrayBufferView | string | URL | Response | Blob;
/** File formats save writes: safetensors, PyTorch's zip (.pt), NumPy .npy or .npz. */
export type SaveFormat = 'safetensors' | 'pt' | 'npy' | 'npz';
/** Options for save. */
export interface SaveOptions {
  /** Format to write; default: from the path's extension, else 'safetensors'. */
  format?: SaveFormat;
  /** safetensors only: string metadata stored in `__metadata__`. */
  metadata?: Record<string, string>;
}
/** Options for load and loadSafetensors (PyTorch's keywords in camelCase). */
export interface LoadOptions {
  /** Device the loaded tensors are placed on (default 'cpu'). */
  mapLocation?: Device | string;
  /**
   * PyTorch's weights_only. torchlet never executes code from a file, so either value is safe: with
   * false a pickled Python object that is not data (a class, a function, a scheduler's bound method)
   * loads as an inert PickledReference naming it; with true (the default, as PyTorch 2.6's)
   * such a file is refused with an error naming the global, as PyTorch's weights_only loader does.
   * safetensors and NumPy files hold only tensors: both values load them the same.
   */
  weightsOnly?: boolean;
}

/** Key used for a single Tensor passed to save() in safetensors. */
export const SINGLE_TENSOR_KEY = 'tensor';
const FORMATS: readonly SaveFormat[] = ['safetensors', 'pt', 'npy', 'npz'];

function formatOf(path: string | URL | null | undefined, opts: SaveOptions): SaveFormat {
  if (opts.format !== undefined) {
    if (!FORMATS.includes(opts.format)) throw new TypeError(`save: unknown format '${String(opts.format)}' (expected one of ${FORMATS.map((f) => `'${f}'`).join(', ')})`);
    return opts.format;
  }
  const name = (path instanceof URL ? path.pathname : path ?? '').toLowerCase();
  if (/\.(pt|pth|ckpt|pth\.tar)$/.test(name)) return 'pt';
  if (name.endsWith('.npy')) return 'npy';
  if (name.endsWith('.npz')) return 'npz';
  return 'safetensors';
}

async function encodeSafetensorsTree(obj: unknown, metadata: Record<string, string> | undefined): Promise<Uint8Array> {
  if (metadata && (STRUCTURE_KEY in metadata)) throw new TypeError(`save: metadata key '${STRUCTURE_KEY}' is reserved (it records the layout of nested checkpoints)`);
  // A single Tensor is stored as `tensor`, with a structure entry saying the top level is that
  // tensor, so load gives back the Tensor (files without it load as { tensor }, as they always did).
  if (isTensor(obj)) return encodeSafetensors({ [SINGLE_TENSOR_KEY]: obj }, { ...metadata, [STRUCTURE_KEY]: JSON.stringify({ $tensor: SINGLE_TENSOR_KEY }) });
  if (isFlatTensorMap(obj)) {
    if ('__metadata__' in obj) throw new TypeError("save: '__metadata__' is reserved; pass metadata in the options");
    return encodeSafetensors(obj, metadata);
  }
  const { tensors, structure } = flattenTree(obj, 'save');
  return encodeSafetensors(tensors, { ...metadata, [STRUCTURE_KEY]: structure });
}

function npzArrays(obj: unknown): Record<string, Tensor> {
  // np.savez names positional arrays arr_0, arr_1...: a Tensor or an array of tensors gets those names.
  if (isTensor(obj)) return { arr_0: obj };
  if (Array.isArray(obj) && obj.every(isTensor)) return Object.fromEntries(obj.map((t, i) => [`arr_${i}`, t]));
  if (isFlatTensorMap(obj)) return obj;
  throw new TypeError("save: format 'npz' holds a flat { name: Tensor } object (or a Tensor, or an array of tensors)");
}

async function encode(obj: unknown, format: SaveFormat, opts: SaveOptions): Promise<Uint8Array> {
  if (opts.metadata !== undefined && format !== 'safetensors') throw new TypeError(`save: metadata is stored by the safetensors format only (format is '${format}')`);
  switch (format) {
    case 'safetensors': return encodeSafetensorsTree(obj, opts.metadata);
    case 'pt': return savePt(obj);
    case 'npy':
      if (!isTensor(obj)) throw new TypeError("save: format 'npy' holds one Tensor (use 'npz' for several)");
      return encodeNpy(obj);
    case 'npz': return encodeNpz(npzArrays(obj));
  }
}

/**
 * Writes `obj` (a Tensor, or arrays/plain objects of tensors, numbers, strings, booleans and null)
 * to `path` (Node), or resolves to the bytes when no path is given.
 * @example
 * ```ts
 * await torch.save({ model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3 }, 'ckpt.pt');
 * const bytes = await torch.save(model.stateDict());              // no path: the bytes (safetensors)
 * const ckpt = await torch.load<{ model: Record<string, torch.Tensor> }>('ckpt.pt');
 * model.loadStateDict(ckpt.model);
 * ```
 */
export async function save(obj: object, path?: null, opts?: SaveOptions): Promise<Uint8Array>;
export async function save(obj: object, path: string | URL, opts?: SaveOptions): Promise<void>;
export async function save(obj: object, path?: string | URL | null, opts: SaveOptions = {}): Promise<Uint8Array | void> {
  const bytes = await encode(obj, formatOf(path, opts), opts);
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

// PyTorch < 1.6 files start with a pickled magic number (LONG1 0x1950a86a20f9469cfc6c).
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

type Kind = 'pt' | 'npz' | 'zip' | 'npy' | 'safetensors';
const LABEL: Record<Kind, string> = {
  pt: 'PyTorch zip checkpoint', npz: 'NumPy .npz archive', zip: 'zip archive (PyTorch checkpoint or NumPy .npz)', npy: 'NumPy .npy file', safetensors: 'safetensors file',
};

/** What the bytes look like, from their first bytes only (so a truncated file is still named). */
function sniff(b: Uint8Array): Kind {
  if (isNpy(b)) return 'npy';
  if (isZip(b)) {
    const first = firstZipEntryName(b) ?? '';
    return first.endsWith('.npy') ? 'npz' : first.includes('/') || first === 'data.pkl' ? 'pt' : 'zip';
  }
  if (LEGACY_MAGIC.every((m, i) => b[i] === m)) throw new Error('load: this is a legacy (pre-1.6, non-zip) PyTorch file; re-save it with torch.save in PyTorch >= 1.6');
  if (b.length >= 2 && b[0] === 0x80 && b[1]! >= 2 && b[1]! <= 5) throw new Error('load: this is a bare pickle stream, not a torch.save zip checkpoint (pickled Python objects cannot be loaded)');
  // safetensors: u64 header length (small: the high bytes are zero), then the JSON header's '{'.
  if (b.length >= 8 && b[6] === 0 && b[7] === 0 && (b.length === 8 || b[8] === 0x7b)) return 'safetensors';
  throw new Error(`load: unrecognized format (${b.length} bytes): expected safetensors, a PyTorch zip checkpoint, or a NumPy .npy/.npz file`);
}

/** Prefixes an error with the format the file looked like (same error class, original as cause). */
function labelled(e: unknown, label: string): unknown {
  if (!(e instanceof Error) || e.message.includes(label)) return e;
  const msg = `load: ${label}: ${e.message.replace(/^load: /, '')}`;
  const Ctor = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
  return new Ctor(msg, { cause: e });
}

async function decode(bytes: Uint8Array, device: Device, weightsOnly: boolean): Promise<unknown> {
  let kind = sniff(bytes);
  try {
    if (kind === 'npy') return decodeNpy(bytes, device);
    if (kind === 'safetensors') {
      const { tensors, metadata } = decodeSafetensors(bytes, device);
      const structure = metadata?.[STRUCTURE_KEY];
      return structure === undefined ? tensors : unflattenTree(structure, tensors);
    }
    const names = readZipDirectory(bytes).keys();
    if (isNpzDirectory(names)) { kind = 'npz'; return await decodeNpz(bytes, device); }
    kind = 'pt';
    // A checkpoint's top level is whatever was pickled (usually a dict; a bare Tensor stays a Tensor).
    return await loadPt(bytes, device, { weightsOnly });
  } catch (e) {
    throw labelled(e, LABEL[kind]);
  }
}

/**
 * Loads a checkpoint: safetensors -> { name: Tensor } (a nested checkpoint or a single Tensor saved
 * by torchlet comes back as it was saved); a PyTorch checkpoint -> its containers with Tensors inside; .npy -> a Tensor; .npz
 * -> { name: Tensor }. Nothing from the file is executed: a pickled Python object that is not data
 * (a scheduler's bound method...) is refused with an error naming it (weightsOnly, the default, as
 * PyTorch 2.6's), or with `weightsOnly: false` loads as an inert PickledReference naming it.
 * mapLocation picks the device (default 'cpu').
 * @example
 * ```ts
 * const sd = await torch.load('model.safetensors', { mapLocation: 'webgpu' });
 * model.loadStateDict(sd);
 * ```
 */
export async function load<T = Record<string, unknown>>(src: LoadSource, opts: LoadOptions = {}): Promise<T> {
  const bytes = await readSource(src);
  const device = parseDevice(opts.mapLocation ?? 'cpu', 'load');
  if (opts.weightsOnly !== undefined && typeof opts.weightsOnly !== 'boolean') throw new TypeError(`load: weightsOnly must be a boolean, got ${typeof opts.weightsOnly}`);
  // API.md: by default anything but tensor data and plain containers is refused (PyTorch 2.6's default too).
  return (await decode(bytes, device, opts.weightsOnly ?? true)) as T;
}

/** Reads safetensors bytes with their __metadata__ (the flat stored tensors, as in the file). */
export async function loadSafetensors(src: LoadSource, opts: LoadOptions = {}): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> | null }> {
  return decodeSafetensors(await readSource(src), parseDevice(opts.mapLocation ?? 'cpu', 'load'));
}
