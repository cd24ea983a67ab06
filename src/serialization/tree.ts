// Nested checkpoints in safetensors, which holds only a flat { name: tensor } map plus string
// metadata. Layout: each tensor is stored under its dotted path (`model.0.weight`,
// `optimizer.state.0.exp_avg`), and `__metadata__['torchlet.structure']` is the JSON of the whole
// tree with every tensor replaced by {"$tensor": "<stored name>"}; loading rebuilds the same tree.

import { isTensor, type Tensor } from '../tensor.js';

export const STRUCTURE_KEY = 'torchlet.structure';

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * The error for a value a checkpoint cannot hold; for a model or optimizer (torch.save(model), a
 * PyTorch habit that pickles the object), it says to save its stateDict() instead.
 */
export function unsavable(what: string, path: string, v: unknown): TypeError {
  const kind = v === undefined ? 'undefined' : typeof v === 'object' && v !== null ? ((v as object).constructor?.name ?? 'object') : typeof v;
  const hint = typeof (v as { stateDict?: unknown } | null)?.stateDict === 'function' ? `; save its stateDict() instead (PyTorch's recommended way), and load it with loadStateDict()` : '';
  return new TypeError(`${what}: value at ${path || 'the top level'} is ${kind}: a checkpoint holds Tensors, numbers, strings, booleans, null, and arrays/plain objects of them${hint}`);
}

/** True when `obj` is a flat { name: Tensor } map (stored as is, with no structure entry). */
export function isFlatTensorMap(obj: unknown): obj is Record<string, Tensor> {
  return isPlain(obj) && Object.values(obj).every(isTensor);
}

/**
 * Splits a tree into its tensors (by dotted path) and the JSON structure that references them.
 * Non-finite numbers and -0 are written as {"$number": "NaN" | "Infinity" | "-Infinity" | "-0"};
 * an object with a key starting with '$' is wrapped as {"$object": {...}} so it cannot be mistaken
 * for one of these markers.
 */
export function flattenTree(root: unknown, what: string): { tensors: Record<string, Tensor>; structure: string } {
  const tensors: Record<string, Tensor> = {};
  const open = new Set<object>();
  const walk = (v: unknown, path: string): unknown => {
    if (isTensor(v)) {
      const key = path || 'tensor';
      if (key === '__metadata__') throw new TypeError(`${what}: '__metadata__' is reserved by safetensors and cannot name a tensor`);
      if (key in tensors) throw new TypeError(`${what}: two tensors flatten to the safetensors name '${key}' (keys containing '.' collide with nesting); rename one or save as .pt`);
      tensors[key] = v;
      return { $tensor: key };
    }
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
    if (Array.isArray(v) || isPlain(v)) {
      if (open.has(v)) throw new TypeError(`${what}: the object contains a cycle at ${path || 'the top level'}`);
      open.add(v);
      const sub = (k: string | number) => (path ? `${path}.${k}` : String(k));
      let out: unknown;
      if (Array.isArray(v)) out = v.map((x, i) => walk(x, sub(i)));
      else {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[k] = walk(x, sub(k));
        out = Object.keys(o).some((k) => k.startsWith('$')) ? { $object: o } : o;
      }
      open.delete(v);
      return out;
    }
    throw unsavable(what, path, v);
  };
  const structure = JSON.stringify(walk(root, ''));
  return { tensors, structure };
}

/** Rebuilds the tree from its structure JSON and the loaded tensors (referenced by stored name). */
export function unflattenTree(structure: string, tensors: Record<string, Tensor>): unknown {
  let json: unknown;
  try { json = JSON.parse(structure); } catch (e) {
    throw new Error(`load: safetensors metadata '${STRUCTURE_KEY}' is not valid JSON (${(e as Error).message})`);
  }
  const build = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(build);
    if (!isPlain(v)) return v;
    if (typeof v.$tensor === 'string') {
      const t = tensors[v.$tensor];
      if (!t) throw new Error(`load: safetensors metadata '${STRUCTURE_KEY}' refers to tensor '${v.$tensor}', which the file does not hold`);
      return t;
    }
    if (typeof v.$number === 'string') return v.$number === '-0' ? -0 : Number(v.$number);
    const o = isPlain(v.$object) ? v.$object : v;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, build(x)]));
  };
  return build(json);
}
