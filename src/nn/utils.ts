// torch.nn.utils: gradient clipping (clipGradNorm_, clipGradValue_), flattening parameters to
// one vector and back, and nn.utils.rnn (padSequence, PackedSequence, packPaddedSequence,
// padPackedSequence, packSequence) with PyTorch's packing layout (time-major, decreasing lengths). Clipping scales gradients in place with tensor ops, so it never leaves the
// device unless errorIfNonfinite asks for the norm's value.

import { Tensor, gradsInternally } from '../tensor.js';
import { notifyCall } from '../args.js';
import { noGrad } from '../autograd/grad-mode.js';
import { cat, stack } from '../ops/shape.js';
import { fmtShape } from '../shape.js';
import { norm } from '../ops/reduce.js';
import { full, tensor, zeros } from '../ops/creation.js';
import type { NormOrd } from '../ops/types.js';
import type { Module } from './module.js';
import { Parameter } from './parameter.js';
import { normExceptDim } from './functional/utils.js';
import type { WeightNormOpts } from './parametrizations.js';
export * as parametrize from './parametrize.js';
export * as parametrizations from './parametrizations.js';

type Params = Tensor | Iterable<Tensor>;
const listOf = (p: Params): Tensor[] => (p instanceof Tensor ? [p] : [...p]);

/**
 * Scales all gradients so that their joint norm (of order normType) is at most maxNorm; returns
 * the total norm before clipping (a 0-d tensor), as torch.nn.utils.clip_grad_norm_.
 */
export function clipGradNorm_(parameters: Params, maxNorm: number, opts: { normType?: NormOrd; errorIfNonfinite?: boolean } = {}): Tensor {
  const normType = opts.normType ?? 2;
  const grads = gradsInternally(() => listOf(parameters).map((p) => p.grad)).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => {
    const device = grads[0]!.device;
    const isInf = normType === Infinity || normType === 'inf';
    const norms = grads.map((g) => (isInf ? g.abs().amax() : norm(g, normType)).to(device));
    const total = norms.length === 1 ? norms[0]! : isInf ? stack(norms).amax() : norm(stack(norms), normType);
    if (opts.errorIfNonfinite && !Number.isFinite(Number(total.itemSync()))) {
      throw new Error(`clipGradNorm_: the total norm of order ${String(normType)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false`);
    }
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    for (const g of grads) g.mul_(coef.to(g.device, { dtype: g.dtype }));
    return total;
  });
}

/** Clamps every gradient to [-clipValue, clipValue] in place. */
export function clipGradValue_(parameters: Params, clipValue: number): void {
  noGrad(() => {
    gradsInternally(() => { for (const p of listOf(parameters)) p.grad?.clamp_(-clipValue, clipValue); });
  });
}

/** All parameters flattened and concatenated into one 1-D tensor. */
export function parametersToVector(parameters: Params): Tensor {
  const ps = listOf(parameters);
  if (ps.length === 0) throw new Error('parametersToVector: expected a non-empty list of parameters');
  const dev = ps[0]!.device;
  for (const p of ps) {
    if (p.device !== dev) throw new Error(`parametersToVector: found two parameters on different devices (${dev} and ${p.device})`);
  }
  return cat(ps.map((p) => p.reshape(-1)));
}

/** Copies consecutive slices of `vec` into the parameters (the inverse of parametersToVector). */
export function vectorToParameters(vec: Tensor, parameters: Params): void {
  if (!(vec instanceof Tensor)) throw new TypeError(`vectorToParameters: expected vec to be a Tensor, but got ${typeof vec}`);
  const ps = listOf(parameters);
  const total = ps.reduce((a, p) => a + p.numel(), 0);
  if (vec.ndim !== 1 || vec.shape[0] !== total) throw new RangeError(`vectorToParameters: vec has shape [${vec.shape.join(', ')}], expected [${total}]`);
  noGrad(() => {
    let off = 0;
    for (const p of ps) {
      const n = p.numel();
      p.copy_(vec.narrow(0, off, n).reshape(p.shape));
      off += n;
    }
  });
}

/** The weight norms of weightNorm, per module and name: the hook to remove and the value's computation. */
const weightNorms = new WeakMap<Module, Map<string, [{ remove(): void }, () => Tensor]>>();

/**
 * PyTorch 1.13's torch.nn.utils.weight_norm (the hook form): parameter module[name] is replaced by
 * `<name>_g` and `<name>_v`, and module[name] = g * v / ||v|| is recomputed before every forward
 * (norms over every dim but `dim`; null: the whole tensor), so 1.13 stateDicts load unchanged.
 * name and dim may be given as options (`weightNorm(m, { dim: null })`).
 */
export function weightNorm<M extends Module>(module: M, name: string | WeightNormOpts = 'weight', dim: number | null | Pick<WeightNormOpts, 'dim'> = 0): M {
  if (typeof name === 'object') ({ name = 'weight', dim = 0 } = name);
  if (typeof dim === 'object' && dim) ({ dim = 0 } = dim);
  const rec = module as unknown as Record<string, Tensor>, w = rec[name], n = name;
  const norms = weightNorms.get(module) ?? new Map<string, [{ remove(): void }, () => Tensor]>();
  if (norms.has(n)) throw new Error(`Cannot register two weight_norm hooks on the same parameter ${n}`);
  if (!(w instanceof Parameter)) throw new Error(`weightNorm: '${module.constructor.name}' object has no parameter '${n}'`);
  const d = dim === null ? -1 : dim < -1 ? dim + w.ndim : dim;
  const value = (): Tensor => { const v = rec[`${n}_v`]!; return v.mul(rec[`${n}_g`]!.div(normExceptDim(v, d))); };
  module.forgetField_(n);
  module.registerParameter(`${n}_g`, new Parameter(noGrad(() => normExceptDim(w, d))));
  module.registerParameter(`${n}_v`, new Parameter(w));
  rec[n] = value();
  norms.set(n, [module.registerForwardPreHook(() => { rec[n] = value(); }), value]);
  weightNorms.set(module, norms);
  return module;
}

/** Removes weightNorm from module[name] (torch.nn.utils.remove_weight_norm): it is a parameter again, holding g * v / ||v||. */
export function removeWeightNorm<M extends Module>(module: M, name = 'weight'): M {
  const norms = weightNorms.get(module), e = norms?.get(name), rec = module as unknown as Record<string, Tensor>;
  if (!e) throw new Error(`weight_norm of '${name}' not found in ${module}`);
  e[0].remove();
  norms!.delete(name);
  const w = noGrad(e[1]);
  for (const k of [name, `${name}_g`, `${name}_v`]) { module.forgetField_(k); delete rec[k]; }
  module.registerParameter(name, new Parameter(w));
  return module;
}

/** Pads a list of [L_i, *] tensors to [maxL, B, *] (or [B, maxL, *] with batchFirst) with paddingValue. */
function padSequence(sequences: readonly Tensor[], opts: { batchFirst?: boolean; paddingValue?: number; paddingSide?: 'right' | 'left' } = {}): Tensor {
  if (sequences.length === 0) throw new RangeError('padSequence: received an empty list of sequences');
  const trailing = sequences[0]!.shape.slice(1);
  for (const s of sequences) {
    if (s.ndim < 1 || s.shape.length !== trailing.length + 1 || s.shape.slice(1).some((v, i) => v !== trailing[i])) {
      throw new RangeError(`padSequence: every sequence must have shape [L, ${trailing.join(', ')}], got ${fmtShape(s.shape)}`);
    }
  }
  const maxLen = Math.max(...sequences.map((s) => s.shape[0]!));
  const left = opts.paddingSide === 'left';
  const padded = sequences.map((s) => {
    const n = maxLen - s.shape[0]!;
    if (n === 0) return s;
    const fill = zeros([n, ...trailing], { dtype: s.dtype, device: s.device }).add(opts.paddingValue ?? 0).to(s.dtype);
    return left ? cat([fill, s]) : cat([s, fill]);
  });
  return stack(padded, opts.batchFirst ? 0 : 1);
}

/**
 * Variable-length sequences packed time step by time step: data [sum(lengths), *] holds, for each
 * t, the rows of the batch (sorted by decreasing length) still running at t; batchSizes[t] counts them.
 */
export class PackedSequence {
  /**
   * @internal A host copy of unsortedIndices, kept by packPaddedSequence (and carried to RNN outputs)
   * so unpacking on an asynchronous device needs no read: PyTorch's lengths live on the host too.
   */
  unsortedHost_: number[] | null = null;
  /**
   * @internal What packPaddedSequence packed (the padded input, its lengths, its layout): ONNX
   * export maps an RNN over a PackedSequence to ONNX's recurrent ops with sequence_lens from it.
   */
  source_: { input: Tensor; lengths: Tensor | readonly number[]; batchFirst: boolean } | null = null;
  constructor(readonly data: Tensor, readonly batchSizes: Tensor, readonly sortedIndices: Tensor | null = null, readonly unsortedIndices: Tensor | null = null) {}
  /** @internal batchSizes as numbers (it always lives on the CPU). */
  sizes_(): number[] { return Array.from(this.batchSizes.dataSync()); }
  /**
   * The same sequences with data moved or cast as Tensor.to does (device, dtype or { device, dtype });
   * batchSizes stays on the CPU and the index tensors follow the device, as PyTorch's PackedSequence.to.
   */
  to(arg: Parameters<Tensor['to']>[0]): PackedSequence {
    const data = this.data.to(arg);
    if (data === this.data) return this;
    const move = (t: Tensor | null) => (t && t.device !== data.device ? t.to(data.device) : t);
    return Object.assign(new PackedSequence(data, this.batchSizes, move(this.sortedIndices), move(this.unsortedIndices)),
      { unsortedHost_: this.unsortedHost_, source_: this.source_ });
  }
  /** data as float32 (PackedSequence.float()). */
  float(): PackedSequence { return this.to('float32'); }
  /** data as float64. */
  double(): PackedSequence { return this.to('float64'); }
  /** data as float16. */
  half(): PackedSequence { return this.to('float16'); }
  /** data on the CPU. */
  cpu(): PackedSequence { return this.to('cpu'); }
  /** Whether data is on a CUDA device (PyTorch's is_cuda). */
  get isCuda(): boolean { return this.data.device === 'cuda'; }
}

function lengthsOf(lengths: Tensor | readonly number[]): number[] {
  if (lengths instanceof Tensor && !lengths.storage.backend.synchronous) {
    throw new Error(`packPaddedSequence: 'lengths' must be a number[] or a CPU tensor (PyTorch also wants them on the CPU), got a tensor on '${lengths.device}'`);
  }
  return lengths instanceof Tensor ? Array.from(lengths.dataSync()) : [...lengths];
}

/** Packs a padded batch [T, B, *] (or [B, T, *] with batchFirst) of sequences with the given lengths. */
function packPaddedSequence(input: Tensor, lengths: Tensor | readonly number[], opts: { batchFirst?: boolean; enforceSorted?: boolean } = {}): PackedSequence {
  // Seen by ONNX export's tracer as one call (its host read of lengths becomes sequence_lens there).
  return notifyCall('rnn.packPaddedSequence', null, [input, lengths, opts], () => packPadded(input, lengths, opts));
}
function packPadded(input: Tensor, lengths: Tensor | readonly number[], opts: { batchFirst?: boolean; enforceSorted?: boolean }): PackedSequence {
  let x = opts.batchFirst ? input.transpose(0, 1) : input;
  let lens = lengthsOf(lengths);
  const B = x.shape[1] ?? 0;
  if (lens.length !== B) throw new RangeError(`packPaddedSequence: Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`);
  if (lens.some((l) => !(l > 0))) throw new RangeError("packPaddedSequence: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
  let sorted: number[] | null = null;
  if (opts.enforceSorted ?? true) {
    if (lens.some((l, i) => i > 0 && l > lens[i - 1]!)) {
      throw new Error('packPaddedSequence: `lengths` array must be sorted in decreasing order when `enforceSorted` is true. You can pass `enforceSorted: false` to packPaddedSequence and/or packSequence to sidestep this requirement.');
    }
  } else {
    sorted = lens.map((_, i) => i).sort((a, b) => lens[b]! - lens[a]! || a - b);
    x = x.indexSelect(1, tensor(sorted, { dtype: 'int32', device: x.device }));
    lens = sorted.map((i) => lens[i]!);
  }
  const T = lens[0] ?? 0;
  if (T > x.shape[0]!) throw new RangeError(`packPaddedSequence: a length (${T}) exceeds the padded length ${x.shape[0]}`);
  const sizes = Array.from({ length: T }, (_, t) => lens.filter((l) => l > t).length);
  const data = cat(sizes.map((bs, t) => x.select(0, t).narrow(0, 0, bs)));
  const batchSizes = tensor(sizes, { dtype: 'int32', device: 'cpu' });
  const source = { input, lengths, batchFirst: opts.batchFirst ?? false };
  if (!sorted) return Object.assign(new PackedSequence(data, batchSizes), { source_: source });
  const unsorted = new Array<number>(sorted.length);
  sorted.forEach((s, i) => { unsorted[s] = i; });
  const packed = new PackedSequence(data, batchSizes, tensor(sorted, { dtype: 'int32', device: x.device }), tensor(unsorted, { dtype: 'int32', device: x.device }));
  packed.unsortedHost_ = unsorted;
  packed.source_ = source;
  return packed;
}

/**
 * Padded time-major [T, B, *] in the packed (sorted) batch order, and the sorted lengths.
 * @internal
 */
export function unpackSorted(seq: PackedSequence, paddingValue = 0, totalLength?: number): [Tensor, number[]] {
  const sizes = seq.sizes_(), B = sizes[0] ?? 0, tail = seq.data.shape.slice(1);
  const T = Math.max(sizes.length, totalLength ?? 0);
  if (totalLength !== undefined && totalLength < sizes.length) {
    throw new RangeError(`padPackedSequence: Expected total_length to be at least the length of the longest sequence (${sizes.length}), but got total_length=${totalLength}`);
  }
  const pad = (n: number): Tensor => full([n, ...tail], paddingValue, { dtype: seq.data.dtype, device: seq.data.device });
  const rows: Tensor[] = [];
  let off = 0;
  for (let t = 0; t < T; t++) {
    const bs = sizes[t] ?? 0;
    const chunk = seq.data.narrow(0, off, bs);
    off += bs;
    rows.push(bs === B ? chunk : bs === 0 ? pad(B) : cat([chunk, pad(B - bs)]));
  }
  const lens = Array.from({ length: B }, (_, b) => sizes.filter((s) => s > b).length);
  return [stack(rows, 0), lens];
}

/** The inverse of packPaddedSequence: [padded, lengths] in the original batch order. */
function padPackedSequence(seq: PackedSequence, opts: { batchFirst?: boolean; paddingValue?: number; totalLength?: number } = {}): [Tensor, Tensor] {
  let [padded, lens] = unpackSorted(seq, opts.paddingValue ?? 0, opts.totalLength);
  if (seq.unsortedIndices) {
    padded = padded.indexSelect(1, seq.unsortedIndices);
    const idx = seq.unsortedIndices;
    if (!seq.unsortedHost_ && !idx.storage.backend.synchronous) {
      throw new Error(`padPackedSequence: unsortedIndices is a tensor on '${idx.device}' whose values are only readable asynchronously; build the PackedSequence with packPaddedSequence/packSequence, or give it CPU index tensors`);
    }
    const un = seq.unsortedHost_ ?? Array.from(idx.dataSync());
    lens = un.map((i) => lens[i]!);
  }
  return [opts.batchFirst ? padded.transpose(0, 1) : padded, tensor(lens, { dtype: 'int32', device: 'cpu' })];
}

/** Packs a list of [L_i, *] sequences. */
function packSequence(sequences: readonly Tensor[], opts: { enforceSorted?: boolean } = {}): PackedSequence {
  return packPaddedSequence(padSequence(sequences), sequences.map((s) => s.shape[0]!), opts);
}

/** The inverse of padSequence: the sequences of a padded [T, B, *] (or [B, T, *] with batchFirst) batch, cut to their lengths. */
function unpadSequence(padded: Tensor, lengths: Tensor | readonly number[], batchFirst = false): Tensor[] {
  const lens = lengths instanceof Tensor ? Array.from(noGrad(() => lengths.reshape(-1)).dataSync()) : [...lengths];
  const x = batchFirst ? padded : padded.transpose(0, 1);
  if (lens.length !== x.shape[0]) throw new RangeError(`unpadSequence: ${lens.length} lengths for a batch of ${x.shape[0]} sequences`);
  return lens.map((l, b) => x.select(0, b).narrow(0, 0, l));
}

/** The inverse of packSequence: the list of sequences, in their original order. */
function unpackSequence(packed: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
  return unpadSequence(padded, lengths, true);
}

/** torch.nn.utils.rnn: padSequence, PackedSequence, packPaddedSequence, padPackedSequence and packSequence. */
export const rnn = { padSequence, PackedSequence, packPaddedSequence, padPackedSequence, packSequence, unpadSequence, unpackSequence };
