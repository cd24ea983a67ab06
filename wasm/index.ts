// Entry of the CPU backend's AssemblyScript module: re-exports every kernel family.
// Built by wasm/build.mjs (SIMD128 and relaxed-SIMD variants) against the backend's imported memory.
export * from './gemm';
export * from './elementwise';
export * from './reduce';
export * from './copy';
export * from './conv';
export * from './indexing';
export * from './random';
export * from './optim';
export * from './winograd';
export * from './attention';
