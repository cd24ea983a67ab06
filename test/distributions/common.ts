// Shared by the distribution tests: reads test/fixtures/distributions.json (written by
// distributions_fixtures.py with real PyTorch) and builds the same distributions from its specs, with
// every parameter a leaf requiring grad on the device under test (float64 on the CPU, float32 on WebGPU).

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { torch } from '../helpers.js';
import type { Device, DType, Tensor } from '../../src/index.js';

const Dn = torch.distributions;

export interface Enc { shape: number[]; data: (number | string | null)[] }
export interface Spec { dist: string; args?: Record<string, number | number[] | number[][]>; base?: Spec; ndims?: number; transforms?: unknown[]; mix?: Spec; cdf?: boolean }
export interface Fixtures {
  cases: Record<string, { spec: Spec; value: Enc; q?: Enc; grads: Record<string, Enc>; cdfGrads?: Record<string, Enc> } & Partial<Record<'logProb' | 'entropy' | 'mean' | 'variance' | 'stddev' | 'mode' | 'cdf' | 'icdf', Enc>>>;
  kl: Record<string, { p: Spec; q: Spec; kl: Enc; gradsP?: Record<string, Enc>; gradsQ?: Record<string, Enc> }>;
  errors: Record<string, { spec: Spec; value?: number[]; message: string }>;
  gammaGrad: { alpha: Enc; x: Enc; torch: Enc; fd: Enc };
}

export const fixtures = JSON.parse(readFileSync(new URL('../fixtures/distributions.json', import.meta.url), 'utf8')) as Fixtures;

export const decodeEnc = (e: Enc): number[] => e.data.map((v) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number)));
export const dtypeOf = (device: Device): DType => (device === 'cpu' ? 'float64' : 'float32');

/** A tensor of the encoded values on `device`. */
export function fromEnc(e: Enc, device: Device, dtype: DType = dtypeOf(device)): Tensor {
  return torch.tensor(decodeEnc(e), { dtype, device }).reshape(e.shape);
}

function mkTransform(t: unknown): InstanceType<typeof Dn.Transform> {
  const [kind, a, b] = t as [string, unknown, unknown];
  switch (kind) {
    case 'Exp': return new Dn.ExpTransform();
    case 'Affine': return new Dn.AffineTransform(a as number, b as number);
    case 'Sigmoid': return new Dn.SigmoidTransform();
    case 'Tanh': return new Dn.TanhTransform();
    case 'Power': return new Dn.PowerTransform(a as number);
    case 'Compose': return new Dn.ComposeTransform((a as unknown[]).map(mkTransform));
    case 'Inv': return mkTransform(a).inv;
    default: throw new Error(kind);
  }
}

/** Builds the distribution of a fixture spec; `leaves` collects the parameter tensors by name. */
export function build(spec: Spec, device: Device, leaves: Record<string, Tensor> = {}, opts: { validateArgs?: boolean } = {}): InstanceType<typeof Dn.Distribution> {
  const dtype = dtypeOf(device);
  const p: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(spec.args ?? {})) {
    const t = torch.tensor(v as number[], { dtype, device });
    p[k] = k === 'total_count' ? t : t.requiresGrad_(true);
    if (k !== 'total_count') leaves[k] = p[k]!;
  }
  const o = { validateArgs: opts.validateArgs };
  switch (spec.dist) {
    case 'Normal': return new Dn.Normal(p.loc!, p.scale!, o);
    case 'Uniform': return new Dn.Uniform(p.low!, p.high!, o);
    case 'Exponential': return new Dn.Exponential(p.rate!, o);
    case 'Laplace': return new Dn.Laplace(p.loc!, p.scale!, o);
    case 'Gamma': return new Dn.Gamma(p.concentration!, p.rate!, o);
    case 'Beta': return new Dn.Beta(p.concentration1!, p.concentration0!, o);
    case 'Dirichlet': return new Dn.Dirichlet(p.concentration!, o);
    case 'Poisson': return new Dn.Poisson(p.rate!, o);
    case 'Bernoulli': return new Dn.Bernoulli({ probs: p.probs, logits: p.logits, ...o });
    case 'Binomial': return new Dn.Binomial(spec.args!.total_count as number, { probs: p.probs, logits: p.logits, ...o });
    case 'Categorical': return new Dn.Categorical({ probs: p.probs, logits: p.logits, ...o });
    case 'OneHotCategorical': return new Dn.OneHotCategorical({ probs: p.probs, logits: p.logits, ...o });
    case 'MultivariateNormal': return new Dn.MultivariateNormal(p.loc!, { covarianceMatrix: p.covariance_matrix, precisionMatrix: p.precision_matrix, scaleTril: p.scale_tril, ...o });
    case 'LogNormal': return new Dn.LogNormal(p.loc!, p.scale!, o);
    case 'Independent': return new Dn.Independent(build(spec.base!, device, leaves, opts), spec.ndims!, o);
    case 'Mixture': return new Dn.MixtureSameFamily(build(spec.mix!, device, leaves, opts) as InstanceType<typeof Dn.Categorical>, build(spec.base!, device, leaves, opts), o);
    case 'Transformed': return new Dn.TransformedDistribution(build(spec.base!, device, leaves, opts), spec.transforms!.map(mkTransform), o);
    default: throw new Error(`unknown distribution ${spec.dist}`);
  }
}

/** Tolerances per device: float64 math on the CPU, float32 on WebGPU. */
export const tolOf = (device: Device): { atol: number; rtol: number } => (device === 'cpu' ? { atol: 1e-9, rtol: 1e-7 } : { atol: 2e-4, rtol: 2e-3 });

/** Asserts values (and shape) within tolerance; NaN and infinities must match exactly. */
export async function expectEnc(actual: Tensor, expected: Enc, device: Device, what: string, tol = tolOf(device)): Promise<void> {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const got = Array.from(await actual.data(), Number);
  const want = decodeEnc(expected);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (Number.isNaN(b)) { expect(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`).toBe(true); continue; }
    if (!Number.isFinite(b)) { expect(a, `${what}[${i}]`).toBe(b); continue; }
    if (!(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b))) expect.fail(`${what}[${i}]: got ${a}, PyTorch ${b} (atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}
