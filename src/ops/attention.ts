// Fused scaled-dot-product attention where the backend has it (Backend.attention: the CPU):
// dropout(softmax(scale q k^T)) v over heads q [N,H,L,E], k [N,H,S,E], v [N,H,S,Ev] (float32, no
// mask but optionally causal), recorded as one node 'attention' with inputs (q, k, v, lse[, keep]).
// Its rule runs Backend.attentionBackward, or the composed math when a graph is being built
// (createGraph). The [N,H,L,S] scores are never kept: the backward rebuilds them per head from the
// rows' logsumexp. Dropout's keep flags are dropoutKeep's, drawn where the composed path draws them.

import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { isAutocastEnabled } from '../amp/autocast.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, record } from './prim.js';
import { dropoutKeep, ones } from './creation.js';
import { where } from './elementwise.js';

/** Before making q, k, v from x (float32, on `x`'s device): whether the kernel could take L x S scores (autocast would make them float16). */
export function attentionAvailable(x: Tensor, L: number, S: number): boolean {
  const b = backendOf(x);
  return !!b.attention && !!b.attentionFits?.(L, S) && x.dtype === 'float32' && !isAutocastEnabled(x.device);
}

/** Whether attentionPrim can run q, k, v: 4-D float32 on one backend with the kernels, unit last strides, scores that fit. */
export function canFuseAttention(q: Tensor, k: Tensor, v: Tensor): boolean {
  const b = backendOf(q);
  if (!b.attention || !b.attentionBackward || !b.attentionFits) return false;
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4 || q.device !== k.device || q.device !== v.device) return false;
  if (q.dtype !== 'float32' || k.dtype !== 'float32' || v.dtype !== 'float32') return false;
  const [N, H, L, E] = q.shape as [number, number, number, number], [kn, kh, S, ke] = k.shape as [number, number, number, number];
  const [vn, vh, vs, Ev] = v.shape as [number, number, number, number];
  if (kn !== N || vn !== N || kh !== H || vh !== H || vs !== S || ke !== E || N * H * E * Ev === 0) return false;
  return [q, k, v].every((t) => t.strides_[3] === 1) && b.attentionFits(L, S);
}

/**
 * dropout(softmax(scale q k^T), dropoutP) v for heads (canFuseAttention said so): [N,H,L,Ev], a view
 * of an [N,L,H,Ev] buffer, so a batch-first module's [N, L, H*Ev] result is a free reshape. The keep
 * flags are drawn as the composed path's dropout draws them on the [N,H,L,S] weights (the same
 * random numbers, so the same result).
 */
export function attentionPrim(q: Tensor, k: Tensor, v: Tensor, scale: number, causal = false, dropoutP = 0): Tensor {
  const [N, H, L] = q.shape as [number, number, number], S = k.shape[2]!, Ev = v.shape[3]!;
  const out = empty([N, L, H, Ev], 'float32', q.device).permute([0, 2, 1, 3]);
  const lse = empty([N, H, L], 'float32', q.device);
  const keep = dropoutP > 0 ? dropoutKeep([N, H, L, S], dropoutP, q.device) : null;
  noGrad(() => backendOf(q).attention!(q.view_(), k.view_(), v.view_(), out.view_(), lse.view_(), scale, causal, keep?.view_() ?? null, keepScale(dropoutP)));
  return record('attention', keep ? [q, k, v, lse, keep] : [q, k, v, lse], out, { scale, causal, dropoutP });
}

/** The factor of dropout's kept elements, 1 / (1 - p) (1 without dropout). */
const keepScale = (p: number): number => (p > 0 ? 1 / (1 - p) : 1);

/** Scores [..., L, S] with key j > query i set to -inf (PyTorch's is_causal, top-left aligned), composed. */
export function maskCausal(s: Tensor): Tensor {
  const [L, S] = s.shape.slice(-2) as [number, number];
  return where(ones([L, S], { dtype: 'bool', device: s.device }).tril(), s, -Infinity);
}

/** The rule of 'attention': gradients of q, k, v (lse and keep get none). */
export function attentionBackward(g: Tensor, q: Tensor, k: Tensor, v: Tensor, lse: Tensor, keep: Tensor | null,
  attrs: { scale: number; causal: boolean; dropoutP: number }, needs: readonly boolean[]): (Tensor | null)[] {
  const { scale, causal, dropoutP } = attrs;
  if (isGradEnabled()) {
    // Under createGraph: the same math in differentiable ops, so higher orders see it.
    const s = q.matmul(k.transpose(-2, -1)).mul(scale);
    const p = (causal ? maskCausal(s) : s).softmax(-1);
    const drop = (t: Tensor) => (keep ? t.mul(keep.to('float32').mul(keepScale(dropoutP))) : t);
    const gp = drop(g.matmul(v.transpose(-2, -1)));
    const gs = p.mul(gp.sub(gp.mul(p).sum(-1, true))).mul(scale);
    return [needs[0] ? gs.matmul(k) : null, needs[1] ? gs.transpose(-2, -1).matmul(q) : null, needs[2] ? drop(p).transpose(-2, -1).matmul(g) : null, null, null];
  }
  const go = g.strides_[3] === 1 ? g : g.contiguous();
  const gq = empty(q.shape, 'float32', q.device), gk = empty(k.shape, 'float32', k.device), gv = empty(v.shape, 'float32', v.device);
  backendOf(q).attentionBackward!(q.view_(), k.view_(), v.view_(), go.view_(), lse.view_(), gq.view_(), gk.view_(), gv.view_(), scale, causal,
    keep?.view_() ?? null, keepScale(dropoutP));
  if (go !== g) go.dispose();
  const needed = (t: Tensor, i: number): Tensor | null => { if (needs[i]) return t; t.dispose(); return null; };
  return [needed(gq, 0), needed(gk, 1), needed(gv, 2), null, null];
}
