// Builds dist/ from src/torchlet.ts (src/index.ts plus a default export); run `npm run build`, which
// first generates the embedded wasm kernels:
//   dist/torchlet.js          ESM for Node, Deno, Bun and bundlers (runtime-specific adapters stay lazy imports)
//   dist/torchlet.browser.js  one self-contained ESM file for a <script type="module"> (no imports at all)
//   dist/torchlet.d.ts        one declaration file for the whole public API
// The build uses tsconfig.build.json (src/ only). Node's types stay visible because lazy adapters
// (`await import('node:fs')` behind a runtime check) need them; portability is enforced instead by
// scripts/check-dist.mjs (no static imports) and by running the bundles in Deno and Chromium.

import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { transform } from 'esbuild';

// Modules that only exist on some runtimes. The core reaches them only through lazy `import()` in small
// adapters that catch failure, so the Node build leaves them external. Both outputs inline the
// library's own dynamic imports (e.g. the WebGPU backend), so each output is one file.
const runtimeOnly = (id) => id.startsWith('node:') || id === 'webgpu';

// In the browser bundle those lazy imports become promises rejected with a clear error, so the file
// names no module (browser bundlers need not resolve `node:*`) and adapters see "not available"
// exactly as on a failed import. (Inlining a throwing stub module instead would run it at load.)
// The CUDA backend (an N-API addon's driver) is stubbed the same way: no browser can load it, and
// leaving it out keeps the bundle within its budget; the registry then reports CUDA unavailable.
// torch.distributed's native side (the Gloo and NCCL addons, the TCP store) becomes
// src/distributed/browser.ts, which reports it unavailable.
const CUDA_BACKEND = 'torchlet:cuda-backend';
const DISTRIBUTED_NATIVE = /\/distributed\/(nccl|nccl-ops|cuda-access|engine|store)\.ts$/;
function browserStubs() {
  return {
    name: 'torchlet-browser-stubs',
    resolveId(id, importer) {
      if (runtimeOnly(id)) return { id, external: true };
      if (id === './cuda/index.js' && importer?.endsWith('/backends/registry.ts')) return { id: CUDA_BACKEND, external: true };
      return null;
    },
    load(id) {
      return DISTRIBUTED_NATIVE.test(id) ? "export * from './browser.js';" : null;
    },
    renderDynamicImport({ targetModuleId }) {
      if (!targetModuleId || !(runtimeOnly(targetModuleId) || targetModuleId === CUDA_BACKEND)) return null;
      return { left: 'Promise.reject(new Error("torchlet: this module is not available in the browser build: " + ', right: '))' };
    },
  };
}

// The strict-argument facades (src/generated/api/) export each class as a checked value plus a type
// alias of the same name; rollup-plugin-dts keeps only the alias when it writes a namespace member
// (`type optim_SGD = SGD;`), so `new torch.optim.SGD(...)` would not type-check. Restore the value.
function dtsNamespaceValues() {
  return {
    name: 'torchlet-dts-namespace-values',
    renderChunk(code) {
      const values = new Set([...code.matchAll(/^declare const (\w+):/gm)].map((m) => m[1]));
      code = code.replace(/^type (\w+?)_(\w+)(<(?:(?!\n(?:type|declare) )[\s\S])*?>)? = (\w+)(<[^\n]*>)?;$/gm, (line, ns, name, _tp, target) => {
        if (!values.has(target) || values.has(`${ns}_${name}`)) return line;
        values.add(`${ns}_${name}`);
        return `${line}\ndeclare const ${ns}_${name}: typeof ${target};`;
      });
      // ...and move those names from the namespace's `export type { }` to a value export.
      return code.replace(/^( *)export type \{ ([^}]*) \};$/gm, (line, indent, list) => {
        const items = list.split(', ');
        const both = items.filter((it) => values.has(it.split(' as ')[0]));
        if (!both.length) return line;
        const rest = items.filter((it) => !both.includes(it));
        return `${indent}export { ${both.join(', ')} };${rest.length ? `\n${indent}export type { ${rest.join(', ')} };` : ''}`;
      });
    },
  };
}

// The browser bundle is loaded over the network: comments and indentation go, esbuild's syntax
// minification (shorter forms, folded constants) runs and local identifiers are shortened, with
// keepNames, so every function's and class's .name (error messages, reprs, `Module [Net]`) reads the
// same. Property names are untouched. dist/torchlet.browser.js.map maps back to the sources.
function stripComments() {
  return {
    name: 'torchlet-strip-comments',
    async renderChunk(code) {
      const r = await transform(code, { loader: 'js', format: 'esm', target: 'es2022', minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: true, keepNames: true, legalComments: 'none', sourcemap: true });
      return { code: r.code, map: r.map };
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
    output: { file: 'dist/torchlet.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    onwarn,
  },
  {
    input: 'src/torchlet.ts',
    plugins: [browserStubs(), ts(), stripComments()],
    output: { file: 'dist/torchlet.browser.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    onwarn,
  },
  {
    input: 'src/torchlet.ts',
    plugins: [dts({ tsconfig: './tsconfig.build.json', compilerOptions: { declaration: true, sourceMap: false } }), dtsNamespaceValues()],
    output: { file: 'dist/torchlet.d.ts', format: 'es' },
    onwarn,
  },
];
