// Embedding and EmbeddingBag. Embedding: a lookup table weight [numEmbeddings, embeddingDim], init N(0, 1) with the paddingIdx
// row zeroed; forward is F.embedding (positions holding paddingIdx get no gradient; maxNorm renorms
// the looked-up rows in place, as PyTorch).

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { arange, zeros } from '../../ops/creation.js';
import { where } from '../../ops/elementwise.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import { composite } from '../../ops/prim.js';
import * as F from '../functional/index.js';

/** Options of Embedding (PyTorch's keyword arguments). */
export interface EmbeddingOpts extends FactoryOpts {
  /** Entries at this index do not contribute to the gradient; a freshly initialized weight has this row zeroed. */
  paddingIdx?: number | null;
  /** Looked-up rows with a norm larger than maxNorm are renormalized to norm maxNorm (in place). */
  maxNorm?: number | null;
  /** The p of the p-norm computed for maxNorm (default 2). */
  normType?: number;
  /** Scale gradients by the inverse frequency of the words in the mini-batch (default false). */
  scaleGradByFreq?: boolean;
  /** Sparse gradients w.r.t. weight: not supported, true throws (default false). */
  sparse?: boolean;
  /** An initial weight [numEmbeddings, embeddingDim] to use instead of N(0, 1) init. */
  weight?: Tensor;
  /** With weight: keep it from being updated (requiresGrad false) (default false; fromPretrained: true). */
  freeze?: boolean;
}

/** A lookup table that maps indices to embedding vectors: the rows of weight [numEmbeddings, embeddingDim] (torch.nn.Embedding). */
export class Embedding extends Module {
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;
  weight: Parameter;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOpts = {}) {
    super();
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new RangeError('Embedding: padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    this.sparse = opts.sparse ?? false;
    if (opts.weight) {
      if (opts.weight.ndim !== 2 || opts.weight.shape[0] !== numEmbeddings || opts.weight.shape[1] !== embeddingDim) {
        throw new RangeError(`Embedding: shape of weight ${fmtShape(opts.weight.shape)} does not match [${numEmbeddings}, ${embeddingDim}]`);
      }
      this.weight = new Parameter(opts.weight.detach(), !(opts.freeze ?? false));
    } else {
      this.weight = newParam([numEmbeddings, embeddingDim], opts);
      this.resetParameters();
    }
  }
  /** Wraps an existing [num, dim] tensor (frozen by default). */
  static fromPretrained(embeddings: Tensor, opts: Omit<EmbeddingOpts, 'weight'> = {}): Embedding {
    if (embeddings.ndim !== 2) throw new RangeError('Embeddings parameter is expected to be 2-dimensional');
    return new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, { ...opts, weight: embeddings, freeze: opts.freeze ?? true });
  }
  /** Re-initializes weight from N(0, 1), zeroing the paddingIdx row. */
  resetParameters(): void {
    init.normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) noGrad(() => this.weight.select(0, p).fill_(0));
  }
  /** The rows of weight at the indices in input: shape [*input.shape, embeddingDim]. */
  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, {
      paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType, scaleGradByFreq: this.scaleGradByFreq, sparse: this.sparse,
    });
  }
  override extraRepr(): string { return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`; }
}

/** Options of EmbeddingBag (PyTorch's keyword arguments). */
export interface EmbeddingBagOpts extends FactoryOpts {
  /** Looked-up rows with a norm larger than maxNorm are renormalized to norm maxNorm (in place). */
  maxNorm?: number | null;
  /** The p of the p-norm computed for maxNorm (default 2). */
  normType?: number;
  /** Not supported: true throws (default false). */
  scaleGradByFreq?: boolean;
  /** How each bag is reduced: 'sum', 'mean' (default) or 'max'. */
  mode?: 'sum' | 'mean' | 'max';
  /** Not supported: true throws (default false). */
  sparse?: boolean;
  /** Whether offsets has one more element than the number of bags, the last being the input size (default false). */
  includeLastOffset?: boolean;
  /** Entries at this index are left out of the bags (and not counted by mean); the initialized weight has this row zeroed. */
  paddingIdx?: number | null;
}

/**
 * Sums, averages or maxes bags of embeddings without materialising the per-index rows per bag:
 * bags are the rows of a 2-D input, or segments of a 1-D input starting at `offsets`. Entries equal
 * to paddingIdx are left out (and not counted by 'mean'); empty bags give zeros. All on device.
 */
export class EmbeddingBag extends Module {
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly mode: 'sum' | 'mean' | 'max';
  readonly includeLastOffset: boolean;
  readonly paddingIdx: number | null;
  weight: Parameter;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingBagOpts = {}) {
    super();
    if (opts.scaleGradByFreq || opts.sparse) throw new Error('EmbeddingBag: scaleGradByFreq and sparse gradients are not supported');
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new RangeError('EmbeddingBag: padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.mode = opts.mode ?? 'mean';
    this.includeLastOffset = opts.includeLastOffset ?? false;
    this.weight = newParam([numEmbeddings, embeddingDim], opts);
    this.resetParameters();
  }
  /** Re-initializes weight from N(0, 1), zeroing the paddingIdx row. */
  resetParameters(): void {
    init.normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) noGrad(() => this.weight.select(0, p).fill_(0));
  }
  /**
   * The sum, mean or max of the embeddings of each bag (rows of a 2-D input, or segments of a 1-D
   * input at offsets): [B, embeddingDim]. offsets and perSampleWeights positional, as PyTorch, or
   * as options (`{ offsets, perSampleWeights }`, PyTorch's keywords).
   */
  forward(input: Tensor, offsetsArg: Tensor | null | { offsets?: Tensor | null; perSampleWeights?: Tensor | null } = null, perSampleWeightsArg: Tensor | null = null): Tensor {
    const kw = offsetsArg !== null && !(offsetsArg instanceof Tensor) ? offsetsArg : null;
    const offsets = kw ? kw.offsets ?? null : offsetsArg as Tensor | null, perSampleWeights = kw ? kw.perSampleWeights ?? perSampleWeightsArg : perSampleWeightsArg;
    if (perSampleWeights && this.mode !== 'sum') {
      throw new Error(`embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${this.mode}'). Please open a feature request on GitHub.`);
    }
    return composite('embeddingBag', { mode: this.mode, maxNorm: this.maxNorm, normType: this.normType, includeLastOffset: this.includeLastOffset, paddingIdx: this.paddingIdx }, () => {
      let flat: Tensor, bag: Tensor, B: number;
      const dev = input.device;
      if (input.ndim === 2) {
        if (offsets) throw new Error('embedding_bag: if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences.');
        B = input.shape[0]!;
        const n = input.shape[1]!;
        flat = input.reshape([-1]);
        bag = arange(B * n, { device: dev, dtype: 'int32' }).div(Math.max(n, 1), { roundingMode: 'floor' }).to('int32');
      } else if (input.ndim === 1) {
        if (!offsets || offsets.ndim !== 1) throw new Error('embedding_bag: offsets has to be a 1D Tensor but got null');
        const starts = this.includeLastOffset ? offsets.narrow(0, 0, offsets.shape[0]! - 1) : offsets;
        B = starts.shape[0]!;
        flat = input;
        // bag[i] = (number of bag starts <= i) - 1, computed on device.
        bag = arange(input.shape[0]!, { device: dev, dtype: 'int32' }).unsqueeze(1).ge(starts.to('int32').unsqueeze(0)).to('int32').sum(1).sub(1).to('int32');
      } else {
        throw new RangeError(`embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.ndim}`);
      }
      const D = this.embeddingDim, w = this.weight;
      let rows = F.embedding(flat, w, { maxNorm: this.maxNorm, normType: this.normType }); // [n, D]
      const valid = this.paddingIdx !== null ? flat.ne(this.paddingIdx) : null;
      if (this.mode === 'max') {
        let member = bag.unsqueeze(0).eq(arange(B, { device: dev, dtype: 'int32' }).unsqueeze(1)); // [B, n]
        if (valid) member = member.logicalAnd(valid.unsqueeze(0));
        const best = where(member.unsqueeze(2), rows.unsqueeze(0), -Infinity).amax(1);
        return where(member.any(1).unsqueeze(1), best, 0);
      }
      if (valid) rows = rows.mul(valid.unsqueeze(1).to(rows.dtype));
      if (perSampleWeights) rows = rows.mul(perSampleWeights.unsqueeze(1));
      const sums = zeros([B, D], { dtype: rows.dtype, device: dev }).indexAdd(0, bag, rows);
      if (this.mode === 'sum') return sums;
      const ones_ = valid ? valid.to(rows.dtype) : zeros([flat.shape[0]!], { dtype: rows.dtype, device: dev }).add(1);
      const counts = zeros([B], { dtype: rows.dtype, device: dev }).indexAdd(0, bag, ones_);
      return sums.div(counts.clamp(1, null).unsqueeze(1));
    });
  }
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode='${this.mode}'${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
