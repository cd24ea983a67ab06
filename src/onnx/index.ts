// torch.onnx: export(model, args, f?, opts) writes an ONNX model (opset 17) of a traced forward.
// Hand-wrapped with the strict-argument checks (src/args.ts): `export` is a reserved word that the
// generated facades (scripts/gen-signatures.mjs) cannot declare as a constant.

import { strictFunction } from '../args.js';
import { onnxExport } from './export.js';

export type { OnnxExportOptions } from './export.js';
export { OnnxExportError } from './context.js';

const exportChecked: typeof onnxExport = strictFunction(onnxExport, 'onnx.export',
  'model:if, args:Ta, f?:szu, opts?:u{inputNames:au;outputNames:au;dynamicAxes:ou;opsetVersion:nu;exportParams:bu;doConstantFolding:bu}');

export {
  /**
   * Exports a model to ONNX (opset 17), as torch.onnx.export: `model.forward(...args)` is traced in
   * eval mode; ops and built-in modules map to ONNX nodes, parameters become initializers,
   * `dynamicAxes` become dim_params. Writes `f` when given (Node, Deno, Bun) and resolves to the bytes.
   * An op with no ONNX mapping is an error naming the op and the opset.
   * @example
   * ```ts
   * const bytes = await torch.onnx.export(model, [x], 'model.onnx', { inputNames: ['x'], dynamicAxes: { x: { 0: 'batch' } } });
   * ```
   */
  exportChecked as export,
};
