// The public graph-capture and compile API: torch.compile and the torch.compiler namespace.
// Everything here builds on the one capture mechanism of src/compile/capture.ts.

export { compile, reset, setLogs, captureGraph, isCompiling } from './api.js';
export type { CompileOptions, CompileInfo } from './compile.js';
export type { LogOptions } from './logs.js';
export type { CapturedGraph, CapturedNode, CapturedComposite } from './api.js';
