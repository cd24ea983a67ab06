// Convolutions of torch.nn.functional (conv1d/2d/3d, convTranspose1d/2d/3d) and F.unfold/F.fold,
// composed from the differentiable im2col/col2im primitives plus one (batched) GEMM, so every
// backend gets them and their gradients. Shapes, defaults and errors follow PyTorch 1.13.

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { addmmPrim, im2colPrim, col2imPrim, convOutSize } from '../../ops/linalg.js';
import { tuple, type IntOrTuple } from './utils.js';
import { pad as padOp } from './misc.js';
import { cat, stack } from '../../ops/shape.js';
import { zeros } from '../../ops/creation.js';
import { composite } from '../../ops/prim.js';
import { convMatmulPrim, convWinogradPrim, winogradDgrad, winogradForward } from '../../ops/winograd.js';
import type { ConvGeometry } from '../../backends/backend.js';

/** A convolution's non-tensor arguments, as its composite's attrs. */
const convAttrs = (o: ConvOpts) => ({ stride: o.stride ?? 1, padding: o.padding ?? 0, dilation: o.dilation ?? 1, groups: o.groups ?? 1 });
const convTAttrs = (o: ConvTransposeOpts) => ({ stride: o.stride ?? 1, padding: o.padding ?? 0, outputPadding: o.outputPadding ?? 0, groups: o.groups ?? 1, dilation: o.dilation ?? 1 });
const foldAttrs = (o: FoldOpts) => ({ dilation: o.dilation ?? 1, padding: o.padding ?? 0, stride: o.stride ?? 1 });

/** Options of F.conv1d/2d/3d (PyTorch's keyword arguments). */
export interface ConvOpts {
  /** Stride of the convolution (default 1). */
  stride?: IntOrTuple;
  /** Implicit zero padding on both sides of each spatial dim, or 'same' / 'valid' (default 0). */
  padding?: IntOrTuple | 'same' | 'valid';
  /** Spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
  /** Number of blocked connections from input to output channels (default 1). */
  groups?: number;
}
/** Options of F.convTranspose1d/2d/3d (PyTorch's keyword arguments). */
export interface ConvTransposeOpts {
  /** Stride of the convolution (default 1). */
  stride?: IntOrTuple;
  /** dilation * (kernelSize - 1) - padding zero-padding is added to both sides of each spatial dim of the input (default 0). */
  padding?: IntOrTuple;
  /** Additional size added to one side of each spatial dim of the output shape (default 0). */
  outputPadding?: IntOrTuple;
  /** Number of blocked connections from input to output channels (default 1). */
  groups?: number;
  /** Spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
}

/** Shared 2-D implementation; x is [N,C,H,W] and weight [OC, C/groups, kh, kw]. */
function conv2dImpl(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvOpts): Tensor {
  const groups = opts.groups ?? 1;
  const stride = tuple(opts.stride ?? 1, 2, op, 'stride');
  const dilation = tuple(opts.dilation ?? 1, 2, op, 'dilation');
  const [N, C, , ] = x.shape as [number, number, number, number];
  const [OC, Cg, kh, kw] = weight.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${op}: non-positive groups is not supported`);
  if (C !== Cg * groups) {
    throw new RangeError(`${op}: Given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(x.shape)} to have ${Cg * groups} channels, but got ${C} channels instead`);
  }
  if (OC % groups !== 0) throw new RangeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmtShape(weight.shape)} instead`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== OC)) throw new RangeError(`${op}: Given weight of size ${fmtShape(weight.shape)}, expected bias to be 1-dimensional with ${OC} elements, but got bias of size ${fmtShape(bias.shape)} instead`);
  if (stride.some((s) => s < 1)) throw new RangeError(`${op}: non-positive stride is not supported`);
  let padding: number[];
  let xin = x;
  if (opts.padding === 'valid') padding = [0, 0];
  else if (opts.padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions`);
    // Total padding d*(k-1); an odd total puts the extra element on the right/bottom, as PyTorch.
    const total = [dilation[0]! * (kh - 1), dilation[1]! * (kw - 1)];
    padding = total.map((t) => Math.floor(t / 2));
    if (total.some((t) => t % 2 === 1)) xin = padOp(x, [0, total[1]! % 2, 0, total[0]! % 2]);
  } else padding = tuple(opts.padding ?? 0, 2, op, 'padding');
  if (padding.some((p) => p < 0)) throw new RangeError(`${op}: negative padding is not supported`);
  const H = xin.shape[2]!, W = xin.shape[3]!;
  const OH = convOutSize(H, kh, stride[0]!, padding[0]!, dilation[0]!);
  const OW = convOutSize(W, kw, stride[1]!, padding[1]!, dilation[1]!);
  if (OH <= 0 || OW <= 0) {
    throw new RangeError(`${op}: Calculated padded input size per channel: (${H + 2 * padding[0]!} x ${W + 2 * padding[1]!}). Kernel size: (${dilation[0]! * (kh - 1) + 1} x ${dilation[1]! * (kw - 1) + 1}). Kernel size can't be greater than actual input size`);
  }
  const geom: ConvGeometry = {
    kernel: [kh, kw], stride: [stride[0]!, stride[1]!], padding: [padding[0]!, padding[1]!],
    dilation: [dilation[0]!, dilation[1]!], padValue: 0,
  };
  const K = Cg * kh * kw, L = OH * OW;
  let out: Tensor, biased = false;
  if (groups === 1 && winogradForward(xin, OC, geom)) {
    // Winograd where the backend has it and it wins (ops/winograd.ts): no column matrix at all.
    out = convWinogradPrim(weight, xin, { geom, inputShape: [...xin.shape] });
  } else {
    const cols = im2colPrim(xin, geom); // [N, C*kh*kw, L]
    // x's gradient by Winograd where the backend has it, else through cols: col2im.
    if (groups === 1 && winogradDgrad(xin, geom)) out = convMatmulPrim(weight.reshape(OC, K), cols, xin, { geom, inputShape: [...xin.shape] });
    else if (groups === 1 && bias && bias.dtype === x.dtype && weight.dtype === x.dtype && bias.device === x.device) {
      // The bias in the GEMM's epilogue (addmm) where the backend has one.
      out = addmmPrim(bias.reshape(1, OC, 1), weight.reshape(OC, K).expand([N, OC, K]), cols);
      biased = true;
    } else if (groups === 1) out = weight.reshape(OC, K).matmul(cols); // [N, OC, L]
    else {
      const w = weight.reshape(groups, OC / groups, K);
      out = w.matmul(cols.reshape(N, groups, K, L)).reshape(N, OC, L);
    }
    out = out.reshape(N, OC, OH, OW);
  }
  return bias && !biased ? out.add(bias.reshape(1, OC, 1, 1)) : out;
}

/** Accepts batched or unbatched input of `sd` spatial dims; returns [batched input, unbatch?]. */
function batchify(op: string, x: Tensor, weight: Tensor, sd: number): [Tensor, boolean] {
  if (weight.ndim !== sd + 2) throw new RangeError(`${op}: expected weight to be ${sd + 2}-D, but got weight of size ${fmtShape(weight.shape)}`);
  if (x.ndim !== sd + 1 && x.ndim !== sd + 2) {
    throw new RangeError(`${op}: Expected ${sd + 1}D (unbatched) or ${sd + 2}D (batched) input to ${op}, but got input of size: ${fmtShape(x.shape)}`);
  }
  if (x.dtype !== weight.dtype) throw new TypeError(`${op}: Input type (${x.dtype}) and weight type (${weight.dtype}) should be the same`);
  return x.ndim === sd + 1 ? [x.unsqueeze(0), true] : [x, false];
}

/** F.conv2d(input [N,C,H,W] or [C,H,W], weight [OC, C/groups, kh, kw], bias?, { stride, padding, dilation, groups }). */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOpts = {}): Tensor {
  return composite('conv2d', convAttrs(opts), () => {
    const [xb, unb] = batchify('conv2d', x, weight, 2);
    const out = conv2dImpl('conv2d', xb, weight, bias, opts);
    return unb ? out.squeeze(0) : out;
  });
}

/** F.conv1d(input [N,C,L] or [C,L], weight [OC, C/groups, k], bias?, opts): conv2d over a height-1 image. */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOpts = {}): Tensor {
  return composite('conv1d', convAttrs(opts), () => {
    const [xb, unb] = batchify('conv1d', x, weight, 1);
    const one = (v: IntOrTuple | undefined, name: string, dflt: number) => [1, tuple(v ?? dflt, 1, 'conv1d', name)[0]!];
    const padding = opts.padding === 'same' || opts.padding === 'valid' ? opts.padding : [0, tuple(opts.padding ?? 0, 1, 'conv1d', 'padding')[0]!];
    const out = conv2dImpl('conv1d', xb.unsqueeze(2), weight.unsqueeze(2), bias, {
      stride: one(opts.stride, 'stride', 1), dilation: one(opts.dilation, 'dilation', 1), padding, groups: opts.groups,
    }).squeeze(2);
    return unb ? out.squeeze(0) : out;
  });
}

/**
 * F.convTranspose2d(input [N,Cin,H,W], weight [Cin, OC/groups, kh, kw], bias?, opts): the adjoint of
 * conv2d, computed as a GEMM into columns followed by col2im (which sums the overlaps).
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOpts = {}): Tensor {
  return composite('convTranspose2d', convTAttrs(opts), () => {
    const op = 'convTranspose2d';
    const [xb, unb] = batchify(op, x, weight, 2);
    const out = convTranspose2dImpl(op, xb, weight, bias, opts);
    return unb ? out.squeeze(0) : out;
  });
}

function convTranspose2dImpl(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvTransposeOpts): Tensor {
  const groups = opts.groups ?? 1;
  const stride = tuple(opts.stride ?? 1, 2, op, 'stride');
  const padding = tuple(opts.padding ?? 0, 2, op, 'padding');
  const dilation = tuple(opts.dilation ?? 1, 2, op, 'dilation');
  const outPad = tuple(opts.outputPadding ?? 0, 2, op, 'outputPadding');
  const [N, Cin, H, W] = x.shape as [number, number, number, number];
  const [Cw, OCg, kh, kw] = weight.shape as [number, number, number, number];
  if (Cin !== Cw) throw new RangeError(`${op}: Given transposed=1, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(x.shape)} to have ${Cw} channels, but got ${Cin} channels instead`);
  if (Cin % groups !== 0) throw new RangeError(`${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmtShape(weight.shape)} instead`);
  const OC = OCg * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== OC)) throw new RangeError(`${op}: Given transposed=1, weight of size ${fmtShape(weight.shape)}, expected bias to be 1-dimensional with ${OC} elements, but got bias of size ${fmtShape(bias.shape)} instead`);
  for (let i = 0; i < 2; i++) {
    if (outPad[i]! >= stride[i]! && outPad[i]! >= dilation[i]!) {
      throw new RangeError(`${op}: output padding must be smaller than either stride or dilation, but got output_padding: ${outPad.join('x')}, stride: ${stride.join('x')}, dilation: ${dilation.join('x')}`);
    }
  }
  const k = [kh, kw];
  const OH = (H - 1) * stride[0]! - 2 * padding[0]! + dilation[0]! * (kh - 1) + outPad[0]! + 1;
  const OW = (W - 1) * stride[1]! - 2 * padding[1]! + dilation[1]! * (kw - 1) + outPad[1]! + 1;
  if (OH <= 0 || OW <= 0) throw new RangeError(`${op}: output size ${OH}x${OW} is too small for input ${fmtShape(x.shape)}`);
  // col2im needs an output whose conv-size matches H x W; outputPadding >= stride (allowed when
  // smaller than dilation) breaks that, so col2im into the matching size and zero-pad the rest.
  const ext = [0, 1].map((i) => {
    const o = i === 0 ? OH : OW, inp = i === 0 ? H : W;
    let e = o;
    while (convOutSize(e, k[i]!, stride[i]!, padding[i]!, dilation[i]!) > inp) e--;
    while (convOutSize(e, k[i]!, stride[i]!, padding[i]!, dilation[i]!) < inp) e++;
    return e;
  });
  const Cig = Cin / groups, K = OCg * kh * kw, L = H * W;
  const w = weight.reshape(groups, Cig, K).transpose(1, 2); // [G, K, Cig]
  const cols = w.matmul(x.reshape(N, groups, Cig, L)).reshape(N, OC * kh * kw, L);
  let out = col2imPrim(cols, [N, OC, ext[0]!, ext[1]!], {
    kernel: [kh, kw], stride: [stride[0]!, stride[1]!], padding: [padding[0]!, padding[1]!],
    dilation: [dilation[0]!, dilation[1]!], padValue: 0,
  });
  // Rows/cols past what col2im covers get no contribution: zeros (negative pad crops).
  if (ext[0] !== OH || ext[1] !== OW) out = padOp(out, [0, OW - ext[1]!, 0, OH - ext[0]!]);
  return bias ? out.add(bias.reshape(1, OC, 1, 1)) : out;
}

/** F.convTranspose1d via the 2-D version over a height-1 image. */
export function convTranspose1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOpts = {}): Tensor {
  return composite('convTranspose1d', convTAttrs(opts), () => {
    const op = 'convTranspose1d';
    const [xb, unb] = batchify(op, x, weight, 1);
    const one = (v: IntOrTuple | undefined, name: string, dflt: number, lead: number) => [lead, tuple(v ?? dflt, 1, op, name)[0]!];
    const out = convTranspose2dImpl(op, xb.unsqueeze(2), weight.unsqueeze(2), bias, {
      stride: one(opts.stride, 'stride', 1, 1), padding: one(opts.padding, 'padding', 0, 0),
      outputPadding: one(opts.outputPadding, 'outputPadding', 0, 0), dilation: one(opts.dilation, 'dilation', 1, 1), groups: opts.groups,
    }).squeeze(2);
    return unb ? out.squeeze(0) : out;
  });
}

/** Options of F.unfold / F.fold and nn.Unfold / nn.Fold (PyTorch's keyword arguments). */
export interface FoldOpts {
  /** Spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
  /** Implicit zero padding on both sides of each spatial dim (default 0). */
  padding?: IntOrTuple;
  /** Stride of the sliding blocks (default 1). */
  stride?: IntOrTuple;
}

/** F.unfold(input [N,C,H,W], kernelSize, opts) -> [N, C*kh*kw, L]: im2col. */
export function unfold(x: Tensor, kernelSize: IntOrTuple, opts: FoldOpts = {}): Tensor {
  return composite('unfold', { kernelSize, ...foldAttrs(opts) }, () => {
    const op = 'unfold';
    const unb = x.ndim === 3;
    if (x.ndim !== 4 && !unb) throw new RangeError(`${op}: Input Error: Only 3D or 4D input Tensors are supported (got ${x.ndim}D)`);
    const k = tuple(kernelSize, 2, op, 'kernelSize'), d = tuple(opts.dilation ?? 1, 2, op, 'dilation');
    const p = tuple(opts.padding ?? 0, 2, op, 'padding'), s = tuple(opts.stride ?? 1, 2, op, 'stride');
    const out = im2colPrim(unb ? x.unsqueeze(0) : x, {
      kernel: [k[0]!, k[1]!], stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!], dilation: [d[0]!, d[1]!], padValue: 0,
    });
    return unb ? out.squeeze(0) : out;
  });
}

/** F.fold(input [N, C*kh*kw, L], outputSize, kernelSize, opts) -> [N,C,oh,ow]: col2im, summing overlaps. */
export function fold(x: Tensor, outputSize: IntOrTuple, kernelSize: IntOrTuple, opts: FoldOpts = {}): Tensor {
  return composite('fold', { outputSize, kernelSize, ...foldAttrs(opts) }, () => {
    const op = 'fold';
    const unb = x.ndim === 2;
    if (x.ndim !== 3 && !unb) throw new RangeError(`${op}: Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got ${x.ndim}D)`);
    const xb = unb ? x.unsqueeze(0) : x;
    const o = tuple(outputSize, 2, op, 'outputSize'), k = tuple(kernelSize, 2, op, 'kernelSize');
    const d = tuple(opts.dilation ?? 1, 2, op, 'dilation'), p = tuple(opts.padding ?? 0, 2, op, 'padding'), s = tuple(opts.stride ?? 1, 2, op, 'stride');
    const [N, CK, L] = xb.shape as [number, number, number];
    const kk = k[0]! * k[1]!;
    if (CK % kk !== 0) throw new RangeError(`${op}: Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${CK} and kernel_size=(${k.join(', ')})`);
    const bh = convOutSize(o[0]!, k[0]!, s[0]!, p[0]!, d[0]!), bw = convOutSize(o[1]!, k[1]!, s[1]!, p[1]!, d[1]!);
    if (bh * bw !== L) {
      throw new RangeError(`${op}: Given output_size=(${o.join(', ')}), kernel_size=(${k.join(', ')}), dilation=(${d.join(', ')}), padding=(${p.join(', ')}), stride=(${s.join(', ')}), expected size of input's dimension 2 to match the calculated number of sliding blocks ${bh} * ${bw} = ${bh * bw}, but got input.size(2)=${L}.`);
    }
    const out = col2imPrim(xb.contiguous(), [N, CK / kk, o[0]!, o[1]!], {
      kernel: [k[0]!, k[1]!], stride: [s[0]!, s[1]!], padding: [p[0]!, p[1]!], dilation: [d[0]!, d[1]!], padValue: 0,
    });
    return unb ? out.squeeze(0) : out;
  });
}

/**
 * F.conv3d(input [N,C,D,H,W] or unbatched, weight [OC, C/groups, kd, kh, kw], bias?, opts): the depth
 * taps are gathered as strided depth slices into the channel dim ([N*OD, C*kd, H, W]) and the rest is
 * one conv2d, so gradients come from the same primitives.
 */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvOpts = {}): Tensor {
  return composite('conv3d', convAttrs(opts), () => {
    const op = 'conv3d';
    const [xb0, unb] = batchify(op, x, weight, 3);
    const groups = opts.groups ?? 1;
    const stride = tuple(opts.stride ?? 1, 3, op, 'stride'), dilation = tuple(opts.dilation ?? 1, 3, op, 'dilation');
    const [N, C] = xb0.shape as [number, number];
    const [OC, Cg, kd, kh, kw] = weight.shape as [number, number, number, number, number];
    if (C !== Cg * groups) {
      throw new RangeError(`${op}: Given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(xb0.shape)} to have ${Cg * groups} channels, but got ${C} channels instead`);
    }
    if (bias && (bias.ndim !== 1 || bias.shape[0] !== OC)) throw new RangeError(`${op}: Given weight of size ${fmtShape(weight.shape)}, expected bias to be 1-dimensional with ${OC} elements, but got bias of size ${fmtShape(bias.shape)} instead`);
    let xb = xb0;
    let padding: number[];
    if (opts.padding === 'valid') padding = [0, 0, 0];
    else if (opts.padding === 'same') {
      if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions`);
      const total = [kd, kh, kw].map((k, i) => dilation[i]! * (k - 1));
      padding = total.map((t) => Math.floor(t / 2));
      if (total.some((t) => t % 2 === 1)) xb = padOp(xb, [0, total[2]! % 2, 0, total[1]! % 2, 0, total[0]! % 2]);
    } else padding = tuple(opts.padding ?? 0, 3, op, 'padding');
    if (padding[0]! > 0) xb = padOp(xb, [0, 0, 0, 0, padding[0]!, padding[0]!]);
    const D = xb.shape[2]!, H = xb.shape[3]!, W = xb.shape[4]!;
    const OD = convOutSize(D, kd, stride[0]!, 0, dilation[0]!);
    if (OD <= 0) {
      throw new RangeError(`${op}: Calculated padded input size per channel: (${D} x ${H + 2 * padding[1]!} x ${W + 2 * padding[2]!}). Kernel size: (${dilation[0]! * (kd - 1) + 1} x ${dilation[1]! * (kh - 1) + 1} x ${dilation[2]! * (kw - 1) + 1}). Kernel size can't be greater than actual input size`);
    }
    const taps: Tensor[] = [];
    for (let z = 0; z < kd; z++) {
      const start = z * dilation[0]!;
      taps.push(xb.slice(2, start, start + (OD - 1) * stride[0]! + 1, stride[0]!)); // [N, C, OD, H, W]
    }
    const stacked = stack(taps, 3).permute(0, 2, 1, 3, 4, 5).reshape(N * OD, C * kd, H, W);
    const out2 = conv2dImpl(op, stacked, weight.reshape(OC, Cg * kd, kh, kw), null, {
      stride: [stride[1]!, stride[2]!], padding: [padding[1]!, padding[2]!], dilation: [dilation[1]!, dilation[2]!], groups,
    });
    const OH = out2.shape[2]!, OW = out2.shape[3]!;
    let out = out2.reshape(N, OD, OC, OH, OW).permute(0, 2, 1, 3, 4);
    if (bias) out = out.add(bias.reshape(1, OC, 1, 1, 1));
    return unb ? out.squeeze(0) : out;
  });
}

/**
 * F.convTranspose3d(input [N,Cin,D,H,W] or unbatched, weight [Cin, OC/groups, kd, kh, kw], bias?, opts):
 * one convTranspose2d per input depth slice with the kd taps stacked as extra output channels, then
 * each tap's slices are spread along depth (stride, dilation), summed, and cropped by the padding.
 */
export function convTranspose3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTransposeOpts = {}): Tensor {
  return composite('convTranspose3d', convTAttrs(opts), () => {
    const op = 'convTranspose3d';
    const [xb, unb] = batchify(op, x, weight, 3);
    const groups = opts.groups ?? 1;
    const s = tuple(opts.stride ?? 1, 3, op, 'stride'), p = tuple(opts.padding ?? 0, 3, op, 'padding');
    const d = tuple(opts.dilation ?? 1, 3, op, 'dilation'), op3 = tuple(opts.outputPadding ?? 0, 3, op, 'outputPadding');
    const [N, Cin, ID, H, W] = xb.shape as [number, number, number, number, number];
    const [Cw, OCg, kd, kh, kw] = weight.shape as [number, number, number, number, number];
    if (Cin !== Cw) throw new RangeError(`${op}: Given transposed=1, weight of size ${fmtShape(weight.shape)}, expected input${fmtShape(xb.shape)} to have ${Cw} channels, but got ${Cin} channels instead`);
    const OC = OCg * groups;
    if (bias && (bias.ndim !== 1 || bias.shape[0] !== OC)) throw new RangeError(`${op}: expected bias to be 1-dimensional with ${OC} elements, but got bias of size ${fmtShape(bias.shape)} instead`);
    if (op3[0]! >= s[0]! && op3[0]! >= d[0]!) throw new RangeError(`${op}: output padding must be smaller than either stride or dilation, but got output_padding: ${op3.join('x')}, stride: ${s.join('x')}, dilation: ${d.join('x')}`);
    const OD = (ID - 1) * s[0]! - 2 * p[0]! + d[0]! * (kd - 1) + op3[0]! + 1;
    if (OD <= 0) throw new RangeError(`${op}: output depth ${OD} is too small for input ${fmtShape(xb.shape)}`);
    const w2 = weight.permute(0, 2, 1, 3, 4).reshape(Cin, kd * OCg, kh, kw);
    const y = convTranspose2dImpl(op, xb.permute(0, 2, 1, 3, 4).reshape(N * ID, Cin, H, W), w2, null, {
      stride: [s[1]!, s[2]!], padding: [p[1]!, p[2]!], outputPadding: [op3[1]!, op3[2]!], dilation: [d[1]!, d[2]!], groups,
    });
    const OH = y.shape[2]!, OW = y.shape[3]!;
    const y6 = y.reshape(N, ID, groups, kd, OCg, OH, OW);
    const full = (ID - 1) * s[0]! + d[0]! * (kd - 1) + 1 + op3[0]!;
    const zerosAlong = (t: Tensor, dim: number, n: number) => zeros(t.shape.map((v, i) => (i === dim ? n : v)), { dtype: t.dtype, device: t.device });
    let acc: Tensor | null = null;
    for (let z = 0; z < kd; z++) {
      let yk = y6.select(3, z); // [N, ID, G, OCg, OH, OW]
      if (s[0]! > 1) {
        // interleave stride-1 zero slices after every input slice, keeping (ID-1)*s + 1 of them
        yk = stack([yk, ...Array.from({ length: s[0]! - 1 }, () => zeros(yk.shape, { dtype: yk.dtype, device: yk.device }))], 2).reshape(N, ID * s[0]!, groups, OCg, OH, OW).narrow(1, 0, (ID - 1) * s[0]! + 1);
      }
      const before = z * d[0]!, after = full - before - yk.shape[1]!;
      const parts = [...(before > 0 ? [zerosAlong(yk, 1, before)] : []), yk, ...(after > 0 ? [zerosAlong(yk, 1, after)] : [])];
      const placed = parts.length > 1 ? cat(parts, 1) : yk;
      acc = acc ? acc.add(placed) : placed;
    }
    let out = acc!.narrow(1, p[0]!, OD).reshape(N, OD, OC, OH, OW).permute(0, 2, 1, 3, 4);
    if (bias) out = out.add(bias.reshape(1, OC, 1, 1, 1));
    return unb ? out.squeeze(0) : out;
  });
}
