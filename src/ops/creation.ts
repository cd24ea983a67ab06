// Tensor creation: torch.tensor from nested arrays / typed arrays / numbers, zeros/ones/full/empty,
// arange/linspace/logspace/eye, and the Philox-backed random creators (rand, randn, randint,
// randperm, multinomial and the *Like variants). Options are PyTorch's keywords: { dtype, device, requiresGrad }.

import type { Device } from '../backends/backend.js';
import { getBackend, parseDevice } from '../backends/registry.js';
import { philoxBlocks } from '../backends/philox.js';
import { checkDType, isFloating, type DType, type TypedArray } from '../dtype.js';
import { fmtShape, numel, shapeArg } from '../shape.js';
import { nextRandom, state } from '../state.js';
import { Tensor, isTensor } from '../tensor.js';
import { tidyImpl } from '../memory.js';
import { empty, fromArray } from './prim.js';
import type { CreateOpts, NestedArray, RandOpts, Scalar } from './types.js';
import { searchsorted } from './search.js';
import { viewAsComplex } from './complex.js';
import type { Generator } from '../generator.js';

type ShapeAndOpts = (number | readonly number[] | CreateOpts)[];
type RandShapeAndOpts = (number | readonly number[] | RandOpts)[];

function resolve(opts: CreateOpts | undefined, fallback: DType = state.defaultDtype): { dtype: DType; device: Device } {
  return {
    dtype: opts?.dtype !== undefined ? checkDType(opts.dtype) : fallback,
    device: opts?.device !== undefined ? parseDevice(opts.device) : state.defaultDevice,
  };
}
function finish(t: Tensor, opts?: CreateOpts): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}
/** Splits `(2, 3, { dtype })` or `([2, 3], { dtype })` into shape and options. */
function splitArgs(args: ShapeAndOpts, op: string): [number[], CreateOpts | undefined] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && typeof last === 'object' && !Array.isArray(last);
  const shapeArgs = (hasOpts ? args.slice(0, -1) : args) as (number | readonly number[])[];
  const shape = shapeArg(shapeArgs, op);
  if (shape.some((s) => s < 0)) throw new RangeError(`${op}: Trying to create tensor with negative dimension: ${fmtShape(shape)}`);
  return [shape, hasOpts ? (last as CreateOpts) : undefined];
}

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

/**
 * torch.asTensor (as_tensor): like torch.tensor, but a Tensor already of the asked dtype and device is
 * returned as it is (shared, autograd history kept), and one that is not is converted with `to`
 * (differentiable), as PyTorch does; plain data is copied.
 */
export function asTensor(data: NestedArray | TypedArray | readonly NestedArray[] | Tensor, opts: { dtype?: DType; device?: Device | string } = {}): Tensor {
  if (data instanceof Tensor) return data.to(opts.device !== undefined ? parseDevice(opts.device) : data.device, { dtype: opts.dtype ?? data.dtype });
  return tensor(data, opts);
}

/**
 * torch.tensor: copies data. Integers infer int32, any non-integer float32, booleans bool.
 * @example
 * ```ts
 * const x = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32', requiresGrad: true });
 * const i = torch.tensor([1, 2]);          // int32: integer-valued numbers infer int32
 * const z = torch.zeros(2, 3);             // shapes are varargs or an array
 * console.log(await x.tolist());           // reads are async
 * ```
 */
export function tensor(data: NestedArray | TypedArray | readonly NestedArray[] | Tensor, opts: CreateOpts = {}): Tensor {
  if (data instanceof Tensor) return finish(data.detach().to(opts.device !== undefined ? parseDevice(opts.device) : data.device, { dtype: opts.dtype ?? data.dtype, copy: true }), opts);
  let flat: ArrayLike<number>; let shape: number[]; let inferred: DType;
  if (ArrayBuffer.isView(data)) {
    const d = data as TypedArray;
    flat = d; shape = [d.length];
    inferred = d instanceof Float64Array ? 'float64' : d instanceof Float32Array ? 'float32' : d instanceof Int32Array ? 'int32'
      : d instanceof Uint8Array ? 'uint8' : (() => { throw new TypeError(`tensor: unsupported typed array ${d.constructor.name}`); })();
  } else {
    shape = [];
    let probe: unknown = data;
    while (Array.isArray(probe)) { shape.push(probe.length); probe = probe[0]; }
    const out: number[] = [];
    let allBool = true, allInt = true, any = false;
    const walk = (v: unknown, dim: number): void => {
      if (dim === shape.length) {
        if (v instanceof Tensor) {
          // PyTorch's torch.tensor([loss_a, loss_b]): one-element tensors give their values, with their dtype's kind.
          if (v.numel() !== 1) throw new TypeError(`tensor: only one-element tensors can be converted to scalars, got one of shape ${fmtShape(v.shape)} at dim ${dim}; torch.stack joins tensors`);
          const x = v.itemSync();
          if (typeof x === 'boolean') out.push(x ? 1 : 0);
          else { out.push(x); allBool = false; if (!Number.isInteger(x) || isFloating(v.dtype)) allInt = false; }
        } else if (typeof v === 'boolean') { out.push(v ? 1 : 0); allInt = allInt && true; }
        else if (typeof v === 'number') { out.push(v); allBool = false; if (!Number.isInteger(v)) allInt = false; }
        else throw new TypeError(`tensor: could not infer dtype of ${v === null ? 'null' : typeof v} at dim ${dim}`);
        any = true;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[dim]) {
        throw new RangeError(`tensor: expected sequence of length ${shape[dim]} at dim ${dim} (got ${Array.isArray(v) ? v.length : typeof v})`);
      }
      for (const e of v) walk(e, dim + 1);
    };
    walk(data, 0);
    flat = out;
    inferred = !any ? state.defaultDtype : allBool ? 'bool' : allInt ? 'int32' : state.defaultDtype;
  }
  const { dtype, device } = resolve(opts, inferred);
  if (opts.dtype === undefined && dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i]!;
      if (v < INT32_MIN || v > INT32_MAX) throw new RangeError(`tensor: value ${v} does not fit in int32 (torchlet's integer dtype); pass { dtype: 'float64' } or 'float32'`);
    }
  }
  return finish(fromArray(flat as TypedArray | number[], shape, dtype, device), opts);
}

/** A tensor of the given shape filled with value (torch.full); dtype is inferred from value (bool, int32 or default float) unless given. */
export function full(shapeIn: number | readonly number[], value: Scalar, opts: CreateOpts = {}): Tensor {
  const shape = typeof shapeIn === 'number' ? [shapeIn] : [...shapeIn];
  // PyTorch infers from the fill value: bool -> bool, integer -> int64 (int32 here), else float.
  const inferred: DType = typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int32' : state.defaultDtype;
  const { dtype, device } = resolve(opts, inferred);
  const t = empty(shape, dtype, device);
  if (t.numel() > 0 && (dtype === 'complex64' || dtype === 'complex128')) {
    // value + 0i: fill the real parts, then the imaginary parts, of the (re, im) pair view.
    const p = t.pairView_(), re = { ...p, shape: t.shape, strides: p.strides.slice(0, -1) };
    getBackend(device).fill(re, typeof value === 'boolean' ? (value ? 1 : 0) : value);
    getBackend(device).fill({ ...re, offset: re.offset + 1 }, 0);
  } else if (t.numel() > 0) getBackend(device).fill(t.view_(), typeof value === 'boolean' ? (value ? 1 : 0) : value);
  return finish(t, opts);
}
/** A tensor filled with 0, shape as varargs or an array (torch.zeros); options { dtype, device, requiresGrad }. */
export function zeros(...args: ShapeAndOpts): Tensor { const [s, o] = splitArgs(args, 'zeros'); return full(s, 0, { ...o, dtype: resolve(o).dtype }); }
/** A tensor filled with 1, shape as varargs or an array (torch.ones); options { dtype, device, requiresGrad }. */
export function ones(...args: ShapeAndOpts): Tensor { const [s, o] = splitArgs(args, 'ones'); return full(s, 1, { ...o, dtype: resolve(o).dtype }); }
/** An uninitialised tensor of the given shape (torch.empty); options { dtype, device, requiresGrad }. */
export function empty_(...args: ShapeAndOpts): Tensor {
  const [s, o] = splitArgs(args, 'empty');
  const { dtype, device } = resolve(o);
  return finish(empty(s, dtype, device), o);
}

function likeOpts(x: Tensor, opts: CreateOpts = {}): CreateOpts {
  return { dtype: opts.dtype ?? x.dtype, device: opts.device ?? x.device, requiresGrad: opts.requiresGrad };
}
/** Zeros with x's shape, dtype and device unless overridden (torch.zeros_like). */
export const zerosLike = (x: Tensor, opts?: CreateOpts) => full(x.shape, 0, likeOpts(x, opts));
/** Ones with x's shape, dtype and device unless overridden (torch.ones_like). */
export const onesLike = (x: Tensor, opts?: CreateOpts) => full(x.shape, 1, likeOpts(x, opts));
/** A tensor of x's shape filled with value, with x's dtype and device unless overridden (torch.full_like). */
export const fullLike = (x: Tensor, value: Scalar, opts?: CreateOpts) => full(x.shape, value, likeOpts(x, opts));
/** An uninitialised tensor with x's shape, dtype and device unless overridden (torch.empty_like). */
export const emptyLike = (x: Tensor, opts?: CreateOpts) => empty_(x.shape, likeOpts(x, opts));

/** arange(end) | arange(start, end, step?) with an optional trailing options object. */
export function arange(...args: (number | CreateOpts)[]): Tensor {
  const last = args[args.length - 1];
  const opts = typeof last === 'object' ? (last as CreateOpts) : undefined;
  const nums = (opts ? args.slice(0, -1) : args) as number[];
  let [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError(`arange: unsupported range: ${start} -> ${end}`);
  if ((end - start) * step < 0) throw new RangeError('arange: upper bound and larger bound inconsistent with step sign');
  const intArgs = [start, end, step].every((v) => Number.isInteger(v));
  const { dtype, device } = resolve(opts, intArgs ? 'int32' : state.defaultDtype);
  const n = Math.max(Math.ceil((end - start) / step), 0);
  // Integer dtypes: PyTorch sizes the result from the exact arguments but steps with them truncated.
  if (!isFloating(dtype)) {
    [start, step] = [Math.trunc(start), Math.trunc(step)];
    if (step === 0) throw new RangeError(`arange: step must be nonzero (step ${nums[2]} truncates to 0 for dtype ${dtype})`);
  }
  const t = empty([n], dtype, device);
  if (n > 0) getBackend(device).arange(t.view_(), start, step);
  return finish(t, opts);
}

/** steps evenly spaced values from start to end inclusive (torch.linspace). */
export function linspace(start: number, end: number, steps: number, opts: CreateOpts = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: number of steps must be non-negative, got ${steps}`);
  const { dtype, device } = resolve(opts);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Symmetric evaluation from both ends, as PyTorch, so the last value is exactly `end`.
  const data = Array.from({ length: steps }, (_, i) => (i < steps / 2 ? start + i * step : end - (steps - 1 - i) * step));
  return finish(fromArray(data, [steps], dtype, device), opts);
}
/** steps values base^t for t evenly spaced from start to end (torch.logspace); options add { base }, default 10. */
export function logspace(start: number, end: number, steps: number, opts: CreateOpts & { base?: number } = {}): Tensor {
  const base = opts.base ?? 10;
  const { dtype, device } = resolve(opts);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const data = Array.from({ length: steps }, (_, i) => base ** (i < steps / 2 ? start + i * step : end - (steps - 1 - i) * step));
  return finish(fromArray(data, [steps], dtype, device), opts);
}

/** An n x m identity matrix, m defaulting to n (torch.eye). */
export function eye(n: number, m?: number | CreateOpts, opts?: CreateOpts): Tensor {
  const cols = typeof m === 'number' ? m : n;
  const o = typeof m === 'object' ? m : opts;
  const { dtype, device } = resolve(o);
  const data = new Array<number>(n * cols).fill(0);
  for (let i = 0; i < Math.min(n, cols); i++) data[i * cols + i] = 1;
  return finish(fromArray(data, [n, cols], dtype, device), o);
}

// ---------------------------------------------------------------- random

function randomFill(shape: number[], dist: 'uniform' | 'normal', opts: RandOpts | undefined, op: string): Tensor {
  const { dtype, device } = resolve(opts);
  if (dtype === 'complex64' || dtype === 'complex128') {
    // As PyTorch: the (re, im) pairs drawn as reals; normal parts have variance 1/2, so E|z|^2 = 1.
    const pairs = randomFill([...shape, 2], dist, { dtype: dtype === 'complex64' ? 'float32' : 'float64', device, generator: opts?.generator }, op);
    return finish(viewAsComplex(dist === 'normal' ? pairs.mul(Math.SQRT1_2) : pairs), opts);
  }
  if (!isFloating(dtype)) throw new TypeError(`${op}: "${dist}" not implemented for '${dtype}'`);
  const n = numel(shape);
  const target = dtype === 'float16' ? 'float32' : dtype;
  let t = empty(shape, target, device);
  // A torch.Generator reserves the counter blocks from its own stream; the global one is left as it was.
  const blocks = philoxBlocks(n, dist);
  const [seed, offset] = opts?.generator ? opts.generator.reserve(blocks) : nextRandom(blocks);
  if (n > 0) getBackend(device).random(t.view_(), dist, seed, offset);
  // float16 has 11 significant bits: a 24-bit uniform near 1 would round up to 1.0, so keep 11 bits.
  if (dtype === 'float16' && dist === 'uniform') t = t.mul(2048).floor().div(2048);
  if (target !== dtype) t = t.to(dtype);
  return finish(t, opts);
}
/** Uniform random values in [0, 1) (torch.rand); floating dtypes only; options { dtype, device, requiresGrad, generator }. */
export function rand(...args: RandShapeAndOpts): Tensor { const [s, o] = splitArgs(args, 'rand'); return randomFill(s, 'uniform', o, 'rand'); }
/**
 * @internal Dropout's keep flags (bool, `shape`): a float32 uniform draw per element, kept where it is >= p. The
 * one rule of every dropout (F.dropout and its family, the layers, fused attention), so a fused kernel
 * draws exactly what the composed path would.
 */
export function dropoutKeep(shape: readonly number[], p: number, device: Device): Tensor {
  const u = rand([...shape], { dtype: 'float32', device });
  const keep = u.ge(p);
  u.dispose();
  return keep;
}
/** Standard normal random values (torch.randn); floating dtypes only; options { dtype, device, requiresGrad, generator }. */
export function randn(...args: RandShapeAndOpts): Tensor { const [s, o] = splitArgs(args, 'randn'); return randomFill(s, 'normal', o, 'randn'); }
/** Uniform [0, 1) values with x's shape, dtype and device unless overridden (torch.rand_like). */
export const randLike = (x: Tensor, opts?: CreateOpts) => rand(x.shape, likeOpts(x, opts));
/** Standard normal values with x's shape, dtype and device unless overridden (torch.randn_like). */
export const randnLike = (x: Tensor, opts?: CreateOpts) => randn(x.shape, likeOpts(x, opts));

/** randint(high, size, opts?) or randint(low, high, size, opts?): int32 in [low, high); options { dtype, device, requiresGrad, generator }. */
export function randint(...args: (number | readonly number[] | RandOpts)[]): Tensor {
  const last = args[args.length - 1];
  const opts = last !== undefined && typeof last === 'object' && !Array.isArray(last) ? (last as RandOpts) : undefined;
  const rest = opts ? args.slice(0, -1) : args;
  const size = rest[rest.length - 1];
  if (!Array.isArray(size)) throw new TypeError('randint: size must be an array, e.g. torch.randint(0, 10, [3, 4])');
  const bounds = rest.slice(0, -1) as number[];
  const [low, high] = bounds.length === 1 ? [0, bounds[0]!] : [bounds[0]!, bounds[1]!];
  if (!(high > low)) throw new RangeError(`randint: random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  const { dtype, device } = resolve(opts, 'int32');
  // float32 uniforms carry 24 random bits: exact for ranges up to 2^24; the clamp guards rounding up.
  const u = rand(size as number[], { dtype: 'float32', device, generator: opts?.generator });
  return finish(u.mul(high - low).floor().clamp(null, high - low - 1).add(low).to(dtype), opts);
}
/** Random integers in [low, high) (or [0, low) when high is omitted) with x's shape (torch.randint_like). */
export function randintLike(x: Tensor, low: number, high?: number, opts?: CreateOpts): Tensor {
  return high === undefined ? randint(low, [...x.shape], likeOpts(x, opts)) : randint(low, high, [...x.shape], likeOpts(x, opts));
}
/** A random permutation of 0..n-1, int32 by default (torch.randperm); options { dtype, device, requiresGrad, generator }. */
export function randperm(n: number, opts: RandOpts = {}): Tensor {
  const { device } = resolve(opts);
  const r = rand([n], { dtype: 'float32', device, generator: opts.generator }).argsort();
  return opts.dtype && opts.dtype !== 'int32' ? r.to(opts.dtype) : r;
}

/**
 * torch.multinomial(input, numSamples, { replacement }): int32 category indices drawn from the
 * non-negative, not necessarily normalised weights `input` ([n] -> [numSamples], [rows, n] ->
 * [rows, numSamples]). Built from rand so it runs on every backend and follows torch.manualSeed. With
 * replacement, each uniform u * total is located in the row's running sum (a [rows, k, n] comparison:
 * fine for vocabulary-sized rows); without it, the exponential race keys w / E (E ~ Exp(1)) and takes
 * the top k, which picks distinct categories with the sequential-draw probabilities, as PyTorch does.
 * The weights are checked with PyTorch's messages (which differ with and without replacement): at
 * once on synchronous devices; elsewhere as device checks that reading the samples raises.
 */
export function multinomial(input: Tensor, numSamples: number, opts: { replacement?: boolean; generator?: Generator | null } = {}): Tensor {
  if (input.ndim !== 1 && input.ndim !== 2) throw new RangeError(`multinomial: prob_dist must be 1 or 2 dim, got shape ${fmtShape(input.shape)}`);
  if (!isFloating(input.dtype)) throw new TypeError(`multinomial only supports floating-point dtypes for input, got: ${input.dtype}`);
  const n = input.shape[input.ndim - 1]!;
  if (n === 0) throw new RangeError('multinomial: prob_dist must have at least one category');
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new RangeError(`multinomial: cannot sample n_sample <= 0 samples (got ${numSamples})`);
  if (!opts.replacement && numSamples > n) throw new RangeError(`multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement (${numSamples} > ${n})`);
  // tidy frees every temporary, including those the composed ops make internally.
  return tidyImpl(() => {
    const w = input.detach().to('float32');
    const rows = w.ndim === 1 ? w.unsqueeze(0) : w;
    const r = rows.shape[0]!;
    const carry = samplingChecks(multinomialChecks(rows, !!opts.replacement));
    const uniforms = (shape: number[]) => carry(rand(shape, { dtype: 'float32', device: input.device, generator: opts.generator }));
    let idx: Tensor;
    if (opts.replacement || numSamples === 1) {
      const cdf = rows.cumsum(-1);
      const target = uniforms([r, numSamples]).mul(cdf.narrow(-1, n - 1, 1));
      // The clamp guards u * total rounding up to total itself.
      idx = searchsorted(cdf, target, { right: true, outInt32: true }).clamp(null, n - 1).to('int32');
    } else {
      const e = uniforms([r, n]).log().neg();
      idx = rows.div(e).topk(numSamples, -1).indices;
    }
    return input.ndim === 1 ? idx.squeeze(0) : idx;
  }, isTensor);
}

/** multinomial's checks of the weights rows [r, n] (float32): where each fails, in PyTorch's order and wording. */
function multinomialChecks(rows: Tensor, replacement: boolean): [Tensor, string][] {
  const negOrNan = rows.lt(0).logicalOr(rows.isnan());
  const checks: [Tensor, string][] = replacement
    ? [[negOrNan, 'invalid multinomial distribution (encountering probability entry < 0)'],
      [rows.isinf(), 'invalid multinomial distribution (encountering probability entry = infinity or NaN)']]
    : [[negOrNan.logicalOr(rows.isinf()), 'probability tensor contains either `inf`, `nan` or element < 0']];
  checks.push([rows.sum(-1).le(0), 'invalid multinomial distribution (sum of probabilities <= 0)']);
  return checks;
}

/**
 * @internal The argument checks of a sampling op (multinomial, bernoulli, normal): each [bad, message] is a
 * RangeError where any element of bad is set. A synchronous device throws the first failure now,
 * before anything is drawn; elsewhere the returned function hands the checks to the fresh draw it is
 * given (a device check the draw carries), so reading the samples raises them, not the inputs.
 */
export function samplingChecks(checks: readonly [Tensor, string][]): (draw: Tensor) => Tensor {
  if (checks.length === 0) return (draw) => draw;
  const flags = checks.map(([bad, message]): [Tensor, string] => [bad.any().to('int32'), message]);
  if (getBackend(checks[0]![0].device).synchronous) {
    for (const [flag, message] of flags) if (flag.itemSync()) throw new RangeError(message);
    return (draw) => draw;
  }
  return (draw) => {
    const be = getBackend(draw.device);
    for (const [flag, message] of flags) { be.checkRange(flag.view_(), 0, 0, message); be.carryChecks?.(flag.view_(), draw.view_()); }
    return draw;
  };
}
