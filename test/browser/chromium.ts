// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core, with
// WebGPU on SwiftShader's software Vulkan (so it runs alike with or without a GPU). Missing Chromium is
// a failure when CI=true and a loud skip elsewhere (toolAvailable).

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { toolAvailable } from '../dist/ensure-dist.js';

export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;
export const haveChromium = toolAvailable('chromium', chromiumPath, 'apt-get install -y chromium');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    headless: true,
    // WebGPU needs no GPU process here: SwiftShader's Vulkan runs on the CPU (`navigator.gpu` exists
    // only on a secure context such as http://127.0.0.1, not about:blank).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
