// A single Tensor saved to safetensors (the default format: no path, or a path that is not .pt /
// .npy / .npz) loads back as the Tensor, as torch.load(torch.save(t)) does in PyTorch and as the
// API promises ("resolves to the same nesting that was saved"). A file written before, without the
// structure entry, still loads (as the flat { tensor } map it holds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { encodeSafetensors } from '../../src/serialization/safetensors.js';

describe('a single Tensor in safetensors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-single-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const t = torch.tensor([[1.5, -2], [3, 4]], { dtype: 'float32' });
  const check = (x: unknown): void => {
    expect(torch.isTensor(x)).toBe(true);
    expect((x as Tensor).shape).toEqual([2, 2]);
    expect((x as Tensor).tolistSync()).toEqual([[1.5, -2], [3, 4]]);
  };
  it('round trips through bytes (torch.save without a path)', async () => { check(await torch.load(await torch.save(t))); });
  it('round trips through any non-.pt path', async () => {
    for (const name of ['one.safetensors', 'features.bin', 'emb.tensor']) {
      await torch.save(t, join(dir, name));
      check(await torch.load(join(dir, name)));
    }
  });
  it('is still a flat file other safetensors readers see as { tensor }', async () => {
    const { tensors } = await torch.loadSafetensors(await torch.save(t));
    expect(Object.keys(tensors)).toEqual(['tensor']);
  });
  it('a file written before the fix (no structure metadata) still loads, as { tensor }', async () => {
    const old = await encodeSafetensors({ tensor: t });
    const got = await torch.load<Record<string, Tensor>>(old);
    check(got.tensor);
  });
  it('reserved metadata is refused for a single tensor too', async () => {
    await expect(torch.save(t, undefined, { metadata: { 'torchlet.structure': 'x' } })).rejects.toThrow(/reserved/);
  });
});
