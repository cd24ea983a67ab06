// The web demo (examples/web, `npm run demo`) in headless Chromium: the server started as `npm run
// demo` runs it (port 0), the page trains on a subset on the CPU backend (the only WebGPU adapter
// here is SwiftShader, a software one the page must not pick), with threads, to >= 70% test accuracy,
// charts it, round-trips a checkpoint; then on a phone-sized touch screen: no horizontal scroll, and
// a finger stroke on the canvas gives 10 class probabilities. Missing Chromium: fails when CI=true,
// a loud skip elsewhere.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { devices, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium } from './chromium.js';
import { ensureDist, root } from '../dist/ensure-dist.js';

const have = haveChromium;
/** Enough for >= 70% test accuracy in a few seconds of CPU training (first 3000 train / 2000 test images). */
const QUERY = '?limit=3000&epochs=3';

/** Starts `node scripts/demo-server.mjs --port 0`; resolves to the child and the URL it prints. */
function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, 'scripts', 'demo-server.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /torchlet web demo: (http:\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`demo server exited (${code}): ${out}`)));
  });
}

/** Opens the demo with a listener collecting page errors. */
async function open(page: Page, url: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('[data-testid=train]:not([disabled])', { timeout: 60_000 });
  return errors;
}

describe.skipIf(!have)(have ? 'web demo in headless Chromium' : 'web demo (SKIPPED: chromium not installed)', () => {
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  let checkpoint: { name: string; mimeType: string; buffer: Buffer }; // the downloaded safetensors file
  beforeAll(async () => {
    await ensureDist();
    server = await startServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    server?.child.kill();
  });

  it('trains to >= 70% on the CPU with threads, charts it, saves and reloads the checkpoint', { timeout: 180_000 }, async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors = await open(page, server.url + QUERY);
    const t0 = Date.now();
    await page.click('[data-testid=train]');
    await page.waitForSelector('body[data-state=done]', { timeout: 150_000 });
        const acc = (await page.textContent('[data-testid=accuracy]'))!;
    console.log(`demo: trained in ${((Date.now() - t0) / 1000).toFixed(1)} s to ${acc}; ${await page.textContent('#status')}`);
    expect(acc).toMatch(/^\d{1,3}\.\d%$/);
    expect(parseFloat(acc)).toBeGreaterThanOrEqual(70);
    expect(Number(await page.getAttribute('[data-testid=loss-chart]', 'data-points'))).toBeGreaterThan(10);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const info = page.locator('#info');
    expect(await info.getAttribute('data-device')).toBe('cpu');
    expect(await info.getAttribute('data-isolated')).toBe('true');
    expect(Number(await info.getAttribute('data-threads'))).toBeGreaterThan(1);
    expect(await info.textContent()).toMatch(/threads: [2-9]/);

    // Download the checkpoint, upload it again: the same test accuracy.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    checkpoint = { name: download.suggestedFilename(), mimeType: 'application/octet-stream', buffer: readFileSync((await download.path())!) };
    expect(checkpoint.name).toBe('fashion-mnist-cnn.safetensors');
    expect(checkpoint.buffer.length).toBeGreaterThan(800_000); // ~206k float32 parameters
    await page.setInputFiles('#upload', checkpoint);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Checkpoint loaded'));
    expect(await page.textContent('[data-testid=accuracy]')).toBe(acc);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a phone screen; a finger stroke on the canvas gives class probabilities', { timeout: 120_000 }, async () => {
    expect(checkpoint, 'the first test saves the checkpoint').toBeDefined();
    const context = await browser.newContext({ ...devices['Pixel 5'] });
    const page = await context.newPage();
    const errors = await open(page, server.url);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.setInputFiles('#upload', checkpoint);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Checkpoint loaded'));
    const probsOf = () => page.$$eval('[data-testid=probs] li', (lis) => lis.map((li) => Number((li as HTMLElement).dataset.prob)));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=probs] li').length === 10);
    const blank = await probsOf(); // the empty canvas's

    // A touch stroke across the canvas, through the DevTools protocol (touchscreen.tap only taps).
    const canvas = page.locator('[data-testid=canvas]');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const point = (f: number) => [{ x: box.x + box.width * (0.3 + 0.4 * f), y: box.y + box.height * (0.2 + 0.6 * f) }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(0) });
    for (let i = 1; i <= 10; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(i / 10) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });

    await page.waitForFunction((b) => Array.from(document.querySelectorAll<HTMLElement>('[data-testid=probs] li')).some((li, i) => Number(li.dataset.prob) !== b[i]), blank);
    const probs = await probsOf();
    expect(probs).toHaveLength(10);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    // The canvas really was drawn on: some pixels are no longer black.
    expect(await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#canvas')!;
      return c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 0 && v > 0);
    })).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
