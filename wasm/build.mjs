// Builds the AssemblyScript kernels (wasm/*.ts, entry wasm/index.ts; see wasm/README.md) four times —
// SIMD128 and relaxed-SIMD (FMA), each against a plain and a shared (threads) memory — and writes
// src/backends/wasm/generated/kernels.ts, which embeds the binaries as base64 so the library needs
// no file access at run time (browsers, Deno, Bun).
// Run with `npm run build:wasm`; the output directory is git-ignored.

import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'src', 'backends', 'wasm', 'generated');

// The module imports the backend's memory (env.memory). It keeps no heap (stub runtime, kernels never
// allocate) and its static data must stay below HEAP_BASE (1 MiB) of src/backends/wasm/index.ts:
// --memoryBase 1024 puts the few constants above address 0 and build() checks the end.
const common = [join(here, 'index.ts'), '-O3', '--runtime', 'stub', '--importMemory', '--noAssert',
  '--use', 'abort=', '--memoryBase', '1024', '--initialMemory', '1', '--enable', 'simd'];

async function build(extra) {
  const { default: asc } = await import('assemblyscript/asc'); // loaded only when there is work (~1 s)
  let binary = null;
  const { error, stderr } = await asc.main([...common, ...extra, '--outFile', 'kernels.wasm'], {
    writeFile(name, contents) { if (name.endsWith('.wasm')) binary = contents; },
  });
  if (error) { console.error(stderr.toString()); throw error; }
  if (!binary) throw new Error('wasm build: asc produced no binary');
  return Buffer.from(binary);
}

/** Unsigned LEB128 at bin[p]: [value, next position]. */
function leb(bin, p) {
  let v = 0, shift = 0, b;
  do { b = bin[p++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [v, p];
}
function encLeb(v) {
  const out = [];
  do { let b = v % 128; v = Math.floor(v / 128); if (v) b |= 0x80; out.push(b); } while (v);
  return out;
}

/**
 * The shared-memory build of a binary: the same module whose memory import is declared shared with a
 * maximum of 65536 pages (4 GiB), as the thread pool's memory is. The kernels use no atomics, so this
 * is all `asc --enable threads --sharedMemory --maximumMemory 65536` changes (checked byte for byte
 * when this was written): patching the import saves two of the four compiles.
 */
function shareMemory(bin) {
  let p = 8;
  while (p < bin.length) {
    const id = bin[p];
    const [size, body] = leb(bin, p + 1);
    if (id === 2) {
      let q = body;
      const [count, q0] = leb(bin, q); q = q0;
      for (let i = 0; i < count; i++) {
        for (let k = 0; k < 2; k++) { const [len, q1] = leb(bin, q); q = q1 + len; } // module and field names
        const kind = bin[q++];
        // A function import (the GEMM's epilogue callback): its type index, then the next import.
        if (kind === 0) { q = leb(bin, q)[1]; continue; }
        if (kind !== 2) throw new Error('wasm build: the kernels import only their memory and functions');
        const flags = bin[q];
        const [min, q2] = leb(bin, q + 1);
        const end = flags & 1 ? leb(bin, q2)[1] : q2;
        const limits = [0x03, ...encLeb(min), ...encLeb(65536)];
        const section = [...bin.subarray(body, q), ...limits, ...bin.subarray(end, body + size)];
        return Buffer.concat([bin.subarray(0, p), Buffer.from([2, ...encLeb(section.length), ...section]), bin.subarray(body + size)]);
      }
    }
    p = body + size;
  }
  throw new Error('wasm build: no memory import found');
}

/** Sizes of the binary's sections by id (11 = data), to check the static-data budget. */
function sectionSizes(bin) {
  const sizes = new Map();
  let p = 8;
  while (p < bin.length) {
    const id = bin[p];
    const [size, body] = leb(bin, p + 1);
    sizes.set(id, (sizes.get(id) ?? 0) + size);
    p = body + size;
  }
  return sizes;
}

// Up to date (newer than every kernel source and this script): nothing to do. `npm start`, `npm test`
// and `npm run bench` all run this first, and a build costs seconds.
const outFile = join(outDir, 'kernels.ts');
const inputs = [...readdirSync(here).filter((f) => f.endsWith('.ts')).map((f) => join(here, f)), fileURLToPath(import.meta.url)];
if (existsSync(outFile) && inputs.every((f) => statSync(f).mtimeMs <= statSync(outFile).mtimeMs)) {
  console.log('wasm: kernels up to date');
  process.exit(0);
}

const simd = await build([]);
const relaxed = await build(['--enable', 'relaxed-simd']);
const simdShared = shareMemory(simd);
const relaxedShared = shareMemory(relaxed);
for (const bin of [simd, relaxed, simdShared, relaxedShared]) {
  // Data lives at --memoryBase 1024; everything must end well below HEAP_BASE (1 MiB).
  const data = sectionSizes(bin).get(11) ?? 0;
  if (1024 + data > 512 * 1024) throw new Error(`wasm build: static data (${data} bytes) too close to HEAP_BASE`);
}
mkdirSync(outDir, { recursive: true });
writeFileSync(outFile, `// GENERATED by wasm/build.mjs from wasm/*.ts — do not edit.
// The CPU backend's AssemblyScript kernels as base64: SIMD128 and relaxed-SIMD (FMA) builds, each for
// a plain memory and for a shared one (threads).
export const SIMD128_WASM = '${simd.toString('base64')}';
export const RELAXED_SIMD_WASM = '${relaxed.toString('base64')}';
export const SIMD128_SHARED_WASM = '${simdShared.toString('base64')}';
export const RELAXED_SIMD_SHARED_WASM = '${relaxedShared.toString('base64')}';
`);
console.log(`wasm: kernels built (simd128 ${simd.length} bytes, relaxed ${relaxed.length} bytes; shared builds alike)`);
