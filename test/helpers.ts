// Test helpers: the device matrix and the PyTorch-fixture runner used by every op suite.
// `opSuite(family, impls)` checks, on every available device, each case of
// test/fixtures/<family>.json: forward values and the gradients of sum(out * gout).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Device, DType, Tensor, ValuesIndices } from '../src/index.js';

export { torch };

export interface Encoded { shape: number[]; dtype: string; data: (number | boolean | string | null)[]; grad?: boolean }
export interface FixtureCase {
  inputs: Encoded[];
  out?: Encoded;
  gout?: Encoded;
  grads?: (Encoded | null)[];
  error?: string;
  tol?: { atol?: number; rtol?: number };
}

await torch.init();

/**
 * Devices every op test runs on. WebGPU joins when a backend registers it and, while its kernels are
 * being completed, only when TORCHLET_TEST_WEBGPU=1.
 */
export function testDevices(): Device[] {
  const ds: Device[] = ['cpu'];
  if (torch.webgpu.isAvailable() && process.env.TORCHLET_TEST_WEBGPU === '1') ds.push('webgpu');
  if (torch.cuda.isAvailable()) ds.push('cuda');
  return ds;
}

export function loadFixtures(family: string): Record<string, FixtureCase> {
  const url = new URL(`./fixtures/${family}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: Record<string, FixtureCase> }).cases;
}

export function decode(e: Encoded): number[] {
  return e.data.map((v) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number)));
}

export function fromEncoded(e: Encoded, device: Device, requiresGrad = false): Tensor {
  return torch.tensor(decode(e), { dtype: e.dtype as DType, device }).reshape(e.shape).detach().requiresGrad_(requiresGrad);
}

/** Asserts shape, dtype and values (NaN matches NaN, inf matches inf) within atol + rtol*|expected|. */
export async function expectClose(actual: Tensor, expected: Encoded, tol: { atol?: number; rtol?: number } = {}, what = 'value'): Promise<void> {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const exDtype = expected.dtype;
  if (exDtype !== 'float64' || actual.device === 'cpu') expect(actual.dtype, `${what} dtype`).toBe(exDtype);
  const got = Array.from(await actual.data());
  const want = decode(expected);
  const f64 = exDtype === 'float64';
  const atol = tol.atol ?? (f64 ? 1e-10 : 1e-5), rtol = tol.rtol ?? (f64 ? 1e-8 : 1e-4);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (Number.isNaN(b)) { expect(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`).toBe(true); continue; }
    if (!Number.isFinite(b)) { expect(a, `${what}[${i}]`).toBe(b); continue; }
    const ok = Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) expect.fail(`${what}[${i}] of ${expected.shape.join('x')}: got ${a}, PyTorch ${b} (atol ${atol}, rtol ${rtol})`);
  }
}

type Out = Tensor | ValuesIndices | Tensor[];
export type OpImpl = (...xs: Tensor[]) => Out;

function primary(o: Out): Tensor {
  if (Array.isArray(o)) return o[0]!;
  if ('values' in o && !(o instanceof torch.Tensor)) return o.values;
  return o as Tensor;
}

/** Runs one fixture case on one device. */
export async function runCase(c: FixtureCase, impl: OpImpl, device: Device): Promise<void> {
  const xs = c.inputs.map((e) => fromEncoded(e, device, !!e.grad));
  if (c.error !== undefined) {
    if (device === 'cpu') {
      expect(() => impl(...xs), `PyTorch raised: ${c.error}`).toThrow();
      return;
    }
    // Asynchronous devices detect data-dependent errors (index ranges) in kernels: they must
    // throw either now or when the result is read.
    let res: Out;
    try { res = impl(...xs); } catch { return; }
    await expect(primary(res).data(), `PyTorch raised: ${c.error}`).rejects.toThrow();
    return;
  }
  const out = primary(impl(...xs));
  await expectClose(out, c.out!, c.tol, 'output');
  if (c.grads && c.gout) {
    const gout = fromEncoded(c.gout, device);
    out.mul(gout).sum().backward();
    for (let i = 0; i < xs.length; i++) {
      const want = c.grads[i];
      if (!want) continue;
      const g = xs[i]!.grad;
      expect(g, `gradient of input ${i}`).not.toBeNull();
      await expectClose(g!, want, c.tol, `grad[${i}]`);
    }
  }
}

/** The op-by-op conformance suite of one fixture family over every available device. */
export function opSuite(family: string, impls: Record<string, OpImpl>): void {
  const cases = loadFixtures(family);
  describe(`${family} vs PyTorch`, () => {
    it('every fixture case has an implementation and vice versa', () => {
      expect(Object.keys(impls).filter((k) => !(k in cases)), 'impls without fixtures (run the generator)').toEqual([]);
      expect(Object.keys(cases).filter((k) => !(k in impls)), 'fixtures without impls').toEqual([]);
    });
    for (const device of testDevices()) {
      describe(device, () => {
        for (const [name, c] of Object.entries(cases)) {
          const impl = impls[name];
          if (!impl) continue;
          const f64 = c.inputs.some((e) => e.dtype === 'float64');
          if (f64 && device === 'webgpu') continue; // WebGPU has no float64 (documented difference)
          it(name, () => runCase(c, impl, device));
        }
      });
    }
  });
}
