// Fused kernels for backward rules: where no graph is being built (backward without createGraph), a
// rule's elementwise chain runs as one Backend.fused kernel instead of a kernel per op, as PyTorch's
// dedicated backward kernels do (threshold_backward). The composed ops run otherwise (createGraph,
// so higher orders see them; torch.compile's capture, whose Recorder has no `fused` and whose
// compiler fuses the chain itself; backends without `fused`), and the fused kernel gives their bits.

import { isGradEnabled } from './grad-mode.js';
import type { FusedProgram } from '../backends/fused.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty } from '../ops/prim.js';
import { where } from '../ops/elementwise.js';

const programs = new Map<string, FusedProgram>();

/** where(out <= 0, 0, g) (ReLU's gradient from its output) over inputs (out, g). */
function thresholdProgram(outDtype: DType, gDtype: DType): FusedProgram {
  const key = `${outDtype}>${gDtype}`;
  let p = programs.get(key);
  if (!p) {
    p = {
      inputs: [outDtype, gDtype],
      steps: [
        { kind: 'const', value: 0, dtype: outDtype }, // 2
        { kind: 'binary', op: 'le', a: 0, b: 2, dtype: 'bool' }, // 3: out <= 0
        { kind: 'const', value: 0, dtype: gDtype }, // 4
        { kind: 'where', cond: 3, a: 4, b: 1, dtype: gDtype }, // 5
      ],
      outputs: [5],
    };
    programs.set(key, p);
  }
  return p;
}

/** ReLU's gradient: 0 where out <= 0, else g (PyTorch's threshold_backward), in one kernel when it can. */
export function thresholdBackward(out: Tensor, g: Tensor): Tensor {
  const b = backendOf(g);
  if (!isGradEnabled() && b.fused && out.device === g.device && out.dtype === g.dtype && (g.dtype === 'float32' || g.dtype === 'float16')
    && out.shape.length === g.shape.length && out.shape.every((d, i) => d === g.shape[i])) {
    const r = empty(out.shape, g.dtype, g.device);
    if (r.numel() === 0 || b.fused(thresholdProgram(out.dtype, g.dtype), [out.view_(), g.view_()], [r.view_()])) return r;
    r.dispose();
  }
  return where(out.le(0), 0, g);
}
