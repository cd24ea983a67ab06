// PyTorch-like printing of tensors, following torch/_tensor_str.py: one formatter for the whole
// tensor (fixed 4 decimals, integer mode "1.", or scientific when the nonzero finite values span
// more than 1e3 or reach 1e8 / go below 1e-4), 80-column line wrapping of the last dim, summary
// with "..." and 3 edge items above 1000 elements, and dtype/device/grad suffixes.

import type { Tensor } from './tensor.js';
import type { TypedArray } from './dtype.js';
import { state } from './state.js';

const PRECISION = 4, THRESHOLD = 1000, EDGE = 3, LINEWIDTH = 80;

/** Python's '{:.4e}': at least two exponent digits. */
function sci(v: number): string { return v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2'); }

interface Formatter { width: number; format(v: number): string }

function makeFormatter(t: Tensor, vals: number[], float = t.isFloatingPoint()): Formatter {
  if (t.dtype === 'bool') {
    const width = vals.some((v) => !v) ? 5 : 4;
    return { width, format: (v) => (v ? 'True' : 'False').padStart(width) };
  }
  if (!float) {
    const width = vals.reduce((m, v) => Math.max(m, String(v).length), 1);
    return { width, format: (v) => String(v).padStart(width) };
  }
  const nz = vals.filter((v) => Number.isFinite(v) && v !== 0);
  let intMode = true, sciMode = false, width = 1;
  if (nz.length > 0) {
    const abs = nz.map(Math.abs);
    const mx = Math.max(...abs), mn = Math.min(...abs);
    intMode = nz.every((v) => v === Math.ceil(v));
    if (intMode) {
      sciMode = mx / mn > 1000 || mx > 1e8;
      for (const v of nz) width = Math.max(width, sciMode ? sci(v).length : v.toFixed(0).length + 1);
    } else {
      sciMode = mx / mn > 1000 || mx > 1e8 || mn < 1e-4;
      for (const v of nz) width = Math.max(width, sciMode ? sci(v).length : v.toFixed(PRECISION).length);
    }
  }
  const format = (v: number): string => {
    let s: string;
    if (Number.isNaN(v)) s = 'nan';
    else if (!Number.isFinite(v)) s = v > 0 ? 'inf' : '-inf';
    else if (sciMode) s = sci(v);
    else if (intMode) s = `${Object.is(v, -0) ? '-0' : v.toFixed(0)}.`;
    else s = v.toFixed(PRECISION);
    return s.padStart(width);
  };
  return { width, format };
}

/** Index lists per dim: every index, or the 3 first, a gap (-1) and the 3 last when summarizing. */
function shownIndices(n: number, summarize: boolean): number[] {
  if (summarize && n > 2 * EDGE) return [0, 1, 2, -1, n - 3, n - 2, n - 1];
  return [...Array(n).keys()];
}

export function formatTensor(t: Tensor, data: TypedArray): string {
  const shape = t.shape, nd = shape.length;
  const summarize = t.numel() > THRESHOLD;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // Complex data holds (re, im) pairs: element `off` is data[2 off], data[2 off + 1].
  const cplx = t.dtype === 'complex64' || t.dtype === 'complex128';
  const value = (off: number): number => Number(data[cplx ? 2 * off : off]);
  const imagOf = (off: number): number => Number(data[2 * off + 1]);

  // The formatter sees only the values that will be printed, as PyTorch's does.
  const shown: number[] = [], shownIm: number[] = [];
  const collect = (d: number, off: number): void => {
    if (d === nd) { shown.push(value(off)); if (cplx) shownIm.push(imagOf(off)); return; }
    for (const i of shownIndices(shape[d]!, summarize)) if (i >= 0) collect(d + 1, off + i * strides[d]!);
  };
  if (t.numel() > 0) collect(0, 0);
  const fr = makeFormatter(t, shown, cplx || undefined);
  // Complex: PyTorch formats real and imaginary parts with their own formatters, as 'a+bj'.
  const fi = cplx ? makeFormatter(t, shownIm, true) : null;
  const f: Formatter & { at(off: number): string } = fi === null
    ? { ...fr, at: (off) => fr.format(value(off)) }
    : {
      width: fr.width + fi.width + 2, format: fr.format,
      at: (off) => {
        const im = `${fi.format(imagOf(off))}j`.trimStart(); // not padded, as PyTorch
        return fr.format(value(off)) + (im.startsWith('-') ? im : `+${im}`);
      },
    };

  const vector = (off: number, indent: number): string => {
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (f.width + 2)));
    const items = shownIndices(shape[nd - 1]!, summarize).map((i) => (i < 0 ? ' ...' : f.at(off + i * strides[nd - 1]!)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(',\n' + ' '.repeat(indent + 1))}]`;
  };
  const render = (d: number, off: number, indent: number): string => {
    if (d === nd - 1) return vector(off, indent);
    const parts = shownIndices(shape[d]!, summarize).map((i) => (i < 0 ? '...' : render(d + 1, off + i * strides[d]!, indent + 1)));
    return `[${parts.join(',' + '\n'.repeat(nd - d - 1) + ' '.repeat(indent + 1))}]`;
  };

  let body: string;
  const extras: string[] = [];
  if (t.numel() === 0) {
    body = '[]';
    if (nd !== 1) extras.push(`size=(${shape.join(', ')}${nd === 1 ? ',' : ''})`);
  } else body = nd === 0 ? f.at(0).trimStart() : render(0, 0, 'tensor('.length);
  // Default dtypes are not printed: the default float, int32 (our index/integer default) and bool.
  // (complex: the one whose parts are the default float, as PyTorch's default complex dtype)
  const defaultComplex = state.defaultDtype === 'float64' ? 'complex128' : 'complex64';
  if (t.dtype !== state.defaultDtype && t.dtype !== defaultComplex && t.dtype !== 'int32' && t.dtype !== 'bool') extras.push(`dtype=torch.${t.dtype}`);
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  if (t.gradFn) extras.push(`grad_fn=<${t.gradFn.name}Backward>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
