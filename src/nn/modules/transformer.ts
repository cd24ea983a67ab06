// MultiheadAttention, the Transformer encoder and decoder (layers and stacks) and nn.Transformer, with PyTorch's parameter names
// (in_proj_weight, in_proj_bias, out_proj.*, self_attn.*, linear1/2, norm1/2) and semantics:
// boolean masks mark positions NOT allowed to attend, float masks are added to the scores;
// attention weights are averaged over heads unless averageAttnWeights is false.

import type { Tensor } from '../../tensor.js';
import { ones, zeros } from '../../ops/creation.js';
import { cat } from '../../ops/shape.js';
import type { DType } from '../../dtype.js';
import { fmtShape } from '../../shape.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { Linear, newParam, type FactoryOpts } from './linear.js';
import { Dropout, dropout } from './dropout.js';
import { LayerNorm } from './normalization.js';
import { ModuleList } from './container.js';
import * as init from '../init.js';
import * as F from '../functional/index.js';
import { checkMaskDtype } from '../functional/attention.js';
import { composite } from '../../ops/prim.js';
import { attentionAvailable, attentionPrim, canFuseAttention } from '../../ops/attention.js';

/** A boolean mask (true = masked) becomes an additive -inf mask; float masks pass through. */
function additive(mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === 'bool') return zeros(mask.shape, { dtype, device: mask.device }).maskedFill(mask, -Infinity);
  return mask.to(dtype);
}

/** Options of MultiheadAttention (PyTorch's keyword arguments). */
export interface MHAOpts extends FactoryOpts {
  /** Dropout probability on the attention weights (default 0). */
  dropout?: number;
  /** Whether the input and output projections have biases (default true). */
  bias?: boolean;
  /** Add the learnable biases bias_k and bias_v to the key and value sequences (default false). */
  addBiasKv?: boolean;
  /** Add a new batch of zeros to the key and value sequences (default false). */
  addZeroAttn?: boolean;
  /** Total number of features for keys (default embedDim). */
  kdim?: number;
  /** Total number of features for values (default embedDim). */
  vdim?: number;
  /** Input and output tensors are [N, L, E] instead of [L, N, E] (default false). */
  batchFirst?: boolean;
}
/** Options of MultiheadAttention.forward. */
export interface MHAForwardOpts {
  /** [N, S] (or [S]) mask of the key positions to ignore: true (bool) or an additive float mask. */
  keyPaddingMask?: Tensor | null;
  /** Whether to return the attention weights as well (default true). */
  needWeights?: boolean;
  /** [L, S] or [N * numHeads, L, S] mask of the attention: true (bool) is not allowed to attend, or an additive float mask. */
  attnMask?: Tensor | null;
  /** Return the attention weights averaged over heads (default true), else per head. */
  averageAttnWeights?: boolean;
  /** Hint that attnMask is the causal mask (attnMask is still required). */
  isCausal?: boolean;
}

/** Allows the model to jointly attend to information from different representation subspaces (torch.nn.MultiheadAttention). */
export class MultiheadAttention extends Module {
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  in_proj_weight: Parameter | null = null;
  q_proj_weight: Parameter | null = null;
  k_proj_weight: Parameter | null = null;
  v_proj_weight: Parameter | null = null;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  bias_k: Parameter | null = null;
  bias_v: Parameter | null = null;
  readonly addZeroAttn: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MHAOpts = {}) {
    super();
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new RangeError('embed_dim must be divisible by num_heads');
    if (this.kdim === embedDim && this.vdim === embedDim) {
      this.in_proj_weight = newParam([3 * embedDim, embedDim], opts);
    } else {
      this.q_proj_weight = newParam([embedDim, embedDim], opts);
      this.k_proj_weight = newParam([embedDim, this.kdim], opts);
      this.v_proj_weight = newParam([embedDim, this.vdim], opts);
    }
    this.in_proj_bias = opts.bias ?? true ? newParam([3 * embedDim], opts) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias: opts.bias ?? true, device: opts.device, dtype: opts.dtype });
    if (opts.addBiasKv) {
      this.bias_k = newParam([1, 1, embedDim], opts);
      this.bias_v = newParam([1, 1, embedDim], opts);
    }
    this.addZeroAttn = opts.addZeroAttn ?? false;
    this.resetParameters();
  }
  /** The packed query/key/value input projection weight in_proj_weight [3 * embedDim, embedDim] (null when kdim or vdim differ). */
  get inProjWeight(): Parameter | null { return this.in_proj_weight; }
  /** The packed input projection bias in_proj_bias [3 * embedDim] (null without bias). */
  get inProjBias(): Parameter | null { return this.in_proj_bias; }
  /** The output projection out_proj (a Linear(embedDim, embedDim)). */
  get outProj(): Linear { return this.out_proj; }

  /** Re-initializes the projection weights with xavier_uniform_, the biases with zeros and bias_k/bias_v with xavier_normal_. */
  resetParameters(): void {
    if (this.in_proj_weight) init.xavierUniform_(this.in_proj_weight);
    else for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) init.xavierUniform_(w!);
    if (this.in_proj_bias) {
      init.zeros_(this.in_proj_bias);
      if (this.out_proj.bias) init.zeros_(this.out_proj.bias);
    }
    if (this.bias_k) init.xavierNormal_(this.bias_k);
    if (this.bias_v) init.xavierNormal_(this.bias_v);
  }

  /** query [L, N, E] (or [N, L, E] with batchFirst, or unbatched [L, E]); returns [output, weights | null]. */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: MHAForwardOpts = {}): [Tensor, Tensor | null] {
    return composite('multiheadAttention', {
      embedDim: this.embedDim, numHeads: this.numHeads, dropout: this.dropout, batchFirst: this.batchFirst, kdim: this.kdim, vdim: this.vdim,
      bias: this.in_proj_bias !== null, addBiasKv: this.bias_k !== null, addZeroAttn: this.addZeroAttn,
      needWeights: opts.needWeights ?? true, averageAttnWeights: opts.averageAttnWeights ?? true, isCausal: opts.isCausal ?? false,
    }, () => {
      const E = this.embedDim, Hn = this.numHeads, hd = this.headDim;
      const unbatched = query.ndim === 2;
      if (query.ndim !== 2 && query.ndim !== 3) throw new RangeError(`MultiheadAttention: query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
      checkMaskDtype('MultiheadAttention', 'attnMask', opts.attnMask);
      checkMaskDtype('MultiheadAttention', 'keyPaddingMask', opts.keyPaddingMask);
      let q = query, k = key, v = value;
      if (unbatched) { q = q.unsqueeze(1); k = k.unsqueeze(1); v = v.unsqueeze(1); }
      else if (this.batchFirst) { q = q.transpose(0, 1); k = k.transpose(0, 1); v = v.transpose(0, 1); }
      const L = q.shape[0]!, N = q.shape[1]!, S = k.shape[0]!;
      if (q.shape[2] !== E) throw new RangeError(`was expecting embedding dimension of ${E}, but got ${q.shape[2]}`);
      // Projections.
      const b = this.in_proj_bias, w = this.in_proj_weight;
      let qh: Tensor, kh: Tensor, vh: Tensor; // [N*H, L or S, hd]
      let extra = 0; // key positions appended after the S real ones (bias_k/v, zero attention)
      // Batch-first inputs stay batch-first through the projections (the transposes above are views
      // for the masks' and the general path's shapes): their GEMMs then read and write contiguous
      // rows, and the backward needs no copy to make the gradients contiguous again.
      const bf = this.batchFirst && !unbatched;
      // PyTorch 2's fused path (scaled_dot_product_attention's kernel) where nothing needs the
      // weights or masks them: heads as [N, H, L, hd] views of the projections, no copies, no scores
      // kept. Dropout on the weights (training) is the kernel's, with the composed path's draws.
      const dropP = this.training ? this.dropout : 0;
      const plain = !(opts.needWeights ?? true) && !opts.attnMask && !opts.keyPaddingMask && !opts.isCausal && !this.bias_k && !this.addZeroAttn && dropP < 1;
      if (plain) {
        const fused = fusedHeads(this, query, key, value, N, L, S, bf, unbatched);
        if (fused) {
          const ctx = attentionPrim(fused[0], fused[1], fused[2], 1 / Math.sqrt(hd), false, dropP); // [N, H, L, hd] over [N, L, H, hd]
          const out = bf ? ctx.transpose(1, 2).reshape([N, L, E]) : ctx.permute([2, 0, 1, 3]).reshape([L, N, E]);
          const y = this.out_proj.forward(out);
          return [unbatched ? y.squeeze(1) : y, null];
        }
      }
      if (w && query === key && key === value && !this.bias_k) {
        // Self-attention with the packed weight (PyTorch's fast path too): one [.., 3E] projection of
        // the input as it is laid out, whose gradient is one GEMM per operand instead of three; then
        // a copy per operand into its heads (q's copy and its scaling are one kernel when compiled).
        const p = F.linear(unbatched ? query.unsqueeze(1) : query, w, b); // [N, L, 3E] batch-first, else [L, N, 3E]
        const split = bf ? p.reshape([N, L, 3, Hn, hd]).permute([2, 0, 3, 1, 4]) : p.reshape([L, N, 3, Hn, hd]).permute([2, 1, 3, 0, 4]);
        [qh, kh, vh] = split.chunk(3).map((t) => t.reshape([N * Hn, L, hd])) as [Tensor, Tensor, Tensor];
        qh = qh.mul(1 / Math.sqrt(hd));
      } else {
        const [bq, bk, bv] = b ? b.chunk(3) : [null, null, null];
        const [wq, wk, wv] = w ? w.chunk(3) : [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!];
        // [L, N, E] -> [N*H, L, hd]
        const heads = (t: Tensor, len: number): Tensor => t.reshape([len, N * Hn, hd]).transpose(0, 1);
        qh = heads(F.linear(q, wq!, bq), L).mul(1 / Math.sqrt(hd));
        let kp = F.linear(k, wk!, bk), vp = F.linear(v, wv!, bv); // [S, N, E]
        if (this.bias_k && this.bias_v) {
          kp = cat([kp, this.bias_k.expand([1, N, E])]);
          vp = cat([vp, this.bias_v.expand([1, N, E])]);
          extra++;
        }
        kh = heads(kp, S + extra); vh = heads(vp, S + extra);
      }
      if (this.addZeroAttn) {
        const z = zeros([N * Hn, 1, hd], { dtype: kh.dtype, device: kh.device });
        kh = cat([kh, z], 1); vh = cat([vh, z], 1);
        extra++;
      }
      // Appended key positions are never masked: pad additive masks with zero columns.
      const widen = (m: Tensor): Tensor => (extra ? cat([m, zeros([...m.shape.slice(0, -1), extra], { dtype: m.dtype, device: m.device })], -1) : m);
      let scores = qh.matmul(kh.transpose(1, 2)); // [N*H, L, S + extra]
      let attnMask = opts.attnMask ?? null;
      if (opts.isCausal && !attnMask) throw new Error('MultiheadAttention: need attnMask if specifying the isCausal hint');
      if (attnMask) {
        if (attnMask.ndim === 2) {
          if (attnMask.shape[0] !== L || attnMask.shape[1] !== S) throw new RangeError(`The shape of the 2D attn_mask is ${fmtShape(attnMask.shape)}, but should be [${L}, ${S}].`);
          attnMask = attnMask.unsqueeze(0);
        } else if (attnMask.ndim !== 3 || attnMask.shape[0] !== N * Hn || attnMask.shape[1] !== L || attnMask.shape[2] !== S) {
          throw new RangeError(`The shape of the 3D attn_mask is ${fmtShape(attnMask.shape)}, but should be [${N * Hn}, ${L}, ${S}].`);
        }
        scores = scores.add(widen(additive(attnMask, scores.dtype)));
      }
      if (opts.keyPaddingMask) {
        const kpm = unbatched ? opts.keyPaddingMask.unsqueeze(0) : opts.keyPaddingMask;
        if (kpm.ndim !== 2 || kpm.shape[0] !== N || kpm.shape[1] !== S) throw new RangeError(`expecting key_padding_mask shape of [${N}, ${S}], but got ${fmtShape(opts.keyPaddingMask.shape)}`);
        const m = widen(additive(kpm, scores.dtype));
        scores = scores.add(m.reshape([N, 1, 1, S + extra]).expand([N, Hn, 1, S + extra]).reshape([N * Hn, 1, S + extra]));
      }
      let attn = scores.softmax(-1);
      attn = dropout(attn, this.dropout, this.training);
      const ctx = attn.matmul(vh); // [N*H, L, hd]
      const out = bf ? ctx.reshape([N, Hn, L, hd]).transpose(1, 2).reshape([N, L, E]) : ctx.transpose(0, 1).reshape([L, N, E]);
      let y = this.out_proj.forward(out); // [N, L, E] batch-first, else [L, N, E]
      if (unbatched) y = y.squeeze(1);
      if (!(opts.needWeights ?? true)) return [y, null];
      let wts = attn.reshape([N, Hn, L, S + extra]);
      if (opts.averageAttnWeights ?? true) wts = wts.mean(1);
      if (unbatched) wts = wts.squeeze(0);
      return [y, wts];
    });
  }
  override extraRepr(): string { return ''; }
}

/**
 * MultiheadAttention's q, k, v projected as [N, H, len, hd] views (no copies), or null where the fused
 * kernel cannot take them. A function, not a private method: cloned layers (TransformerEncoder's) lack private brands.
 */
function fusedHeads(m: MultiheadAttention, query: Tensor, key: Tensor, value: Tensor, N: number, L: number, S: number, bf: boolean, unbatched: boolean): [Tensor, Tensor, Tensor] | null {
  const Hn = m.numHeads, hd = m.headDim, b = m.in_proj_bias, w = m.in_proj_weight;
  const batched = (t: Tensor) => (unbatched ? t.unsqueeze(1) : t);
  // [N, len, E] batch-first (or [len, N, E]) -> [N, H, len, hd]
  const heads = (t: Tensor, len: number) => (bf ? t.reshape([N, len, Hn, hd]).permute([0, 2, 1, 3]) : t.reshape([len, N, Hn, hd]).permute([1, 2, 0, 3]));
  if (!attentionAvailable(query, L, S) || key.dtype !== 'float32' || value.dtype !== 'float32') return null;
  let q: Tensor, k: Tensor, v: Tensor;
  if (w && query === key && key === value) {
    const p = F.linear(batched(query), w, b); // [N, L, 3E] batch-first, else [L, N, 3E]
    const split = bf ? p.reshape([N, L, 3, Hn, hd]).permute([2, 0, 3, 1, 4]) : p.reshape([L, N, 3, Hn, hd]).permute([2, 1, 3, 0, 4]);
    // chunk (one split node, whose backward is one cat) rather than three selects (three zero-filled
    // gradients of the whole projection, added).
    [q, k, v] = split.chunk(3).map((t) => t.squeeze(0)) as [Tensor, Tensor, Tensor];
  } else {
    const [bq, bk, bv] = b ? b.chunk(3) : [null, null, null];
    const [wq, wk, wv] = w ? w.chunk(3) : [m.q_proj_weight!, m.k_proj_weight!, m.v_proj_weight!];
    const t = (x: Tensor) => (bf || unbatched ? batched(x) : x); // batch-first inputs stay [N, len, E]
    q = heads(F.linear(t(query), wq!, bq), L); k = heads(F.linear(t(key), wk!, bk), S); v = heads(F.linear(t(value), wv!, bv), S);
  }
  return canFuseAttention(q, k, v) ? [q, k, v] : null;
}

/** The feed-forward activation of the transformer layers: 'relu', 'gelu' or a function. */
export type Activation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);
/** The 'gelu' activation of the transformer layers (one function, so a layer's activation attr can name it). */
const geluActivation = (x: Tensor): Tensor => F.gelu(x);
/** A transformer layer's non-tensor settings, as its composite's attrs. */
function layerAttrs(l: TransformerEncoderLayer | TransformerDecoderLayer, causal: Record<string, boolean>): Record<string, unknown> {
  const activation = l.activation === F.relu ? 'relu' : l.activation === geluActivation ? 'gelu' : 'custom';
  return {
    dModel: l.dModel, nhead: l.nhead, dimFeedforward: l.linear1.outFeatures, dropout: l.dropout.p, activation,
    layerNormEps: l.norm1.eps, batchFirst: l.self_attn.batchFirst, normFirst: l.normFirst, ...causal,
  };
}
/** Options of TransformerEncoderLayer and TransformerDecoderLayer (PyTorch's keyword arguments). */
export interface EncoderLayerOpts extends FactoryOpts {
  /** The dimension of the feed-forward network (default 2048). */
  dimFeedforward?: number;
  /** The dropout probability (default 0.1). */
  dropout?: number;
  /** The activation of the feed-forward network: 'relu' (default), 'gelu' or a function. */
  activation?: Activation;
  /** The eps of the layer normalizations (default 1e-5). */
  layerNormEps?: number;
  /** Input and output tensors are [N, L, E] instead of [L, N, E] (default false). */
  batchFirst?: boolean;
  /** Apply the layer norms before the attention and feed-forward blocks (pre-norm) instead of after (default false). */
  normFirst?: boolean;
  /** Whether the Linear and LayerNorm layers have biases (default true). */
  bias?: boolean;
}

/** One post-norm (default) or pre-norm (normFirst) encoder block: self-attention then a feed-forward net. */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly activation: (x: Tensor) => Tensor;

  constructor(readonly dModel: number, readonly nhead: number, opts: EncoderLayerOpts = {}) {
    super();
    const f = { device: opts.device, dtype: opts.dtype }, bias = opts.bias ?? true, p = opts.dropout ?? 0.1;
    const eps = opts.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: opts.batchFirst ?? false, ...f });
    this.linear1 = new Linear(dModel, opts.dimFeedforward ?? 2048, { bias, ...f });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(opts.dimFeedforward ?? 2048, dModel, { bias, ...f });
    this.normFirst = opts.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps, bias, ...f });
    this.norm2 = new LayerNorm(dModel, { eps, bias, ...f });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    const act = opts.activation ?? 'relu';
    if (act === 'relu') this.activation = F.relu;
    else if (act === 'gelu') this.activation = geluActivation;
    else if (typeof act === 'function') this.activation = act;
    else throw new Error(`activation should be relu/gelu, not ${String(act)}`);
  }
  /** The self-attention block self_attn. */
  get selfAttn(): MultiheadAttention { return this.self_attn; }

  /** Passes src through self-attention and the feed-forward network, with srcMask / srcKeyPaddingMask as MultiheadAttention's masks. */
  forward(src: Tensor, opts: { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    return composite('transformerEncoderLayer', layerAttrs(this, { isCausal: opts.isCausal ?? false }), () => {
      const sa = (x: Tensor): Tensor => this.dropout1.forward(this.self_attn.forward(x, x, x, {
        attnMask: opts.srcMask ?? null, keyPaddingMask: opts.srcKeyPaddingMask ?? null, needWeights: false, isCausal: opts.isCausal,
      })[0]);
      const ff = (x: Tensor): Tensor => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
      let x = src;
      if (this.normFirst) {
        x = x.add(sa(this.norm1.forward(x)));
        x = x.add(ff(this.norm2.forward(x)));
      } else {
        x = this.norm1.forward(x.add(sa(x)));
        x = this.norm2.forward(x.add(ff(x)));
      }
      return x;
    });
  }
}

/** numLayers deep copies of encoderLayer applied in turn, then an optional final norm. */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  norm: Module | null;
  constructor(encoderLayer: TransformerEncoderLayer, readonly numLayers: number, opts: { norm?: Module | null; enableNestedTensor?: boolean } = {}) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => Module.deepcopy(encoderLayer)));
    this.norm = opts.norm ?? null;
  }
  /** Passes src through each encoder layer in turn (with the same masks), then the final norm if any. */
  forward(src: Tensor, opts: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {}): Tensor {
    let x = src;
    for (const layer of this.layers) {
      x = (layer as TransformerEncoderLayer).forward(x, { srcMask: opts.mask ?? null, srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null, isCausal: opts.isCausal });
    }
    if (this.norm) x = (this.norm as LayerNorm).forward(x);
    return x;
  }
}

/** Options of TransformerDecoderLayer: those of TransformerEncoderLayer. */
export type DecoderLayerOpts = EncoderLayerOpts;
type DecoderMasks = {
  tgtMask?: Tensor | null; memoryMask?: Tensor | null; tgtKeyPaddingMask?: Tensor | null; memoryKeyPaddingMask?: Tensor | null;
  tgtIsCausal?: boolean; memoryIsCausal?: boolean;
};

/** Self-attention over tgt, cross-attention to memory, then a feed-forward net (post- or pre-norm). */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  readonly normFirst: boolean;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly activation: (x: Tensor) => Tensor;

  constructor(readonly dModel: number, readonly nhead: number, opts: DecoderLayerOpts = {}) {
    super();
    const f = { device: opts.device, dtype: opts.dtype }, bias = opts.bias ?? true, p = opts.dropout ?? 0.1;
    const eps = opts.layerNormEps ?? 1e-5, ff = opts.dimFeedforward ?? 2048;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: opts.batchFirst ?? false, ...f });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: opts.batchFirst ?? false, ...f });
    this.linear1 = new Linear(dModel, ff, { bias, ...f });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { bias, ...f });
    this.normFirst = opts.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps, bias, ...f });
    this.norm2 = new LayerNorm(dModel, { eps, bias, ...f });
    this.norm3 = new LayerNorm(dModel, { eps, bias, ...f });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dropout3 = new Dropout(p);
    const act = opts.activation ?? 'relu';
    if (act === 'relu') this.activation = F.relu;
    else if (act === 'gelu') this.activation = geluActivation;
    else if (typeof act === 'function') this.activation = act;
    else throw new Error(`activation should be relu/gelu, not ${String(act)}`);
  }
  /** Passes tgt through self-attention (tgtMask), cross-attention to memory (memoryMask) and the feed-forward network. */
  forward(tgt: Tensor, memory: Tensor, opts: DecoderMasks = {}): Tensor {
    return composite('transformerDecoderLayer', layerAttrs(this, { tgtIsCausal: opts.tgtIsCausal ?? false, memoryIsCausal: opts.memoryIsCausal ?? false }), () => {
      const sa = (x: Tensor): Tensor => this.dropout1.forward(this.self_attn.forward(x, x, x, {
        attnMask: opts.tgtMask ?? null, keyPaddingMask: opts.tgtKeyPaddingMask ?? null, needWeights: false, isCausal: opts.tgtIsCausal,
      })[0]);
      const mha = (x: Tensor): Tensor => this.dropout2.forward(this.multihead_attn.forward(x, memory, memory, {
        attnMask: opts.memoryMask ?? null, keyPaddingMask: opts.memoryKeyPaddingMask ?? null, needWeights: false, isCausal: opts.memoryIsCausal,
      })[0]);
      const ff = (x: Tensor): Tensor => this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.activation(this.linear1.forward(x)))));
      let x = tgt;
      if (this.normFirst) {
        x = x.add(sa(this.norm1.forward(x)));
        x = x.add(mha(this.norm2.forward(x)));
        x = x.add(ff(this.norm3.forward(x)));
      } else {
        x = this.norm1.forward(x.add(sa(x)));
        x = this.norm2.forward(x.add(mha(x)));
        x = this.norm3.forward(x.add(ff(x)));
      }
      return x;
    });
  }
}

/** numLayers deep copies of decoderLayer, then an optional final norm. */
export class TransformerDecoder extends Module {
  layers: ModuleList;
  norm: Module | null;
  constructor(decoderLayer: TransformerDecoderLayer, readonly numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => Module.deepcopy(decoderLayer)));
    this.norm = opts.norm ?? null;
  }
  /** Passes tgt (attending to memory) through each decoder layer in turn, then the final norm if any. */
  forward(tgt: Tensor, memory: Tensor, opts: DecoderMasks = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = (layer as TransformerDecoderLayer).forward(x, memory, opts);
    if (this.norm) x = (this.norm as LayerNorm).forward(x);
    return x;
  }
}

/** Options of Transformer (PyTorch's keyword arguments): its own sizes, and the options of its layers. */
export interface TransformerOpts extends EncoderLayerOpts {
  /** The number of expected features in the encoder/decoder inputs (default 512). */
  dModel?: number;
  /** The number of heads in the multi-head attention (default 8). */
  nhead?: number;
  /** The number of encoder layers (default 6). */
  numEncoderLayers?: number;
  /** The number of decoder layers (default 6). */
  numDecoderLayers?: number;
}

/** The full encoder-decoder model of "Attention Is All You Need"; matrices re-initialised with xavier_uniform_. */
export class Transformer extends Module {
  encoder: TransformerEncoder;
  decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  constructor(opts: TransformerOpts = {}) {
    super();
    this.dModel = opts.dModel ?? 512;
    this.nhead = opts.nhead ?? 8;
    this.batchFirst = opts.batchFirst ?? false;
    const f = { device: opts.device, dtype: opts.dtype };
    const layerOpts: EncoderLayerOpts = {
      dimFeedforward: opts.dimFeedforward ?? 2048, dropout: opts.dropout ?? 0.1, activation: opts.activation ?? 'relu',
      layerNormEps: opts.layerNormEps ?? 1e-5, batchFirst: this.batchFirst, normFirst: opts.normFirst ?? false, bias: opts.bias ?? true, ...f,
    };
    const norm = () => new LayerNorm(this.dModel, { eps: opts.layerNormEps ?? 1e-5, bias: opts.bias ?? true, ...f });
    this.encoder = new TransformerEncoder(new TransformerEncoderLayer(this.dModel, this.nhead, layerOpts), opts.numEncoderLayers ?? 6, { norm: norm() });
    this.decoder = new TransformerDecoder(new TransformerDecoderLayer(this.dModel, this.nhead, layerOpts), opts.numDecoderLayers ?? 6, { norm: norm() });
    for (const p of this.parameters()) if (p.ndim > 1) init.xavierUniform_(p);
  }
  /** Encodes src into memory, then decodes tgt attending to it: the decoder output, shaped like tgt. */
  forward(src: Tensor, tgt: Tensor, opts: DecoderMasks & { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; srcIsCausal?: boolean } = {}): Tensor {
    const memory = this.encoder.forward(src, { mask: opts.srcMask ?? null, srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null, isCausal: opts.srcIsCausal });
    // The decoder takes its own masks only (src* are the encoder's; strict options would refuse them).
    const { srcMask: _m, srcKeyPaddingMask: _k, srcIsCausal: _c, ...dec } = opts;
    return this.decoder.forward(tgt, memory, dec);
  }
  /** A float mask with -inf above the diagonal (position i may attend to positions <= i). */
  static generateSquareSubsequentMask(sz: number, opts: FactoryOpts = {}): Tensor {
    return zeros([sz, sz], { dtype: opts.dtype, device: opts.device }).maskedFill(ones([sz, sz], { device: opts.device }).triu(1).gt(0), -Infinity);
  }
  /** The same mask called on a model (`model.generate_square_subsequent_mask(sz)` in PyTorch 1.13). */
  generateSquareSubsequentMask(sz: number, opts: FactoryOpts = {}): Tensor { return Transformer.generateSquareSubsequentMask(sz, opts); }
}
