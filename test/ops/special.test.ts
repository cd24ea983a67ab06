// Special functions and scans vs PyTorch fixtures (test/fixtures/gen_special.py), forward and
// gradients on every available device.
import { opSuite, torch, type OpImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const impls: Record<string, OpImpl> = {
  'logaddexp/basic': (a, b) => torch.logaddexp(a!, b!),
  'logaddexp/broadcast': (a, b) => a!.logaddexp(b!),
  'logaddexp/far-apart': (a, b) => torch.logaddexp(a!, b!),
  'logaddexp/infinities': (a, b) => torch.logaddexp(a!, b!),
  'logaddexp/transposed': (a, b) => torch.logaddexp(a!.t(), b!),
  'logaddexp/float64': (a, b) => torch.logaddexp(a!, b!),
  'hypot/basic': (a, b) => torch.hypot(a!, b!),
  'hypot/broadcast': (a, b) => a!.hypot(b!),
  'hypot/empty': (a, b) => torch.hypot(a!, b!),
  'xlogy/basic': (a, b) => torch.xlogy(a!, b!),
  'xlogy/zeros': (a, b) => a!.xlogy(b!),
  'xlogy/scalar-y': (x) => torch.xlogy(x!, 3),
  'xlogy/scalar-x': (y) => torch.xlogy(2, y!),
  'xlogy/broadcast': (a, b) => torch.xlogy(a!, b!),
  'erfc/basic': (x) => torch.erfc(x!),
  'erfc/sliced': (x) => x!.index([null, null, 2], [1, null]).erfc(),
  'erfc/tail': (x) => torch.erfc(x!),
  'erfc/tail-grad': (x) => x!.erfc(),
  'erfc/float64': (x) => torch.erfc(x!),
  'erfc/wide': (x) => torch.erfc(x!),
  'erfc/int': (x) => torch.erfc(x!),
  'lgamma/positive': (x) => torch.lgamma(x!),
  'lgamma/negative': (x) => x!.lgamma(),
  'lgamma/poles': (x) => torch.lgamma(x!),
  'lgamma/float64': (x) => torch.lgamma(x!),
  'lgamma/poles-inf': (x) => torch.lgamma(x!),
  'lgamma/poles-inf-float64': (x) => x!.lgamma(),
  'lgamma/far': (x) => torch.lgamma(x!),
  'lgamma/far-float64': (x) => torch.lgamma(x!),
  'digamma/positive': (x) => torch.digamma(x!),
  'digamma/negative': (x) => x!.digamma(),
  'digamma/zero': (x) => torch.digamma(x!),
  'digamma/poles': (x) => torch.digamma(x!),
  'digamma/poles-float64': (x) => x!.digamma(),
  'digamma/far': (x) => torch.digamma(x!),
  'digamma/far-forward': (x) => torch.digamma(x!),
  'digamma/tiny': (x) => torch.digamma(x!),
  'digamma/far-float64': (x) => torch.digamma(x!),
  'digamma/float64': (x) => torch.digamma(x!),
  'logcumsumexp/dim1': (x) => torch.logcumsumexp(x!, 1),
  'logcumsumexp/dim0': (x) => x!.logcumsumexp(0),
  'logcumsumexp/neg-dim-transposed': (x) => x!.t().logcumsumexp(-1),
  'logcumsumexp/wide-range': (x) => torch.logcumsumexp(x!, 1),
  'logcumsumexp/neg-inf': (x) => torch.logcumsumexp(x!, 1),
  'logcumsumexp/empty': (x) => torch.logcumsumexp(x!, 0),
  'logcumsumexp/0d': (x) => torch.logcumsumexp(x!, 0),
  'logcumsumexp/dim-error': (x) => torch.logcumsumexp(x!, 1),
};
for (const name of ['cummax', 'cummin'] as const) {
  const f = (x: Tensor, d: number) => (name === 'cummax' ? torch.cummax(x, d) : x.cummin(d));
  Object.assign(impls, {
    [`${name}/values`]: (x) => f(x!, 1).values,
    [`${name}/indices`]: (x) => f(x!, 1).indices,
    [`${name}/dim0-values`]: (x) => f(x!, 0).values,
    [`${name}/dim0-indices`]: (x) => f(x!, 0).indices,
    [`${name}/ties-values`]: (x) => f(x!, 1).values,
    [`${name}/ties-indices`]: (x) => f(x!, 1).indices,
    [`${name}/nan-values`]: (x) => f(x!, 0).values,
    [`${name}/nan-indices`]: (x) => f(x!, 0).indices,
    [`${name}/int-values`]: (x) => f(x!, 1).values,
    [`${name}/int-indices`]: (x) => f(x!, 1).indices,
    [`${name}/transposed-values`]: (x) => f(x!.t(), 1).values,
    [`${name}/empty-values`]: (x) => f(x!, 1).values,
    [`${name}/0d-indices`]: (x) => f(x!, 0).indices,
  } satisfies Record<string, OpImpl>);
}

opSuite('special', impls);
