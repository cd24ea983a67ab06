// Test helpers: the device matrix and the PyTorch-fixture runner used by every op suite.
// `opSuite(family, impls)` checks, on every available device, each case of
// test/fixtures/<family>.json: forward values and the gradients of sum(out * gout). Cases are the
// same on every device; the only device-specific rules are explicit here: dtypes a device lacks
// (UNSUPPORTED_DTYPES: the case must fail with a clear TypeError), errors of asynchronous devices
// surfacing at the next read, and data-dependent ops run through their `...Async` variants.
// Every case also runs under torch.compile (`<name> [compiled]`): the implementation compiled with
// torch.compile and called on fresh copies of the same inputs must give the same fixture values
// and gradients (backward through the compiled function, i.e. its compiled joint backward or, after
// a graph break, the lazily recorded segments), and error cases must still throw.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Device, DType, Tensor, ValuesIndices } from '../src/index.js';
import { realBackend } from '../src/backends/registry.js';

export { torch };

/**
 * Runs f, counting calls of one optional Backend method on `device` (its fused paths: `fused`,
 * `matmulEpilogue`); the count is null where the backend lacks the method.
 */
export function countCalls<T>(device: Device, method: 'fused' | 'matmulEpilogue' | 'attention' | 'attentionBackward', f: () => T): [T, number | null] {
  const be = realBackend(device) as unknown as Record<string, ((...a: unknown[]) => unknown) | undefined>;
  const orig = be[method];
  if (!orig) return [f(), null];
  let calls = 0;
  be[method] = function (this: unknown, ...a: unknown[]) { calls++; return orig.apply(this, a); };
  try { return [f(), calls]; } finally { be[method] = orig; }
}

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
 * Devices every op test runs on: the CPU, and WebGPU / CUDA whenever their backend registered (an
 * adapter / the addon was found). test/webgpu/smoke.test.ts fails in CI when WebGPU is missing.
 */
export function testDevices(): Device[] {
  const ds: Device[] = ['cpu'];
  if (torch.webgpu.isAvailable()) ds.push('webgpu');
  if (torch.cuda.isAvailable()) ds.push('cuda');
  // TORCHLET_TEST_DEVICES=cuda,webgpu narrows the matrix to the devices named (bench/gpu.sh on the GPU machine).
  const only = process.env.TORCHLET_TEST_DEVICES?.split(',').filter((d) => d !== '');
  return only ? ds.filter((d) => only.includes(d)) : ds;
}

/** Devices whose kernels finish before the call returns (errors are raised at the call). */
export const isSynchronous = (device: Device): boolean => device === 'cpu';

/** A float32 tensor of `shape` on `device` with deterministic, varied values (no zeros in a row, magnitudes up to 7). */
export function wavyValues(shape: number[], seed: number, device: Device): Tensor {
  const n = shape.reduce((a, b) => a * b, 1), v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 12.9898 + seed * 78.233) * (1 + (i % 7));
  return torch.tensor(v, { device }).reshape(shape);
}

/**
 * Dtypes a device does not have (documented differences from PyTorch). A fixture case using one of
 * them (an input or the output) is not skipped: it must fail with a TypeError naming the dtype and
 * the device.
 */
export const UNSUPPORTED_DTYPES: Partial<Record<Device, readonly DType[]>> = { webgpu: ['float64'] };

/** The unsupported dtype a case needs on a device, if any. */
export function unsupportedDtypeOf(c: FixtureCase, device: Device): DType | null {
  const bad = UNSUPPORTED_DTYPES[device] ?? [];
  const used = [...c.inputs, ...(c.out ? [c.out] : [])].map((e) => e.dtype as DType);
  return bad.find((d) => used.includes(d)) ?? null;
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
export type AsyncOpImpl = (...xs: Tensor[]) => Promise<Out>;
/**
 * An op whose output shape depends on tensor values: the synchronous PyTorch-named version (which
 * must throw a clear error naming the device and the async alternative on asynchronous devices) and
 * torchlet's `...Async` variant. Synchronous devices check both against the fixture.
 */
export interface DataDependentImpl { readonly sync: OpImpl; readonly async: AsyncOpImpl }
export const dataDependent = (sync: OpImpl, async: AsyncOpImpl): DataDependentImpl => ({ sync, async });
export type CaseImpl = OpImpl | DataDependentImpl;
export interface SuiteOpts {
  /** Per case, positions of inputs that stay on the CPU on every device: host-side metadata such as
   * embeddingBag offsets or sequence lengths, which PyTorch also keeps on the host. */
  hostInputs?: Record<string, readonly number[]>;
}

function primary(o: Out): Tensor {
  if (Array.isArray(o)) return o[0]!;
  if ('values' in o && !(o instanceof torch.Tensor)) return o.values;
  return o as Tensor;
}

function inputsOf(c: FixtureCase, device: Device, host: readonly number[] = []): Tensor[] {
  return c.inputs.map((e, k) => fromEncoded(e, host.includes(k) ? 'cpu' : device, !!e.grad));
}

/** Runs fn with `device` as the default device, so tensors an implementation creates land there. */
async function onDevice<T>(device: Device, fn: () => Promise<T>): Promise<T> {
  const prev = torch.getDefaultDevice();
  torch.setDefaultDevice(device);
  try { return await fn(); } finally { torch.setDefaultDevice(prev); }
}

/** Runs one fixture case on one device with one implementation (synchronous or async). */
function runWith(c: FixtureCase, impl: OpImpl | AsyncOpImpl, device: Device, host: readonly number[] = []): Promise<void> {
  return onDevice(device, () => runOn(c, impl, device, host));
}
async function runOn(c: FixtureCase, impl: OpImpl | AsyncOpImpl, device: Device, host: readonly number[]): Promise<void> {
  const xs = inputsOf(c, device, host);
  if (c.error !== undefined) {
    let res: Out;
    try { res = await impl(...xs); } catch { return; }
    // Asynchronous devices detect data-dependent errors (index ranges) in kernels: they must
    // throw either at the call or when the result is read.
    if (isSynchronous(device)) expect.fail(`PyTorch raised (${c.error}) but the call returned`);
    await expect(primary(res).data(), `PyTorch raised: ${c.error}`).rejects.toThrow();
    return;
  }
  const out = primary(await impl(...xs));
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

/**
 * Runs one fixture case on one device; `compiled`: the implementation wrapped by torch.compile (a
 * new compiled function per case, so each case traces, and replays, its own graph).
 */
export async function runCase(c: FixtureCase, impl: CaseImpl, device: Device, host: readonly number[] = [], compiled = false): Promise<void> {
  const wrap = <F extends OpImpl | AsyncOpImpl>(f: F): F => (compiled ? torch.compile(f) as unknown as F : f);
  if (typeof impl === 'function') return runWith(c, wrap(impl), device, host);
  // Data-dependent ops: compiled, the synchronous op graph-breaks (a host read of the shape) and
  // runs lazily; on asynchronous devices the compiled call must throw the op's own error. The
  // `...Async` variants run eagerly even in the [compiled] cases: torch.compile takes synchronous
  // functions only ("the function returned a Promise"; an async function works by accident, when
  // a host read graph-breaks before its first await), so compiling them would test nothing.
  if (isSynchronous(device)) await runWith(c, wrap(impl.sync), device, host);
  else if (c.error === undefined) {
    const xs = inputsOf(c, device, host);
    const f = wrap(impl.sync);
    await onDevice(device, async () => {
      expect(() => f(...xs), 'the synchronous op on an async device').toThrow(new RegExp(`'${device}'.*Async`));
    });
  }
  await runWith(c, impl.async, device, host);
}

/** A case needing a dtype the device lacks must fail with a TypeError naming both. */
export async function expectUnsupported(c: FixtureCase, impl: CaseImpl, device: Device, dtype: DType, host: readonly number[] = [], compiled = false): Promise<void> {
  const f0 = typeof impl === 'function' ? impl : impl.async;
  const f = compiled && typeof impl === 'function' ? torch.compile(f0) : f0; // async variants run eagerly (see runCase)
  let err: unknown = null;
  await onDevice(device, async () => {
    try {
      const out = primary(await f(...inputsOf(c, device, host)));
      await out.data();
    } catch (e) { err = e; }
  });
  expect(err, `expected a TypeError: ${dtype} is not supported on ${device}`).toBeInstanceOf(TypeError);
  expect((err as Error).message).toMatch(dtype);
  expect((err as Error).message).toMatch(device);
}

/** The op-by-op conformance suite of one fixture family over every available device. */
export function opSuite(family: string, impls: Record<string, CaseImpl>, opts: SuiteOpts = {}): void {
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
          const host = opts.hostInputs?.[name] ?? [];
          const bad = unsupportedDtypeOf(c, device);
          if (bad) {
            it(`${name} [${bad} unsupported on ${device}: clear TypeError]`, () => expectUnsupported(c, impl, device, bad, host));
            it(`${name} [compiled] [${bad} unsupported on ${device}: clear TypeError]`, () => expectUnsupported(c, impl, device, bad, host, true));
          } else {
            it(name, () => runCase(c, impl, device, host));
            it(`${name} [compiled]`, () => runCase(c, impl, device, host, true));
          }
        }
      });
    }
  });
}
