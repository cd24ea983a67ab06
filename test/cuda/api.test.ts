// torch.cuda and CUDA device names where CUDA is not available (a machine without the addon, driver
// or device: every CI machine): isAvailable() false, deviceCount() 0, and the error of using a CUDA
// device or asking for its memory says why. Also the parts that need no device: device-string
// parsing, torch.backends.cuda.matmul.allowTf32, the shared seed. With CUDA (the emulator:
// api-emulated.test.ts; a GPU: bench/gpu.sh) the unavailable cases do not apply and are not run.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const available = torch.cuda.isAvailable();

describe.runIf(!available)('without CUDA', () => {
  const reason = torch.cuda.unavailableReason();

  it('isAvailable() is false, deviceCount() 0, and unavailableReason() says what is missing', () => {
    expect(torch.cuda.isAvailable()).toBe(false);
    expect(torch.cuda.deviceCount()).toBe(0);
    expect(reason).toEqual(expect.any(String));
    // Which part is missing decides the message: the addon file, else the driver or a device.
    const built = existsSync('native-cuda/build/torchlet_cuda.node');
    if (!built) expect(reason).toMatch(/native-cuda\/build\/torchlet_cuda\.node\) is not built: build it with `npm run build:cuda`/);
    else expect(reason).toMatch(/libcuda|driver|no CUDA device/i);
  });

  it("a 'cuda' tensor, a 'cuda:1' tensor and t.cuda() say why", () => {
    expect(() => torch.ones([2], { device: 'cuda' })).toThrow(`device 'cuda' is not available: ${reason}`);
    expect(() => torch.zeros([2], { device: 'cuda:1' })).toThrow(`device 'cuda:1' is not available: ${reason}`);
    expect(() => torch.ones([2]).cuda()).toThrow(`device 'cuda' is not available: ${reason}`);
    expect(() => torch.ones([2]).to('cuda:0')).toThrow(`device 'cuda' is not available: ${reason}`);
    expect(() => new torch.nn.Linear(2, 2).cuda(1)).toThrow(`device 'cuda:1' is not available: ${reason}`);
    expect(() => torch.setDefaultDevice('cuda')).toThrow(/setDefaultDevice: device 'cuda' is not available/);
  });

  it('device queries and memory statistics raise, naming the function and the reason', async () => {
    const calls: [string, () => unknown][] = [
      ['memoryAllocated', () => torch.cuda.memoryAllocated()],
      ['memoryReserved', () => torch.cuda.memoryReserved(0)],
      ['maxMemoryAllocated', () => torch.cuda.maxMemoryAllocated('cuda')],
      ['resetPeakMemoryStats', () => torch.cuda.resetPeakMemoryStats('cuda:1')],
      ['getDeviceName', () => torch.cuda.getDeviceName()],
      ['getDeviceProperties', () => torch.cuda.getDeviceProperties(0)],
      ['currentDevice', () => torch.cuda.currentDevice()],
      ['setDevice', () => torch.cuda.setDevice(0)],
    ];
    for (const [name, call] of calls) expect(call, name).toThrow(new RegExp(`^torch\\.cuda\\.${name}: device 'cuda(:1)?' is not available: `));
    await expect(torch.cuda.synchronize()).rejects.toThrow(`torch.cuda.synchronize: device 'cuda' is not available: ${reason}`);
  });

  it('emptyCache() does nothing, as PyTorch without CUDA', () => {
    expect(torch.cuda.emptyCache()).toBeUndefined();
  });
});

describe('CUDA device names (no device needed)', () => {
  it("'cuda' and 'cuda:0' are device 0, reported as 'cuda'; 'cuda:N' is its own device; 'webgpu:0' is 'webgpu'", () => {
    expect(torch.device('cuda')).toBe('cuda');
    expect(torch.device('cuda:0')).toBe('cuda');
    expect(torch.device('cuda:1')).toBe('cuda:1');
    expect(torch.device('cuda:12')).toBe('cuda:12');
    expect(torch.device('webgpu:0')).toBe('webgpu');
  });

  it('malformed device strings and indices are refused with the accepted forms', () => {
    for (const bad of ['cuda:', 'cuda:-1', 'cuda:1.5', 'cuda:x', 'cuda1', 'webgpu:1', 'CUDA']) {
      expect(() => torch.device(bad), bad).toThrow(new RegExp(`expected one of 'cpu', 'webgpu', 'cuda', 'cuda:N' but got '${bad.replace('.', '\\.')}'`));
    }
    expect(() => torch.ones([1]).cuda(-1)).toThrow(/cuda: expected a non-negative integer CUDA device index, got -1/);
    expect(() => torch.ones([1]).cuda(0.5)).toThrow(/cuda: expected a non-negative integer CUDA device index, got 0\.5/);
    expect(() => torch.cuda.getDeviceName('cpu')).toThrow(/torch\.cuda\.getDeviceName: expected a CUDA device, but got 'cpu'/);
  });

  it("autocast state is per device type: 'cuda:1' is 'cuda'", () => {
    expect(torch.isAutocastEnabled('cuda:1')).toBe(false);
    const g = torch.autocast({ deviceType: 'cuda:1' });
    try {
      expect(torch.isAutocastEnabled('cuda')).toBe(true);
      expect(torch.isAutocastEnabled('cpu')).toBe(false);
    } finally { g.dispose(); }
    expect(torch.isAutocastEnabled('cuda')).toBe(false);
    expect(() => torch.isAutocastEnabled('cuda:x' as never)).toThrow(/expected deviceType to be one of 'cpu', 'webgpu' or 'cuda', got 'cuda:x'/);
  });

  it('torch.backends.cuda.matmul.allowTf32: false by default (as PyTorch), settable, booleans only', () => {
    const m = torch.backends.cuda.matmul;
    expect(m.allowTf32).toBe(false);
    m.allowTf32 = true;
    expect(m.allowTf32).toBe(true);
    m.allowTf32 = false;
    expect(m.allowTf32).toBe(false);
    expect(() => { (m as { allowTf32: unknown }).allowTf32 = 1; }).toThrow(/allowTf32: expected a boolean, got number/);
    expect(m.allowTf32).toBe(false);
  });

  it('torch.cuda.manualSeed seeds the one generator every device shares (the CPU numbers repeat)', () => {
    torch.manualSeed(11);
    const want = Array.from(torch.rand([6]).dataSync());
    torch.cuda.manualSeed(11);
    expect(torch.cuda.initialSeed()).toBe(11);
    expect(torch.initialSeed()).toBe(11);
    expect(Array.from(torch.rand([6]).dataSync())).toEqual(want);
    torch.cuda.manualSeedAll(11);
    expect(Array.from(torch.rand([6]).dataSync())).toEqual(want);
    expect(() => torch.cuda.manualSeed(-1)).toThrow(/manualSeed: seed must be a non-negative integer/);
  });
});
