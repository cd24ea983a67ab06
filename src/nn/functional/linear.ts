// F.linear and F.bilinear: y = x W^T + b over any leading batch dims (one GEMM via matmul; with a
// bias, addmm: the add in the GEMM's epilogue where the backend has one).

import { Tensor } from '../../tensor.js';
import { fmtShape, numel } from '../../shape.js';
import { composite } from '../../ops/prim.js';
import { addmmPrim } from '../../ops/linalg.js';
import { isFloating } from '../../dtype.js';

/** Applies a linear transformation to the last dim of x: y = x W^T + b (torch.nn.functional.linear). */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.ndim !== 2 && weight.ndim !== 1) throw new RangeError(`linear: weight must be 1-D or 2-D, got ${fmtShape(weight.shape)}`);
  const inF = weight.shape[weight.ndim - 1]!;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(`linear: mat1 and mat2 shapes cannot be multiplied (${x.numel() / (x.shape[x.ndim - 1] || 1)}x${x.shape[x.ndim - 1]} and ${weight.ndim === 2 ? `${inF}x${weight.shape[0]}` : inF})`);
  }
  return composite('linear', {}, () => {
    const wt = weight.ndim === 1 ? weight : weight.t();
    if (bias && weight.ndim === 2 && x.ndim >= 2 && bias.ndim === 1 && bias.shape[0] === weight.shape[0] && isFloating(x.dtype)
      && x.dtype === weight.dtype && bias.dtype === x.dtype && x.device === weight.device && bias.device === x.device) {
      const lead = x.shape.slice(0, -1);
      const r = addmmPrim(bias, x.reshape(1, numel(lead), inF), wt.unsqueeze(0));
      const y = r.reshape([...lead, weight.shape[0]!]);
      if (y !== r) r.dispose();
      return y;
    }
    const y = x.matmul(wt);
    return bias ? y.add(bias) : y;
  });
}

/** y = x1^T A x2 + b with weight [out, in1, in2]. */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  // y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j]
  return composite('bilinear', {}, () => {
    const t = x1.unsqueeze(-2).unsqueeze(-2).matmul(weight).squeeze(-2); // [..., out, in2]
    const y = t.mul(x2.unsqueeze(-2)).sum(-1);
    return bias ? y.add(bias) : y;
  });
}
