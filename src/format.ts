// PyTorch-like printing of tensors: tensor([[1.0000, 2.0000], ...], dtype=..., device=...).

import type { Tensor } from './tensor.js';
import type { TypedArray } from './dtype.js';

export function formatTensor(t: Tensor, data: TypedArray): string {
  const isFloat = t.isFloatingPoint();
  const vals = Array.from(data, (v) => v);
  const finite = vals.filter((v) => Number.isFinite(v));
  const intLike = finite.every((v) => Number.isInteger(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const sci = isFloat && finite.length > 0 && (maxAbs >= 1e8 || (maxAbs > 0 && finite.some((v) => v !== 0 && Math.abs(v) < 1e-4)));
  const fmt = (v: number): string => {
    if (t.dtype === 'bool') return v ? 'True' : 'False';
    if (!isFloat) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (sci) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return intLike ? `${v.toFixed(0)}.` : v.toFixed(4);
  };
  const strs = vals.map(fmt);
  const width = strs.reduce((m, s) => Math.max(m, s.length), 0);
  const summarize = t.numel() > 1000;
  const build = (dim: number, off: number, indent: string): string => {
    if (dim === t.ndim) return strs[off]!.padStart(width);
    const n = t.shape[dim]!;
    const step = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    let idx = [...Array(n).keys()];
    if (summarize && n > 6) idx = [0, 1, 2, -1, n - 3, n - 2, n - 1];
    const parts = idx.map((i) => (i < 0 ? '...' : build(dim + 1, off + i * step, indent + ' ')));
    const sep = dim === t.ndim - 1 ? ', ' : ',' + '\n'.repeat(t.ndim - dim - 1) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  const body = t.ndim === 0 ? fmt(vals[0] ?? 0) : build(0, 0, '       ');
  const extras: string[] = [];
  if (t.numel() === 0) extras.push(`size=(${t.shape.join(', ')})`);
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') extras.push(`dtype=torch.${t.dtype}`);
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.gradFn) extras.push(`grad_fn=<${t.gradFn.name}Backward>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
