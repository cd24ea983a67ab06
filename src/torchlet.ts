// The package entry that rollup bundles into dist/: every public name of ./index.ts, plus the same
// namespace as the default export, so both `import * as torch from 'torchlet'` and
// `import torch from 'torchlet'` work. Kept apart from index.ts because a module cannot import itself.
import * as torch from './index.js';

export * from './index.js';
export default torch;
