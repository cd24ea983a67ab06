// npm run build:distributed: compiles native-distributed/src/torchlet_gloo.cc into
// native-distributed/build/torchlet_gloo.node with g++ directly (no node-gyp: no header download).
// Needs Node's headers (/usr/include/node, or NODE_INCLUDE) and Debian's libgloo-dev.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native-distributed/src/torchlet_gloo.cc');
const outDir = join(root, 'native-distributed/build');
const out = join(outDir, 'torchlet_gloo.node');
const nodeInclude = process.env.NODE_INCLUDE ?? [join(dirname(process.execPath), '../include/node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
if (!nodeInclude) throw new Error('build:distributed: node_api.h not found (set NODE_INCLUDE to the folder holding Node\'s headers)');
if (!existsSync('/usr/include/gloo/allreduce.h') && !process.env.GLOO_INCLUDE) {
  throw new Error('build:distributed: Gloo headers not found: apt-get install libgloo-dev (or set GLOO_INCLUDE / GLOO_LIB)');
}
mkdirSync(outDir, { recursive: true });
const args = [
  '-std=c++17', '-O2', '-shared', '-fPIC', '-Wall', '-Wno-unused-function',
  '-DNODE_GYP_MODULE_NAME=torchlet_gloo', '-DNAPI_VERSION=8',
  `-I${nodeInclude}`, ...(process.env.GLOO_INCLUDE ? [`-I${process.env.GLOO_INCLUDE}`] : []),
  src, '-o', out,
  ...(process.env.GLOO_LIB ? [`-L${process.env.GLOO_LIB}`] : []), '-lgloo', '-pthread',
];
console.log(`g++ ${args.join(' ')}`);
execFileSync(process.env.CXX ?? 'g++', args, { stdio: 'inherit' });
console.log(`built ${out}`);
