// PyTorch's zip checkpoints (what torch.save writes since 1.6): <prefix>/data.pkl is a pickle whose
// tensors are _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()) with
// storages as persistent ids ('storage', StorageType, key, location, numel) pointing at raw
// little-endian bytes in <prefix>/data/<key>. Reading: tensors are strided views of one shared base
// tensor per storage, so tensors that shared storage in the file share it here too. Writing: one
// record per storage (views and tied weights once), location 'cpu', dtypes kept (int32 stays int32).

import { parseDevice } from '../backends/registry.js';
import type { Device } from '../backends/backend.js';
import { Tensor, isTensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { fmtShape } from '../shape.js';
import { readZipDirectory, readZipEntry, writeZip } from './zip.js';
import { unpickle, type GlobalRef, type UnpickleHooks } from './pickle.js';
import { PickleWriter, pickleTree } from './pickler.js';
import { decodeStorage, encodeValues, writeType, type StoredType } from './convert.js';

const STORAGE_TYPES: Record<string, StoredType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const ALLOWED = new Set([
  'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'collections.OrderedDict',
  ...Object.keys(STORAGE_TYPES).map((s) => `torch.${s}`),
]);

/**
 * The globals PyTorch 1.13's weights_only unpickler (torch/_weights_only_unpickler.py) accepts,
 * beyond torchlet's own: with weightsOnly these are "not supported here" rather than refused.
 */
const PYTORCH_WEIGHTS_ONLY = new Set([
  'torch.nn.parameter.Parameter', 'torch.serialization._get_layout', 'torch.Size', 'torch.Tensor',
  ...['complex32', 'complex64', 'complex128', 'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64'].map((d) => `torch.${d}`),
  ...['_rebuild_tensor', '_rebuild_sparse_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_sparse_csr_tensor'].map((f) => `torch._utils.${f}`),
  ...['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'].map((t) => `torch.${t}Tensor`),
  ...['Untyped', 'ComplexFloat', 'ComplexDouble', 'QInt8', 'QUInt8', 'QInt32', 'QUInt4x2', 'QUInt2x4'].map((t) => `torch.${t}Storage`),
]);

/** torch.load's weightsOnly refusal, worded as PyTorch's (torch.serialization's UNSAFE_MESSAGE). */
function weightsOnlyError(full: string): Error {
  if (PYTORCH_WEIGHTS_ONLY.has(full)) return new Error(`load: '${full}' (which weights_only allows) is not supported by torchlet's loader`);
  return new Error(`load: Weights only load failed. WeightsUnpickler error: Unsupported class ${full}. `
    + 'With weightsOnly: true only tensors, storages and plain containers (dict, OrderedDict, list, tuple, numbers, strings) load, as in PyTorch. '
    + 'torchlet never executes code from a file: pass { weightsOnly: false } to load this global as an inert placeholder that names it.');
}

interface StorageRef { kind: 'storage'; key: string; type: StoredType; numel: number }

/** Options of loadPt: weightsOnly refuses globals that are not tensor data or containers (else they load as inert placeholders). */
export interface LoadPtOptions { weightsOnly?: boolean }

export async function loadPt(bytes: Uint8Array, device: Device, opts: LoadPtOptions = {}): Promise<unknown> {
  const dir = readZipDirectory(bytes);
  const pkl = [...dir.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pkl) throw new Error('load: zip archive has no data.pkl: not a PyTorch checkpoint');
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const raw: Map<string, Uint8Array> = new Map();
  for (const [name, e] of dir) if (name.startsWith(`${prefix}data/`)) raw.set(name.slice(prefix.length + 5), await readZipEntry(bytes, e));
  const pickle = await readZipEntry(bytes, dir.get(pkl)!);
  const bases = new Map<string, Tensor>();
  const baseOf = (s: StorageRef): Tensor => {
    let b = bases.get(s.key);
    if (!b) {
      const data = raw.get(s.key);
      if (!data) throw new Error(`load: storage data/${s.key} is missing from the archive (truncated file?)`);
      b = decodeStorage(data, s.type, s.numel, device, `storage data/${s.key}`);
      bases.set(s.key, b);
    }
    return b;
  };
  const hooks: UnpickleHooks = {
    allowed: ALLOWED,
    inert: !opts.weightsOnly,
    refuse: weightsOnlyError,
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new Error(`load: unsupported persistent id ${JSON.stringify(pid)}`);
      const t = pid[1] as GlobalRef;
      const type = t && t.kind === 'global' ? STORAGE_TYPES[t.name] : undefined;
      if (!type) throw new Error(`load: unsupported storage type in persistent id`);
      return { kind: 'storage', key: String(pid[2]), type, numel: Number(pid[4]) } satisfies StorageRef;
    },
    call(fn, args) {
      const name = `${fn.module}.${fn.name}`;
      if (name === 'collections.OrderedDict') return {};
      if (name === 'torch._utils._rebuild_tensor_v2') {
        const [s, offset, size, stride] = args as [StorageRef, number, number[], number[]];
        if (!s || s.kind !== 'storage' || !Array.isArray(size) || !Array.isArray(stride)) throw new Error('load: malformed _rebuild_tensor_v2 arguments');
        let last = offset;
        for (let d = 0; d < size.length; d++) if (size[d]! > 0) last += (size[d]! - 1) * stride[d]!;
        if (size.some((n) => n === 0)) last = offset - 1;
        if (offset < 0 || last >= s.numel) throw new Error(`load: tensor of size ${fmtShape(size)} (offset ${offset}, stride ${fmtShape(stride)}) exceeds its storage of ${s.numel} elements`);
        return baseOf(s).asView_(size, stride, offset);
      }
      if (name === 'torch._utils._rebuild_parameter') {
        const [t, requiresGrad] = args as [Tensor, boolean];
        if (!(t instanceof Tensor)) throw new Error('load: malformed _rebuild_parameter arguments');
        if (requiresGrad && t.isFloatingPoint()) t.requiresGrad_(true);
        return t;
      }
      throw new Error(`load: calling '${name}' is not supported`);
    },
  };
  try {
    return unpickle(pickle, hooks);
  } finally {
    // The returned tensors are views holding their own storage references; the bases are dropped.
    for (const b of bases.values()) b.dispose();
  }
}

const STORAGE_NAME = Object.fromEntries(Object.entries(STORAGE_TYPES).map(([name, type]) => [type, name])) as Record<StoredType, string>;

interface StorageRecord { key: string; dtype: DType; src: Tensor; lo: number; hi: number }

/** The element range [lo, hi] a tensor with non-negative strides covers in its storage. */
function extent(t: Tensor): [number, number] {
  let hi = t.storageOffset();
  t.shape.forEach((n, d) => { hi += (n - 1) * t.stride()[d]!; });
  return [t.storageOffset(), hi];
}

/**
 * A PyTorch zip checkpoint of `obj` (a Tensor, or arrays/plain objects of tensors, numbers, strings,
 * booleans and null). Tensors sharing a storage share one record covering the range they use.
 */
export async function savePt(obj: unknown): Promise<Uint8Array> {
  const temps: Tensor[] = [];
  const byStorage = new Map<unknown, Map<DType, StorageRecord>>();
  const recordOf = new Map<Tensor, StorageRecord>();
  const records: StorageRecord[] = [];
  // Pass 1: every tensor, in the order the pickle meets them (keys '0', '1'... as PyTorch numbers them).
  const seen = new Set<object>();
  const collect = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (isTensor(v)) {
      if (recordOf.has(v)) return;
      let t = v;
      // PyTorch has no negative strides (torchlet's flips are views): those are written as copies.
      if (t.stride().some((s) => s < 0)) { t = t.contiguous(); temps.push(t); }
      const [lo, hi] = t.numel() === 0 ? [0, -1] : extent(t);
      let perDtype = byStorage.get(t.storage);
      if (!perDtype) byStorage.set(t.storage, (perDtype = new Map()));
      let r = perDtype.get(t.dtype);
      if (!r || t.numel() === 0) {
        r = { key: String(records.length), dtype: t.dtype, src: t, lo, hi };
        records.push(r);
        if (t.numel() > 0) perDtype.set(t.dtype, r);
      } else { r.lo = Math.min(r.lo, lo); r.hi = Math.max(r.hi, hi); }
      recordOf.set(v, r);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) collect(x);
  };
  try {
    collect(obj);
    const w = new PickleWriter();
    pickleTree(w, obj, (v) => {
      if (!isTensor(v)) return false;
      const r = recordOf.get(v)!;
      const t = r.src.storage === v.storage && !v.stride().some((s) => s < 0) ? v : r.src;
      w.global('torch._utils', '_rebuild_tensor_v2');
      w.mark();
      w.mark(); w.str('storage'); w.global('torch', STORAGE_NAME[writeType(r.dtype)]); w.str(r.key); w.str('cpu'); w.int(r.hi - r.lo + 1); w.tuple();
      w.persId();
      w.int(t.numel() === 0 ? 0 : t.storageOffset() - r.lo);
      w.intTuple(t.shape);
      w.intTuple(t.stride());
      w.bool(v.requiresGrad && v.isLeaf);
      w.global('collections', 'OrderedDict'); w.emptyTuple(); w.reduce();
      w.tuple();
      w.reduce();
      return true;
    }, 'save');
    const entries = [{ name: 'archive/data.pkl', data: w.finish() }, { name: 'archive/byteorder', data: new TextEncoder().encode('little') }];
    // PyTorch writes the storage records sorted by key, as strings.
    for (const r of [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      let data: Uint8Array = new Uint8Array(0);
      if (r.hi >= r.lo) {
        const span = r.src.asView_([r.hi - r.lo + 1], [1], r.lo);
        try { data = encodeValues(await span.data(), r.dtype); } finally { span.dispose(); }
      }
      entries.push({ name: `archive/data/${r.key}`, data });
    }
    entries.push({ name: 'archive/version', data: new TextEncoder().encode('3\n') });
    return writeZip(entries, 'save');
  } finally {
    for (const t of temps) t.dispose();
  }
}

export { parseDevice };
