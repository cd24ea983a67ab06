// Winograd F(2x2, 3x3) for 3x3 stride-1 float32 conv2d on backends that have it (Backend.winogradConv,
// winogradWgrad, winogradFits: the CPU): 16 GEMMs of 16/36 the direct multiply-adds, no column
// matrix. The forward where it wins (winogradForward: `convWinogradPrim`, one node); the input
// gradient, itself such a convolution (of the output gradient with the flipped, transposed weight);
// the weight gradient, F(3x3, 2x2) over the output gradient's 2x2 tiles. Where the forward stays
// im2col + GEMM, `convMatmulPrim` records that GEMM so that both gradients still come here.

import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import type { ConvGeometry } from '../backends/backend.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, fromArray, record, type PrimAttrs } from './prim.js';
import { bmmPrim, col2imPrim, im2colPrim } from './linalg.js';

/** G of F(2x2, 3x3): the weight transform U = G w G^T. */
const G = [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1];

/**
 * Whether conv2d (groups 1, `geom`, input x) takes the Winograd input gradient: float32 on a backend
 * with the transforms, a 3x3 kernel at stride 1, dilation 1, padding <= 2, and a gradient wanted for x.
 */
export function winogradDgrad(x: Tensor, geom: ConvGeometry): boolean {
  return isGradEnabled() && x.requiresGrad && winogradShape(x, geom);
}

/** A float32 3x3 convolution at stride 1, dilation 1, padding <= 2, on a backend with the kernels. */
function winogradShape(x: Tensor, geom: ConvGeometry): boolean {
  const b = backendOf(x);
  if (x.dtype !== 'float32' || !b.winogradConv || !b.winogradWgrad || !b.winogradFits) return false;
  return geom.kernel[0] === 3 && geom.kernel[1] === 3 && geom.stride[0] === 1 && geom.stride[1] === 1
    && geom.dilation[0] === 1 && geom.dilation[1] === 1 && geom.padding[0] <= 2 && geom.padding[1] <= 2;
}

/**
 * Whether conv2d (groups 1, `geom`, input x [N,C,H,W], OC outputs) runs its forward by Winograd too
 * (convWinogradPrim), by measurement on the CPU (.prof-style, 2 threads, best of 200): it wins from 4
 * input channels on at least 12x12 outputs ([64,16,14,14] -> 32: 1.05 against 1.79 ms for im2col +
 * GEMM; [32,32,16,16]: 1.53 / 2.14), loses with 1 channel (its GEMMs' K is C: 0.71 / 0.35) and on
 * 8x8 maps with many channels, where the GEMM's K = 9C runs at full speed ([8,128,8,8]: 1.83 / 1.63).
 */
export function winogradForward(x: Tensor, OC: number, geom: ConvGeometry): boolean {
  const [, C, H, W] = x.shape as [number, number, number, number];
  const OH = H + 2 * geom.padding[0] - 2, OW = W + 2 * geom.padding[1] - 2;
  return C >= 4 && OH * OW >= 144 && winogradShape(x, geom) && backendOf(x).winogradFits!(C, OC, OH, OW);
}

/**
 * conv2d(x, w) [N, OC, OH, OW] by Winograd (winogradForward said so), recorded as one node whose rule
 * gives w and x their gradients by Winograd as well (or composed from im2col/col2im under
 * createGraph): no column matrix is made or kept.
 */
export function convWinogradPrim(w: Tensor, x: Tensor, attrs: PrimAttrs['convWinograd']): Tensor {
  const out = noGrad(() => winogradConv3x3(x, w, attrs.geom.padding as [number, number]))!;
  return record('convWinograd', [w, x], out, attrs);
}

/**
 * conv2d(x [N,C,H,W], w [K,C,3,3]) at stride 1 with `padding` through Winograd F(2x2,3x3) (float32,
 * not recorded), or null where the backend's buffers cannot hold it (Backend.winogradFits).
 */
export function winogradConv3x3(x: Tensor, w: Tensor, padding: readonly [number, number]): Tensor | null {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const K = w.shape[0]!;
  const OH = H + 2 * padding[0] - 2, OW = W + 2 * padding[1] - 2;
  const b = backendOf(x);
  if (!b.winogradFits?.(C, K, OH, OW)) return null;
  const g = fromArray(G, [4, 3], 'float32', x.device);
  const u = g.matmul(w).matmul(g.t()); // [K, C, 4, 4]
  const u16 = u.permute(2, 3, 0, 1).contiguous(); // [4, 4, K, C]: [16, K, C]
  const y = empty([N, K, OH, OW], 'float32', x.device);
  b.winogradConv!(x.view_(), u16.view_(), y.view_(), padding);
  for (const t of [g, u, u16]) t.dispose();
  return y;
}

/**
 * conv2d's GEMM w2 [OC, C*9] x cols [N, C*9, L] -> [N, OC, L] (the kernels of matmul), recorded with x
 * (the image cols was made from) as a third input: the rule gives w2 its gradient from cols as
 * matmul's does, cols none, and x its gradient directly (convInputGrad), so im2col's node, reached
 * with nothing, is skipped. The result is x's total gradient either way: cols has no other use.
 */
export function convMatmulPrim(w2: Tensor, cols: Tensor, x: Tensor, attrs: PrimAttrs['convMatmul']): Tensor {
  const out = noGrad(() => w2.matmul(cols));
  return record('convMatmul', [w2, cols, x], out, attrs);
}

/**
 * w2's gradient [OC, C*9] from conv2d's output gradient g [N, OC, L] (convMatmulPrim's and
 * convWinogradPrim's rules): without a graph being built and where the backend has it, by Winograd
 * from g and x (G^T m G of the backend's Winograd-domain sums m); else g cols^T summed over the
 * images (cols made again from x when the forward made none).
 */
export function convWeightGrad(g: Tensor, cols: Tensor | null, x: Tensor, attrs: PrimAttrs['convMatmul']): Tensor {
  const { geom, inputShape } = attrs;
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const OC = g.shape[1]!, OH = H + 2 * geom.padding[0] - 2, OW = W + 2 * geom.padding[1] - 2;
  const b = backendOf(x);
  if (isGradEnabled() || !b.winogradWgrad || !b.winogradFits?.(C, OC, OH, OW)) {
    return bmmPrim(g, (cols ?? im2colPrim(x, geom)).transpose(1, 2)).sum(0); // convWinograd made no cols: im2col again
  }
  const m = empty([16, OC, C], 'float32', x.device);
  b.winogradWgrad(x.view_(), g.reshape(N, OC, OH, OW).view_(), m.view_(), geom.padding);
  const gm = fromArray(G, [4, 3], 'float32', x.device);
  const m4 = m.reshape(4, 4, OC, C).permute(2, 3, 0, 1); // [OC, C, 4, 4]
  const gw = gm.t().matmul(m4).matmul(gm).reshape(OC, C * 9);
  for (const t of [m, gm]) t.dispose();
  return gw;
}

/** x's gradient from conv2d's output gradient g [N, OC, L] (convMatmulPrim's rule). */
export function convInputGrad(g: Tensor, w2: Tensor, attrs: PrimAttrs['convMatmul']): Tensor {
  const { geom, inputShape } = attrs;
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const OC = w2.shape[0]!;
  const OH = H + 2 * geom.padding[0] - 2, OW = W + 2 * geom.padding[1] - 2;
  // With a graph being built (createGraph), or where Winograd does not fit: the differentiable
  // composition, col2im of w2^T g.
  const wino = isGradEnabled() ? null
    : winogradConv3x3(g.reshape(N, OC, OH, OW), w2.reshape(OC, C, 3, 3).flip([2, 3]).transpose(0, 1), [2 - geom.padding[0], 2 - geom.padding[1]]);
  return wino ?? col2imPrim(w2.t().matmul(g), inputShape, geom);
}
