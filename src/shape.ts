// Pure shape helpers: numel, contiguous strides, dim normalisation, broadcasting, formatting, and the
// dim collapsing and convolution output sizes every backend's strided kernels use.
// No imports from the rest of the library; every error message names the op and the shapes.

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!; // indexed: no iterator object per call
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = acc; acc *= Math.max(shape[i]!, 1); }
  return st;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== acc) return shape[i] === 0 ? true : false;
    acc *= shape[i]!;
  }
  return true;
}

export function fmtShape(shape: Shape): string { return `[${shape.join(', ')}]`; }

/** Wraps a possibly negative dim into [0, ndim). A 0-dim tensor accepts dims -1 and 0, as PyTorch. */
export function normDim(dim: number, ndim: number, op = 'op'): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(`${op}: Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalises a dim or list of dims; `undefined`/`null` means all dims. Rejects repeats. */
export function normDims(dims: number | readonly number[] | null | undefined, ndim: number, op = 'op'): number[] {
  if (dims === undefined || dims === null) return [...Array(ndim).keys()];
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(d, ndim, op));
  if (ndim === 0) return [];
  if (new Set(out).size !== out.length) throw new RangeError(`${op}: dim ${list.join(', ')} appears multiple times in the list of dims`);
  return out.sort((a, b) => a - b);
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = nd - s.length + i;
      const a = out[j]!, b = s[i]!;
      if (a === b || b === 1) continue;
      if (a === 1) { out[j] = b; continue; }
      throw new RangeError(`${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together ` +
        `(the size of dim ${j - nd} is ${a} in one and ${b} in another)`);
    }
  }
  return out;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses PyTorch-style shape arguments: varargs of numbers or one array. */
export function shapeArg(args: readonly (number | readonly number[])[], op = 'op'): number[] {
  const s = args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
  for (const v of s) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: shape must be integers, got ${fmtShape(s)}`);
  }
  return [...s];
}

/** Resolves a single -1 in a reshape target against numel. */
export function inferShape(shape: Shape, n: number, op = 'view'): number[] {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (out.some((v, i) => v < -1 || (v === -1 && i !== neg))) throw new RangeError(`${op}: invalid shape ${fmtShape(shape)}`);
  if (neg >= 0) {
    const rest = numel(out.filter((_, i) => i !== neg));
    if (rest === 0 || n % rest !== 0) throw new RangeError(`${op}: shape '${fmtShape(shape)}' is invalid for input of size ${n}`);
    out[neg] = n / rest;
  }
  if (numel(out) !== n) throw new RangeError(`${op}: shape '${fmtShape(shape)}' is invalid for input of size ${n}`);
  return out;
}

/**
 * Strides for viewing (shape, strides) as newShape without a copy, or null when impossible
 * (PyTorch's computeStride: split/merge only dims that are contiguous with one another).
 */
export function viewStrides(shape: Shape, strides: Shape, newShape: Shape): number[] | null {
  if (numel(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1]!;
  let tensorNumel = 1, viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d]!;
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) { chunkBase = strides[d - 1]!; tensorNumel = 1; viewNumel = 1; }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

/**
 * Merges dims that are contiguous in every operand (outer stride = inner stride * inner size) and
 * drops size-1 dims, so e.g. a contiguous [2,3,4] becomes [24] and a bias broadcast [N,C] stays 2-D.
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = sh.length - 1;
    if (last >= 0 && strides.every((s, i) => st[i]![last] === s[d]! * n)) {
      sh[last]! *= n;
      for (let i = 0; i < st.length; i++) st[i]![last] = strides[i]![d]!;
    } else {
      sh.push(n);
      for (let i = 0; i < st.length; i++) st[i]!.push(strides[i]![d]!);
    }
  }
  return { shape: sh, strides: st };
}

/** Output length of a convolution/pool along one dim: floor((in + 2p - d(k-1) - 1) / s) + 1. */
export function convOutSize(inp: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((inp + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** [outH, outW] of an im2col geometry (Backend.ConvGeometry's kernel, stride, padding, dilation) over an H x W input. */
export function convOutHW(H: number, W: number, g: { readonly kernel: readonly number[]; readonly stride: readonly number[]; readonly padding: readonly number[]; readonly dilation: readonly number[] }): [number, number] {
  return [convOutSize(H, g.kernel[0]!, g.stride[0]!, g.padding[0]!, g.dilation[0]!), convOutSize(W, g.kernel[1]!, g.stride[1]!, g.padding[1]!, g.dilation[1]!)];
}
