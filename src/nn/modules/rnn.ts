// Recurrent layers RNN (tanh/relu), LSTM and GRU: multi-layer, bidirectional, batchFirst, dropout
// between layers, optional initial states, unbatched input. Parameter names and gate order are
// PyTorch's (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse; LSTM gates i,f,g,o;
// GRU gates r,z,n with b_hn inside the reset product), so PyTorch checkpoints load unchanged.
// LSTM projSize > 0 (PyTorch's proj_size) adds weight_hr_l{k}[_reverse] [projSize, hiddenSize] after the
// biases: h_t = (o * tanh(c_t)) W_hr^T, so h (and the output) has projSize features while c keeps hiddenSize.
// Init: every weight and bias U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)).

import type { Tensor } from '../../tensor.js';
import { cat, stack } from '../../ops/shape.js';
import { tensor, zeros } from '../../ops/creation.js';
import { where } from '../../ops/elementwise.js';
import { PackedSequence, unpackSorted } from '../utils.js';
import { dropout } from './dropout.js';
import { fmtShape } from '../../shape.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { newParam, type FactoryOpts } from './linear.js';
import * as init from '../init.js';
import { composite } from '../../ops/prim.js';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
/** The composite name of a layer (cell: true for the single-step cells) in a captured graph, and its nonlinearity attr. */
const compositeName = (mode: Mode, cell: boolean) => (mode === 'LSTM' ? 'lstm' : mode === 'GRU' ? 'gru' : 'rnn') + (cell ? 'Cell' : '');
const nonlinearityOf = (mode: Mode) => (mode === 'RNN_TANH' ? { nonlinearity: 'tanh' } : mode === 'RNN_RELU' ? { nonlinearity: 'relu' } : {});
/** Options of RNN, LSTM and GRU (PyTorch's keyword arguments). */
export interface RNNOpts extends FactoryOpts {
  /** Number of stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Whether the layers use the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output tensors are [N, L, *] instead of [L, N, *] (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of each layer except the last (default 0). */
  dropout?: number;
  /** Whether the layers are bidirectional (default false). */
  bidirectional?: boolean;
  /** LSTM only: size of the projected hidden state h (0: no projection). */
  projSize?: number;
}

/**
 * One recurrent step: returns the new [h, c] (c only for LSTM); xw = x W_ih^T + b_ih is precomputed;
 * whr (LSTM with projSize) projects the new h.
 */
function cellStep(mode: Mode, H: number, xw: Tensor, h: Tensor, c: Tensor | null, whh: Tensor, bhh: Tensor | null, whr: Tensor | null = null): [Tensor, Tensor | null] {
  let hw = h.matmul(whh.t());
  if (bhh) hw = hw.add(bhh);
  switch (mode) {
    case 'RNN_TANH': return [xw.add(hw).tanh(), null];
    case 'RNN_RELU': return [xw.add(hw).relu(), null];
    case 'LSTM': {
      const g = xw.add(hw);
      const i = g.narrow(-1, 0, H).sigmoid(), f = g.narrow(-1, H, H).sigmoid();
      const gg = g.narrow(-1, 2 * H, H).tanh(), o = g.narrow(-1, 3 * H, H).sigmoid();
      const c2 = f.mul(c!).add(i.mul(gg));
      const h2 = o.mul(c2.tanh());
      return [whr ? h2.matmul(whr.t()) : h2, c2];
    }
    case 'GRU': {
      const r = xw.narrow(-1, 0, H).add(hw.narrow(-1, 0, H)).sigmoid();
      const z = xw.narrow(-1, H, H).add(hw.narrow(-1, H, H)).sigmoid();
      const n = xw.narrow(-1, 2 * H, H).add(r.mul(hw.narrow(-1, 2 * H, H))).tanh();
      // h' = (1 - z) * n + z * h = n + z * (h - n)
      return [n.add(z.mul(h.sub(n))), null];
    }
  }
}

/** Shared base of RNN, LSTM and GRU: the stacked layers' parameters and their run over a sequence. */
abstract class RNNBase extends Module {
  /** Typed access to the per-layer parameters: `lstm.weight_ih_l0`, `gru.bias_hh_l1_reverse`. */
  readonly [param: `weight_${string}` | `bias_${string}`]: Parameter;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  constructor(readonly mode: Mode, readonly inputSize: number, readonly hiddenSize: number, opts: RNNOpts) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    this.projSize = opts.projSize ?? 0;
    if (!Number.isInteger(this.projSize) || this.projSize < 0) throw new RangeError(`proj_size should be a positive integer or zero to disable projections (got ${this.projSize})`);
    if (this.projSize > 0 && mode !== 'LSTM') throw new Error('proj_size argument is only supported for LSTM, not RNN or GRU');
    if (this.projSize >= hiddenSize && this.projSize > 0) throw new RangeError(`proj_size has to be smaller than hidden_size (got proj_size=${this.projSize}, hidden_size=${hiddenSize})`);
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new RangeError('dropout should be a number in range [0, 1] representing the probability of an element being zeroed');
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new RangeError('hidden_size must be greater than zero');
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0) throw new RangeError('num_layers must be greater than zero');
    const gate = hiddenSize * (mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1);
    const dirs = this.bidirectional ? 2 : 1;
    const realH = this.projSize > 0 ? this.projSize : hiddenSize;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const inSize = l === 0 ? inputSize : realH * dirs;
        this.registerParameter(`weight_ih${sfx}`, newParam([gate, inSize], opts));
        this.registerParameter(`weight_hh${sfx}`, newParam([gate, realH], opts));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, newParam([gate], opts));
          this.registerParameter(`bias_hh${sfx}`, newParam([gate], opts));
        }
        if (this.projSize > 0) this.registerParameter(`weight_hr${sfx}`, newParam([this.projSize, hiddenSize], opts));
      }
    }
    this.resetParameters();
  }
  /** Re-initializes every parameter from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)). */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }
  /** No-op: PyTorch's flatten_parameters compacts cuDNN's weight buffer; torchlet's weights need no flattening. */
  flattenParameters(): void {}
  /**
   * The parameters per layer and direction, each [weight_ih, weight_hh, bias_ih, bias_hh, weight_hr]
   * as present (PyTorch's all_weights).
   */
  get allWeights(): Parameter[][] {
    const out: Parameter[][] = [];
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < (this.bidirectional ? 2 : 1); d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        out.push(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_hr'].map((n) => this.paramOf_(`${n}${sfx}`)).filter((p): p is Parameter => p !== null));
      }
    }
    return out;
  }
  private paramOf_(name: string): Parameter | null { return ((this as unknown as Record<string, Parameter | null | undefined>)[name]) ?? null; }

  /** Runs all layers on time-major input [L, N, Hin]; returns output [L, N, D*Hout], h_n [layers*D, N, Hout] and c_n [layers*D, N, H] (Hout: projSize or H). */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    return this.composite_(() => this.runMasked(input, h0, c0, null));
  }
  /** Runs f as this layer's composite ('rnn', 'lstm' or 'gru') in a captured graph. */
  private composite_<T>(f: () => T): T {
    return composite(compositeName(this.mode, false), {
      inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, bias: this.bias, batchFirst: this.batchFirst,
      dropout: this.dropout, bidirectional: this.bidirectional, projSize: this.projSize, ...nonlinearityOf(this.mode),
    }, f);
  }
  /**
   * With `lengths` (packed input: time-major, sorted by decreasing length), a sequence's state stops
   * changing after its last step, and its outputs past the end are zero.
   */
  private runMasked(input: Tensor, h0: Tensor | null, c0: Tensor | null, lengths: number[] | null): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    const unbatched = input.ndim === 2 && !lengths;
    if (input.ndim !== 2 && input.ndim !== 3) throw new RangeError(`${this.constructor.name}: Expected input to be 2D or 3D, got ${input.ndim}D instead`);
    let x = unbatched ? input.unsqueeze(1) : this.batchFirst && !lengths ? input.transpose(0, 1) : input;
    if (x.shape[2] !== this.inputSize) throw new RangeError(`input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`);
    const dirs = this.bidirectional ? 2 : 1, L = x.shape[0]!, N = x.shape[1]!, H = this.hiddenSize;
    const HOut = this.projSize > 0 ? this.projSize : H;
    const prep = (s: Tensor | null, what: string, size: number): Tensor => {
      const stateShape = [this.numLayers * dirs, N, size];
      if (!s) return zeros(stateShape, { dtype: x.dtype, device: x.device });
      const t = unbatched ? s.unsqueeze(1) : s;
      if (t.ndim !== 3 || t.shape.some((v, i) => v !== stateShape[i])) {
        throw new RangeError(`Expected ${what} size ${fmtShape(unbatched ? [stateShape[0]!, size] : stateShape)}, got ${fmtShape(s.shape)}`);
      }
      return t;
    };
    const isLSTM = this.mode === 'LSTM';
    const hInit = prep(h0, 'hidden', HOut), cInit = isLSTM ? prep(c0, 'cell', H) : null;
    const hOut: Tensor[] = [], cOut: Tensor[] = [];
    const lensT = lengths ? tensor(lengths, { dtype: 'int32', device: x.device }) : null;
    const masks = lensT ? Array.from({ length: L }, (_, t) => lensT.gt(t).unsqueeze(1)) : null;
    for (let l = 0; l < this.numLayers; l++) {
      const dirOutputs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wih = this.paramOf_(`weight_ih${sfx}`)!, whh = this.paramOf_(`weight_hh${sfx}`)!;
        const bih = this.paramOf_(`bias_ih${sfx}`), bhh = this.paramOf_(`bias_hh${sfx}`), whr = this.paramOf_(`weight_hr${sfx}`);
        let xw = x.matmul(wih.t()); // all time steps at once: [L, N, G]
        if (bih) xw = xw.add(bih);
        let h = hInit.select(0, l * dirs + d), c = cInit ? cInit.select(0, l * dirs + d) : null;
        const steps: Tensor[] = new Array<Tensor>(L);
        for (let k = 0; k < L; k++) {
          const t = d === 0 ? k : L - 1 - k;
          const [hn, cn] = cellStep(this.mode, H, xw.select(0, t), h, c, whh, bhh, whr);
          if (masks) {
            const m = masks[t]!;
            h = where(m, hn, h);
            c = c && cn ? where(m, cn, c) : cn;
            steps[t] = where(m, hn, 0);
          } else {
            h = hn; c = cn;
            steps[t] = hn;
          }
        }
        dirOutputs.push(L > 0 ? stack(steps, 0) : zeros([0, N, HOut], { dtype: x.dtype, device: x.device }));
        hOut.push(h);
        if (c) cOut.push(c);
      }
      x = dirs === 1 ? dirOutputs[0]! : cat(dirOutputs, 2);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) {
        x = dropout(x, this.dropout, true);
      }
    }
    let output = x, hN = stack(hOut, 0), cN = isLSTM ? stack(cOut, 0) : null;
    if (unbatched) { output = output.squeeze(1); hN = hN.squeeze(1); cN = cN ? cN.squeeze(1) : null; }
    else if (this.batchFirst && !lengths) output = output.transpose(0, 1);
    return { output, hN, cN };
  }
  /** Runs on a PackedSequence: returns the packed output and states in the caller's batch order. */
  protected runPacked(seq: PackedSequence, h0: Tensor | null, c0: Tensor | null): { output: PackedSequence; hN: Tensor; cN: Tensor | null } {
    return this.composite_(() => {
      const [padded, lens] = unpackSorted(seq);
      const perm = (t: Tensor | null, idx: Tensor | null): Tensor | null => (t && idx ? t.indexSelect(1, idx) : t);
      const r = this.runMasked(padded, perm(h0, seq.sortedIndices), perm(c0, seq.sortedIndices), lens);
      const sizes = seq.sizes_();
      const data = cat(sizes.map((bs, t) => r.output.select(0, t).narrow(0, 0, bs)));
      const output = new PackedSequence(data, seq.batchSizes, seq.sortedIndices, seq.unsortedIndices);
      output.unsortedHost_ = seq.unsortedHost_;
      return {
        output,
        hN: perm(r.hN, seq.unsortedIndices)!, cN: perm(r.cN, seq.unsortedIndices),
      };
    });
  }
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=True';
    if (this.projSize) s += `, proj_size=${this.projSize}`;
    return s;
  }
}

/** Applies a multi-layer Elman RNN with tanh or ReLU non-linearity: h_t = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (torch.nn.RNN); forward returns [output, h_n]. */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOpts & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`Unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }
  /** Runs the RNN over input ([L, N, Hin], [N, L, Hin] with batchFirst, [L, Hin] unbatched, or a PackedSequence) from h0 (default zeros): [output, h_n]. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const { output, hN } = input instanceof PackedSequence ? this.runPacked(input, hx, null) : this.run(input, hx, null);
    return [output, hN];
  }
}

/** Applies a multi-layer long short-term memory (LSTM) RNN to an input sequence (torch.nn.LSTM); forward(input, [h0, c0]?) returns [output, [h_n, c_n]]. */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOpts = {}) { super('LSTM', inputSize, hiddenSize, opts); }
  /** Runs the LSTM over input ([L, N, Hin], [N, L, Hin] with batchFirst, [L, Hin] unbatched, or a PackedSequence) from [h0, c0] (default zeros): [output, [h_n, c_n]]. */
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(input: Tensor | PackedSequence, hx: [Tensor, Tensor] | null = null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    const h0 = hx ? hx[0] : null, c0 = hx ? hx[1] : null;
    const { output, hN, cN } = input instanceof PackedSequence ? this.runPacked(input, h0, c0) : this.run(input, h0, c0);
    return [output, [hN, cN!]];
  }
}

/** Applies a multi-layer gated recurrent unit (GRU) RNN to an input sequence (torch.nn.GRU); forward returns [output, h_n]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOpts = {}) { super('GRU', inputSize, hiddenSize, opts); }
  /** Runs the GRU over input ([L, N, Hin], [N, L, Hin] with batchFirst, [L, Hin] unbatched, or a PackedSequence) from h0 (default zeros): [output, h_n]. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const { output, hN } = input instanceof PackedSequence ? this.runPacked(input, hx, null) : this.run(input, hx, null);
    return [output, hN];
  }
}

// ---- single-step cells: parameters weight_ih, weight_hh, bias_ih, bias_hh ----
/** Shared base of RNNCell, LSTMCell and GRUCell: weight_ih, weight_hh, bias_ih, bias_hh and one step. */
abstract class RNNCellBase extends Module {
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;
  constructor(protected readonly mode: Mode, readonly inputSize: number, readonly hiddenSize: number, bias: boolean, opts: FactoryOpts) {
    super();
    const gate = hiddenSize * (mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1);
    this.weight_ih = newParam([gate, inputSize], opts);
    this.weight_hh = newParam([gate, hiddenSize], opts);
    this.bias_ih = bias ? newParam([gate], opts) : null;
    this.bias_hh = bias ? newParam([gate], opts) : null;
    this.resetParameters();
  }
  /** Re-initializes every parameter from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)). */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) init.uniform_(p, -stdv, stdv);
  }
  protected step(input: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    const attrs = { inputSize: this.inputSize, hiddenSize: this.hiddenSize, bias: this.bias_ih !== null, ...nonlinearityOf(this.mode) };
    return composite(compositeName(this.mode, true), attrs, () => {
      if (input.ndim !== 1 && input.ndim !== 2) throw new RangeError(`${this.constructor.name}: Expected input to be 1D or 2D, got ${input.ndim}D instead`);
      if (input.shape[input.ndim - 1] !== this.inputSize) throw new RangeError(`input has inconsistent input_size: got ${input.shape[input.ndim - 1]} expected ${this.inputSize}`);
      const unbatched = input.ndim === 1;
      const x = unbatched ? input.unsqueeze(0) : input;
      const zerosH = () => zeros([x.shape[0]!, this.hiddenSize], { dtype: x.dtype, device: x.device });
      const hb = h ? (unbatched ? h.unsqueeze(0) : h) : zerosH();
      const cb = this.mode === 'LSTM' ? (c ? (unbatched ? c.unsqueeze(0) : c) : zerosH()) : null;
      let xw = x.matmul(this.weight_ih.t());
      if (this.bias_ih) xw = xw.add(this.bias_ih);
      const [h2, c2] = cellStep(this.mode, this.hiddenSize, xw, hb, cb, this.weight_hh, this.bias_hh);
      return unbatched ? [h2.squeeze(0), c2 ? c2.squeeze(0) : null] : [h2, c2];
    });
  }
  override extraRepr(): string { return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=False'}`; }
}
/** An Elman RNN cell with tanh or ReLU non-linearity: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (torch.nn.RNNCell). */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } & FactoryOpts = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new Error(`Unknown nonlinearity: ${String(nl)}`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts.bias ?? true, opts);
    this.nonlinearity = nl;
  }
  /** One step from input [N, Hin] (or [Hin]) and h (default zeros): the next hidden state h'. */
  forward(input: Tensor, hx: Tensor | null = null): Tensor { return this.step(input, hx, null)[0]; }
}
/** A long short-term memory (LSTM) cell (torch.nn.LSTMCell). */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean } & FactoryOpts = {}) { super('LSTM', inputSize, hiddenSize, opts.bias ?? true, opts); }
  /** One step from input [N, Hin] (or [Hin]) and [h, c] (default zeros): the next [h', c']. */
  forward(input: Tensor, hx: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const [h, c] = this.step(input, hx ? hx[0] : null, hx ? hx[1] : null);
    return [h, c!];
  }
}
/** A gated recurrent unit (GRU) cell (torch.nn.GRUCell). */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean } & FactoryOpts = {}) { super('GRU', inputSize, hiddenSize, opts.bias ?? true, opts); }
  /** One step from input [N, Hin] (or [Hin]) and h (default zeros): the next hidden state h'. */
  forward(input: Tensor, hx: Tensor | null = null): Tensor { return this.step(input, hx, null)[0]; }
}
