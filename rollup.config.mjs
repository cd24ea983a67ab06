// Builds dist/ from src/torchlet.ts (src/index.ts plus a default export); run `npm run build`, which
// first generates the embedded wasm kernels:
//   dist/torchlet.js          ESM for Node, Deno, Bun and bundlers (runtime-specific adapters stay lazy imports)
//   dist/torchlet.browser.js  one self-contained ESM file for a <script type="module"> (no imports at all)
//   dist/torchlet.d.ts        one declaration file for the whole public API
// The build uses tsconfig.build.json, which compiles src/ without Node's types, so Node-only APIs in
// the core fail the build instead of failing later in a browser.

import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

// Modules that only exist on some runtimes. The core reaches them only through lazy `import()` in small
// adapters that catch failure, so the Node build leaves them external.
const runtimeOnly = (id) => id.startsWith('node:') || id === 'webgpu';

// In the browser bundle the same lazy imports resolve to a module that throws when loaded, so the
// file imports nothing and the adapters see "not available" exactly as they would on a failed import.
function browserStubs() {
  const prefix = '\0torchlet-unavailable:';
  return {
    name: 'torchlet-browser-stubs',
    resolveId(id) { return runtimeOnly(id) ? prefix + id : null; },
    load(id) {
      if (!id.startsWith(prefix)) return null;
      const name = id.slice(prefix.length);
      return `throw new Error(${JSON.stringify(`torchlet: '${name}' is not available in the browser build`)});\n`;
    },
  };
}

const ts = () => typescript({ tsconfig: './tsconfig.build.json', noEmitOnError: true });
const onwarn = (warning, warn) => {
  // A circular import between ops/ and tensor.ts is intended (methods delegate to ops); other warnings fail.
  if (warning.code === 'CIRCULAR_DEPENDENCY') return;
  throw new Error(`rollup: ${warning.message}`);
};

export default [
  {
    input: 'src/torchlet.ts',
    external: runtimeOnly,
    plugins: [ts()],
    output: { file: 'dist/torchlet.js', format: 'es', sourcemap: true },
    onwarn,
  },
  {
    input: 'src/torchlet.ts',
    plugins: [browserStubs(), ts()],
    output: { file: 'dist/torchlet.browser.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    onwarn,
  },
  {
    input: 'src/torchlet.ts',
    plugins: [dts({ tsconfig: './tsconfig.build.json', compilerOptions: { declaration: true, sourceMap: false } })],
    output: { file: 'dist/torchlet.d.ts', format: 'es' },
    onwarn,
  },
];
