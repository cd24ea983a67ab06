// Reader for PyTorch's zip checkpoints (what torch.save writes since 1.6): <prefix>/data.pkl is a
// pickle whose tensors point, through persistent ids ('storage', StorageType, key, location, numel),
// at raw little-endian storages in <prefix>/data/<key>. Tensors are strided views of one shared
// base tensor per storage, so tensors that shared storage in the file share it here too.

import { parseDevice } from '../backends/registry.js';
import type { Device } from '../backends/backend.js';
import { Tensor } from '../tensor.js';
import { fmtShape } from '../shape.js';
import { readZipDirectory, readZipEntry } from './zip.js';
import { unpickle, type GlobalRef, type UnpickleHooks } from './pickle.js';
import { decodeStorage, type StoredType } from './convert.js';

const STORAGE_TYPES: Record<string, StoredType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const ALLOWED = new Set([
  'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'collections.OrderedDict',
  ...Object.keys(STORAGE_TYPES).map((s) => `torch.${s}`),
]);

interface StorageRef { kind: 'storage'; key: string; type: StoredType; numel: number }

export async function loadPt(bytes: Uint8Array, device: Device): Promise<unknown> {
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

export { parseDevice };
