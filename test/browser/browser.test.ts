// The browser bundle in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
// a tiny static server on 127.0.0.1 serves dist/ and a test page that runs the shared
// forward+backward smoke workload on the CPU (wasm) backend and on WebGPU (SwiftShader's adapter,
// forced by --use-webgpu-adapter=swiftshader so it runs alike with or without a GPU); the numbers
// are checked here; and a threads page, plain (one thread) and cross-origin isolated (COOP/COEP: the
// CPU backend's worker pool), whose results must be bit-identical. Missing Chromium, or no WebGPU adapter in it: a failure when CI=true, a loud
// skip elsewhere (`apt-get install -y chromium`).

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from './chromium.js';
import { checkSmoke, ensureDist, root } from '../dist/ensure-dist.js';
import type { SmokeResult } from '../dist/smoke.mjs';
import type * as torch from '../../src/index.js';

const have = haveChromium;

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json' };
/** Only these URL prefixes are served, mapped onto the repository. */
const routes: Record<string, string> = { '/dist/': 'dist/', '/test/dist/': 'test/dist/', '/': 'test/browser/' };

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    const prefix = Object.keys(routes).find((p) => path.startsWith(p))!;
    const rel = normalize(routes[prefix] + path.slice(prefix.length));
    const file = join(root, rel);
    if (rel.startsWith('..') || !existsSync(file)) { res.writeHead(404).end(); return; }
    // ?isolated=1: the headers that make a page cross-origin isolated (SharedArrayBuffer, so threads).
    const isolation = url.searchParams.get('isolated') === '1'
      ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', ...isolation }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!have)(have ? 'browser bundle in headless Chromium' : 'browser bundle (SKIPPED: chromium not installed)', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    await ensureDist();
    server = await serve();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  /** Loads the test page for `device`; resolves to what the page published. */
  async function run(device: 'cpu' | 'webgpu'): Promise<{ noAdapter: string | null; device: string; adapter: string | null; result: SmokeResult }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/?device=${device}`);
    await page.waitForFunction('window.__torchletDone === true', undefined, { timeout: 120_000 });
    const error = await page.evaluate('window.__torchletError ?? null');
    expect(error, 'error thrown in the page').toBeNull();
    expect(errors).toEqual([]);
    const out = (await page.evaluate(
      '({ noAdapter: window.__torchletNoAdapter ?? null, device: window.__torchletDevice, adapter: window.__torchletAdapter, result: window.__torchletResult })',
    )) as { noAdapter: string | null; device: string; adapter: string | null; result: SmokeResult };
    await page.close();
    return out;
  }

  it('runs forward+backward on the CPU (wasm) backend', async () => {
    const r = await run('cpu');
    expect(r.device).toBe('cpu');
    checkSmoke(r.result);
  });

  interface ThreadsResult { crossOriginIsolated: boolean; info: torch.ParallelInfo; hash: number }
  async function threadsPage(isolated: boolean): Promise<ThreadsResult> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/threads.html${isolated ? '?isolated=1' : ''}`);
    await page.waitForFunction('window.__torchletDone === true', undefined, { timeout: 120_000 });
    expect(await page.evaluate('window.__torchletError ?? null'), 'error thrown in the page').toBeNull();
    expect(errors).toEqual([]);
    const out = (await page.evaluate('window.__torchletThreads')) as ThreadsResult;
    await page.close();
    return out;
  }

  it('CPU threads: a cross-origin isolated page uses workers, a plain page one thread, same bits', { timeout: 180_000 }, async () => {
    const plain = await threadsPage(false), isolated = await threadsPage(true);
    expect(plain.crossOriginIsolated).toBe(false);
    expect(plain.info).toMatchObject({ numThreads: 1, sharedMemory: false, workersReady: 0, workerCalls: 0 });
    expect(isolated.crossOriginIsolated).toBe(true);
    expect(isolated.info).toMatchObject({ numThreads: 3, sharedMemory: true, workersReady: 2 });
    expect(isolated.info.workerCalls).toBeGreaterThan(0);
    expect(isolated.info.kernels).toBe(plain.info.kernels);
    expect(isolated.hash, 'hash of the results\' bits').toBe(plain.hash);
  });

  it('runs forward+backward on WebGPU', { timeout: 180_000 }, async (ctx) => {
    const r = await run('webgpu');
    if (r.noAdapter) {
      const msg = `browser WebGPU: no adapter in headless Chromium (${r.noAdapter})`;
      if (process.env.CI === 'true') throw new Error(msg);
      console.warn(`SKIPPED: ${msg}`);
      ctx.skip();
    }
    expect(r.device).toBe('webgpu');
    expect(r.adapter).toMatch(/\S/);
    checkSmoke(r.result, true);
  });
});
