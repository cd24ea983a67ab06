// The web demo's server (`npm run demo [-- --port N]`): a small static server for examples/web/,
// dist/ (the browser bundle; built first when missing), the embedded Fashion-MNIST files and uPlot,
// sending COOP/COEP on every response so the page is cross-origin isolated (CPU threads work).
// `startDemoServer({ port })` is exported for test/browser/demo.test.ts (port 0: any free port).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/** URL prefix -> folder of the repository (the first matching prefix wins). */
const routes = [
  ['/dist/', 'dist/'],
  ['/data/', 'data/fashion-mnist/'],
  ['/uplot/', 'node_modules/uplot/dist/'],
  ['/', 'examples/web/'],
];
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.map': 'application/json', '.gz': 'application/octet-stream', '.svg': 'image/svg+xml',
};
const isolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** Starts the server on 127.0.0.1; resolves to it, its port and its URL. */
export async function startDemoServer({ port = 8080, host = '127.0.0.1' } = {}) {
  if (!existsSync(join(root, 'dist', 'torchlet.browser.js'))) {
    console.log('dist/torchlet.browser.js is missing: running `npm run build` first');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const [prefix, dir] = routes.find(([p]) => path.startsWith(p));
    const rel = normalize(dir + decodeURIComponent(path.slice(prefix.length) || 'index.html'));
    const file = join(root, rel);
    if (!rel.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, isolation).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...isolation });
    res.end(readFileSync(file));
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  const actual = server.address().port;
  return { server, port: actual, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}/` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port needs a port number (got '${process.argv[i + 1]}')`);
  const { url } = await startDemoServer({ port });
  console.log(`torchlet web demo: ${url}`);
}
