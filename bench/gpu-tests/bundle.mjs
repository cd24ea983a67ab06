// Bundles test suites for the GPU machine, where node_modules (vitest, tsx) cannot travel:
//   node bench/gpu-tests/bundle.mjs [dirs or files...]   (default: test/ops test/autograd test/nn test/cuda)
// writes .gpu-tests/ (git-ignored; carried by bench/gpu.sh's call): one ESM file per test file, with
// vitest replaced by bench/gpu-tests/vitest-shim.mjs and torchlet imported from ../dist/torchlet.js
// (the built package, so `npm run build` first). A test file that imports src/ internals would get a
// second copy of the library: it is left out, and listed. import.meta.url keeps naming the test's own
// source path (fixtures are read relative to it). .gpu-tests/manifest.json lists the bundles. Also
// bench/memory-loop.ts as .gpu-tests/bench__memory-loop.mjs (args: device steps [cnn|mlp]).
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, '.gpu-tests');
const shim = join(root, 'bench/gpu-tests/vitest-shim.mjs');
const srcIndex = join(root, 'src/index.ts');
const args = process.argv.slice(2);
const roots = args.length ? args : ['test/ops', 'test/autograd', 'test/nn', 'test/cuda'];

const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n));
  else if (p.endsWith('.test.ts')) files.push(p);
};
for (const r of roots) walk(join(root, r));

// Imports of src/ other than src/index: such a file cannot share dist's single library instance.
const internal = (f) => [...readFileSync(f, 'utf8').matchAll(/^import (?!type )[^;]*from '([^']*\/src\/[^']*)'/gm)]
  .map((m) => m[1]).filter((s) => !/\/src\/index\.js$/.test(s));
const kept = [], left = [];
for (const f of files) (internal(f).length ? left : kept).push(f);

const names = new Map(kept.map((f) => [f, relative(root, f).replace(/\.test\.ts$/, '').replace(/[/\\]/g, '__')]));
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { ...Object.fromEntries(kept.map((f) => [names.get(f), `entry:${f}`])), 'bench__memory-loop': 'bench:memory-loop' },
  outdir: out, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
  outExtension: { '.js': '.mjs' }, chunkNames: '_chunk-[hash]', logLevel: 'warning',
  ignoreAnnotations: true, // the package's "sideEffects": false would drop the test files themselves
  sourcemap: 'linked', // stacks name the test sources (run.mjs passes --enable-source-maps; anomaly tests check call sites)
  banner: { js: "globalThis.__torchletRoot ??= new URL('../', import.meta.url).href;" },
  plugins: [{
    name: 'gpu-tests',
    setup(b) {
      b.onResolve({ filter: /^entry:/ }, (a) => ({ path: a.path.slice(6), namespace: 'entry' }));
      b.onLoad({ filter: /.*/, namespace: 'entry' }, (a) => ({
        resolveDir: root, loader: 'js',
        contents: `import ${JSON.stringify(a.path)};\nimport { __runRegisteredTests } from 'vitest';\nawait __runRegisteredTests(${JSON.stringify(relative(root, a.path))});\n`,
      }));
      // the no-tidy memory loop (bench/memory-loop.ts): node .gpu-tests/bench__memory-loop.mjs DEVICE STEPS [cnn|mlp]
      b.onResolve({ filter: /^bench:memory-loop$/ }, (a) => ({ path: a.path, namespace: 'entry-bench' }));
      b.onLoad({ filter: /.*/, namespace: 'entry-bench' }, () => ({
        resolveDir: root, loader: 'js',
        contents: `import { benchMemoryLoop } from './bench/memory-loop.ts';\nconst [d = 'cpu', n = '300', m = 'cnn'] = process.argv.slice(2);\nawait benchMemoryLoop(d, Number(n), m);\nprocess.exit(0);\n`,
      }));
      b.onResolve({ filter: /^vitest$/ }, () => ({ path: shim }));
      b.onResolve({ filter: /src\/index\.js$/ }, (a) => {
        if (resolve(a.resolveDir, a.path.replace(/\.js$/, '.ts')) !== srcIndex) return undefined;
        return { path: '../dist/torchlet.js', external: true };
      });
      // test, bench and example sources: import.meta.url names the source file, as under vitest and tsx
      b.onLoad({ filter: /[/\\](test|bench|examples)[/\\].*\.ts$/ }, (a) => ({
        loader: 'ts',
        contents: readFileSync(a.path, 'utf8').replaceAll('import.meta.url', `new URL(${JSON.stringify(relative(root, a.path))}, globalThis.__torchletRoot).href`),
      }));
    },
  }],
});
// torch.compile vs eager (bench/compile.ts, issue #10's WebGPU figure) counts kernels on torchlet's
// internal registry, so it is bundled whole from src/ (not over dist/):
//   node .gpu-tests/bench__compile.mjs --device webgpu --steps 5
await build({
  stdin: { contents: "import { benchCompile } from './bench/compile.ts';\nawait benchCompile(process.argv.slice(2));\nprocess.exit(0);\n", resolveDir: root, loader: 'ts' },
  outfile: join(out, 'bench__compile.mjs'), bundle: true, format: 'esm', platform: 'node', target: 'node20',
  external: ['webgpu'], logLevel: 'warning',
  // createRequire-based loaders (the Gloo/CUDA addons) need require in ESM
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
writeFileSync(join(out, 'manifest.json'), JSON.stringify({ bundles: kept.map((f) => ({ file: relative(root, f), bundle: `${names.get(f)}.mjs` })), leftOut: left.map((f) => relative(root, f)) }, null, 1));
console.log(`gpu-tests: ${kept.length} test files bundled into ${relative(root, out)}/`);
if (left.length) console.log(`gpu-tests: left out (they import src/ internals): ${left.map((f) => relative(root, f)).join(', ')}`);
