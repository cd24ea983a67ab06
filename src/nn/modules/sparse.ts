// Embedding: a lookup table weight [numEmbeddings, embeddingDim], init N(0, 1) with the paddingIdx
// row zeroed; positions holding paddingIdx get no gradient (as PyTorch's embedding backward).

import { Tensor } from '../../tensor.js';
import { where } from '../../ops/elementwise.js';
import { fmtShape } from '../../shape.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';

export interface EmbeddingOpts extends FactoryOpts { paddingIdx?: number | null; weight?: Tensor; freeze?: boolean }

export class Embedding extends Module {
  readonly paddingIdx: number | null;
  weight: Parameter;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOpts = {}) {
    super();
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new RangeError('Embedding: padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
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
  static fromPretrained(embeddings: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new RangeError('Embeddings parameter is expected to be 2-dimensional');
    return new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, { weight: embeddings, freeze: opts.freeze ?? true, paddingIdx: opts.paddingIdx });
  }
  resetParameters(): void {
    init.normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) noGrad(() => this.weight.select(0, p).fill_(0));
  }
  forward(input: Tensor): Tensor {
    if (input.isFloatingPoint() || input.dtype === 'bool') {
      throw new TypeError(`embedding: Expected tensor for argument #1 'indices' to have an integer dtype; but got ${input.dtype} instead`);
    }
    const flat = input.reshape([-1]);
    const out = this.weight.indexSelect(0, flat).reshape([...input.shape, this.embeddingDim]);
    if (this.paddingIdx === null || !out.requiresGrad) return out;
    // Same values, but the padding positions take the detached branch: no gradient reaches that row.
    return where(input.ne(this.paddingIdx).unsqueeze(-1), out, out.detach());
  }
  override extraRepr(): string { return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`; }
}
