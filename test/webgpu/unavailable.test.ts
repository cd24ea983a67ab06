// When WebGPU is unavailable, torch.webgpu.unavailableReason() and the error of using device 'webgpu'
// name what is missing and how to install it (issue: a fresh Debian machine without libvulkan1 got
// only "not available"). The Linux cases run a child process in a private mount namespace where the
// Vulkan loaders or the SwiftShader driver are hidden (needs root and `unshare`; a loud skip without).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vulkanLoaderMissing } from '../../src/backends/webgpu/device.js';

describe('why WebGPU is unavailable', () => {
  it('a Vulkan loader that cannot be opened is told apart from one that is not an addon', () => {
    const fail = (msg: string) => ({ platform: 'linux', dlopen: () => { throw new Error(msg); } });
    expect(vulkanLoaderMissing(fail('libvulkan.so.1: cannot open shared object file: No such file or directory'))).toBe(true);
    expect(vulkanLoaderMissing(fail('Module did not self-register: libvulkan.so.1'))).toBe(false);
    expect(vulkanLoaderMissing({ platform: 'darwin', dlopen: () => { throw new Error('cannot open shared object file'); } })).toBe(false);
  });

  const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['-m', 'true']).status === 0;
  const loaders = ['/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/chromium/libvulkan.so.1']
    .filter((f) => existsSync(f)).map((f) => realpathSync(f));
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!canUnshare) console.warn('\n*** SKIPPING the hidden-library WebGPU tests: `unshare -m` is not permitted here (needs root on Linux) ***\n');

  /** Runs torch.init() with `hide` bind-mounted over by /dev/null; returns the reason and the device error. */
  function withHidden(hide: string[]): { reason: string | null; error: string } {
    const script = `import * as torch from ${JSON.stringify(`${process.cwd()}/src/index.ts`)};
await torch.init();
let error = '';
try { torch.zeros([1], { device: 'webgpu' }); } catch (e) { error = e.message; }
console.log(JSON.stringify({ reason: torch.webgpu.unavailableReason(), error }));`;
    const mounts = [...new Set(hide)].map((f) => `mount --bind /dev/null '${f}'`).join(' && ');
    const out = execFileSync('unshare', ['-m', 'sh', '-c', `${mounts} && exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, script],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out.trim().split('\n').pop()!) as { reason: string | null; error: string };
  }

  it.skipIf(!canUnshare || loaders.length === 0)('no Vulkan loader: names libvulkan.so.1 and the package to install', () => {
    const r = withHidden(loaders);
    expect(r.reason).toMatch(/libvulkan\.so\.1 is missing.*apt-get install libvulkan1/);
    expect(r.error).toBe(`device 'webgpu' is not available: ${r.reason}`);
  });

  it.skipIf(!canUnshare || !existsSync(icd))('a loader but no Vulkan driver: says so and names the chromium package', () => {
    const r = withHidden([icd]);
    expect(r.reason).toMatch(/no adapter: no Vulkan driver was found.*'chromium' package/);
    expect(r.error).toContain(r.reason!);
  });
});
