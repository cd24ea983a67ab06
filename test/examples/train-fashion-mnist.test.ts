// The main example's pieces (examples/train-fashion-mnist.ts) as plain function calls: a short run on
// a few batches of the embedded subset (progress lines, accuracy in [0, 1], a state dict with
// PyTorch's keys that round-trips through safetensors), the same on Debian's full IDX files when
// installed (--data), and the automatic device choice. No timing or accuracy thresholds.
import { existsSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { torch } from '../helpers.js';
import { train, pickDevice } from '../../examples/train-fashion-mnist.js';

const FULL = '/usr/share/datasets/fashion-mnist'; // apt-get install dataset-fashion-mnist

describe('examples/train-fashion-mnist', () => {
  it('trains a few batches on the CPU, logs progress and test accuracy; the checkpoint round-trips', async () => {
    const lines: string[] = [];
    // A warm-up run first: the CPU backend keeps GEMM workspaces after their first use.
    torch.dispose((await train({ device: 'cpu', epochs: 1, limit: 64, log: () => {} })).model.parameters());
    const before = torch.memory().cpu!.allocatedBytes;
    const r = await train({ device: 'cpu', epochs: 1, limit: 192, batchSize: 64, log: (l) => lines.push(l) });
    expect(r.nTrain).toBe(192);
    expect(r.nTest).toBe(192);
    expect(Number.isFinite(r.trainLoss)).toBe(true);
    expect(r.trainLoss).toBeLessThan(3); // ln(10) = 2.30 at chance; a NaN or diverged run fails
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.testAccuracy).toBeLessThanOrEqual(1);
    expect(lines[0]).toMatch(/192 train \/ 192 test images .* device cpu, 1 epochs/);
    expect(lines.some((l) => /3\/3 epoch 1\/1 loss \d+\.\d{4} \d+ samples\/s/.test(l))).toBe(true);
    expect(lines.some((l) => /epoch 1: train loss .* test accuracy \d+\.\d\d%/.test(l))).toBe(true);

    const sd = r.model.stateDict();
    expect(Object.keys(sd)).toEqual([
      'features.0.weight', 'features.0.bias', 'features.3.weight', 'features.3.bias',
      'classifier.1.weight', 'classifier.1.bias', 'classifier.3.weight', 'classifier.3.bias',
    ]);
    const bytes = await torch.save(sd, null);
    const back = await torch.load(bytes);
    for (const [k, t] of Object.entries(sd)) expect((back[k] as torch.Tensor).tolistSync()).toEqual(t.tolistSync());
    torch.dispose(back);
    // train() frees its data tensors: what stays is the model, its gradients and Adam's two moments
    // (the optimizer is dropped, its state left to the garbage collector).
    const paramBytes = r.model.parameters().reduce((s, p) => s + p.numel() * 4, 0);
    // (allocatedBytes counts the allocator's size buckets, hence the 25% slack; the 192 + 192 images
    // alone are 1.2 MB, the full subset 37 MB.)
    expect(torch.memory().cpu!.allocatedBytes - before).toBeLessThanOrEqual(4 * paramBytes * 1.25);
  }, 120_000);

  it('trains the same through torch.compile (npm start\'s default) as eagerly', async () => {
    const opts = { device: 'cpu' as const, epochs: 1, limit: 160, batchSize: 64, log: () => {} };
    const e = await train(opts), c = await train({ ...opts, compile: true });
    expect(c.trainLoss).toBe(e.trainLoss);
    expect(c.testAccuracy).toBe(e.testAccuracy);
    for (const [k, t] of Object.entries(e.model.stateDict())) expect(c.model.stateDict()[k]!.tolistSync()).toEqual(t.tolistSync());
  }, 120_000);

  it.skipIf(!existsSync(`${FULL}/train-images-idx3-ubyte.gz`))('reads the full IDX files with --data, cut to --limit images', async () => {
    const lines: string[] = [];
    const r = await train({ device: 'cpu', epochs: 1, limit: 128, dataDir: FULL, log: (l) => lines.push(l) });
    expect(r.nTrain).toBe(128);
    expect(r.nTest).toBe(128);
    expect(lines[0]).toContain(FULL);
    torch.dispose(r.model.parameters());
  }, 120_000);

  it('picks CUDA, then a hardware WebGPU adapter, never a software (fallback) one, else the CPU', () => {
    const adapter = (isFallbackAdapter: boolean) => ({ adapter: 'test', isFallbackAdapter, shaderF16: false, timestampQuery: false, subgroups: false });
    const info = vi.spyOn(torch.webgpu, 'info'), cuda = vi.spyOn(torch.cuda, 'isAvailable');
    try {
      cuda.mockReturnValue(false);
      info.mockReturnValue(null);
      expect(pickDevice()).toBe('cpu');
      info.mockReturnValue(adapter(true));
      expect(pickDevice()).toBe('cpu');
      info.mockReturnValue(adapter(false));
      expect(pickDevice()).toBe('webgpu');
      cuda.mockReturnValue(true);
      expect(pickDevice()).toBe('cuda');
    } finally {
      info.mockRestore(); cuda.mockRestore();
    }
    const gpu = torch.webgpu.info();
    // SwiftShader (what CI machines without a GPU get) is reported as a fallback adapter.
    if (gpu && /swiftshader/i.test(gpu.adapter)) expect(gpu.isFallbackAdapter).toBe(true);
  });
});
