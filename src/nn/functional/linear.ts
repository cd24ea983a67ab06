// F.linear and F.bilinear: y = x W^T + b over any leading batch dims (one GEMM via matmul).

import { Tensor } from '../../tensor.js';
import { fmtShape } from '../../shape.js';
import { composite } from '../../ops/prim.js';

/** Applies a linear transformation to the last dim of x: y = x W^T + b (torch.nn.functional.linear). */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.ndim !== 2 && weight.ndim !== 1) throw new RangeError(`linear: weight must be 1-D or 2-D, got ${fmtShape(weight.shape)}`);
  const inF = weight.shape[weight.ndim - 1]!;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(`linear: mat1 and mat2 shapes cannot be multiplied (${x.numel() / (x.shape[x.ndim - 1] || 1)}x${x.shape[x.ndim - 1]} and ${weight.ndim === 2 ? `${inF}x${weight.shape[0]}` : inF})`);
  }
  return composite('linear', {}, () => {
    const y = x.matmul(weight.ndim === 1 ? weight : weight.t());
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
