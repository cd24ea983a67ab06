// Embedding: a lookup table weight [numEmbeddings, embeddingDim], init N(0, 1) with the paddingIdx
// row zeroed; forward is F.embedding (positions holding paddingIdx get no gradient; maxNorm renorms
// the looked-up rows in place, as PyTorch).

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';

export interface EmbeddingOpts extends FactoryOpts {
  paddingIdx?: number | null; maxNorm?: number | null; normType?: number; scaleGradByFreq?: boolean; sparse?: boolean; weight?: Tensor; freeze?: boolean;
}

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
  resetParameters(): void {
    init.normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) noGrad(() => this.weight.select(0, p).fill_(0));
  }
  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, {
      paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType, scaleGradByFreq: this.scaleGradByFreq, sparse: this.sparse,
    });
  }
  override extraRepr(): string { return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`; }
}
