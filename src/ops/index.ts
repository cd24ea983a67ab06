// Every op function, re-exported in one namespace (used by Tensor methods and torch.*).
export * from './creation.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './indexing.js';
export * from './linalg.js';
export { unslice } from './shape.js';
export type * from './types.js';
export * from './special.js';
export * from './matrix.js';
export * from './search.js';
export * from './extra.js';
