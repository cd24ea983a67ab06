// searchsorted/bucketize and the data-dependent bincount/unique vs PyTorch fixtures
// (test/fixtures/gen_search.py) on every device: bincount/unique run synchronously on the CPU and
// through bincountAsync/uniqueAsync everywhere (the sync ops must name them on async devices).
import { opSuite, torch, dataDependent, type CaseImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nth = (r: Tensor | Tensor[], i: number): Tensor => (Array.isArray(r) ? r[i]! : r);
const impls: Record<string, CaseImpl> = {
  'searchsorted/1d': (s, v) => torch.searchsorted(s!, v!),
  'searchsorted/1d-right': (s, v) => torch.searchsorted(s!, v!, { right: true }),
  'searchsorted/1d-left-dups': (s, v) => torch.searchsorted(s!, v!),
  'searchsorted/side-right': (s, v) => torch.searchsorted(s!, v!, { side: 'right' }),
  'searchsorted/batched': (s, v) => torch.searchsorted(s!, v!),
  'searchsorted/int': (s, v) => torch.searchsorted(s!, v!),
  'searchsorted/out-int32': (s, v) => torch.searchsorted(s!, v!, { outInt32: true }),
  'searchsorted/sorter': (s, v, o) => torch.searchsorted(s!, v!, { sorter: o! }),
  'searchsorted/batch-mismatch': (s, v) => torch.searchsorted(s!, v!),
  'bucketize/left': (x, b) => torch.bucketize(x!, b!),
  'bucketize/right': (x, b) => torch.bucketize(x!, b!, { right: true }),
  'bucketize/2d-boundaries-error': (x, b) => torch.bucketize(x!, b!),
  'bincount/basic': dataDependent((x) => torch.bincount(x!), (x) => torch.bincountAsync(x!)),
  'bincount/minlength': dataDependent((x) => x!.bincount(null, 8), (x) => x!.bincountAsync({ minlength: 8 })),
  'bincount/weights': dataDependent((x, w) => torch.bincount(x!, w!), (x, w) => torch.bincountAsync(x!, w!)),
  'bincount/weights-float64': dataDependent((x, w) => torch.bincount(x!, { weights: w! }), (x, w) => torch.bincountAsync(x!, w!)),
  'bincount/empty': dataDependent((x) => torch.bincount(x!), (x) => torch.bincountAsync(x!)),
  'bincount/empty-minlength': dataDependent((x) => torch.bincount(x!, null, 3), (x) => torch.bincountAsync(x!, null, 3)),
  'bincount/negative-error': dataDependent((x) => torch.bincount(x!), (x) => torch.bincountAsync(x!)),
  'bincount/2d-error': dataDependent((x) => torch.bincount(x!), (x) => torch.bincountAsync(x!)),
  'unique/values': dataDependent((x) => torch.unique(x!), (x) => torch.uniqueAsync(x!)),
  'unique/float': dataDependent((x) => x!.unique(), (x) => x!.uniqueAsync()),
  'unique/inverse': dataDependent((x) => nth(torch.unique(x!, { returnInverse: true }), 1), async (x) => nth(await torch.uniqueAsync(x!, { returnInverse: true }), 1)),
  'unique/counts': dataDependent((x) => nth(torch.unique(x!, { returnCounts: true }), 1), async (x) => nth(await torch.uniqueAsync(x!, { returnCounts: true }), 1)),
  'unique/inverse-counts': dataDependent((x) => nth(torch.unique(x!, { returnInverse: true, returnCounts: true }), 2), async (x) => nth(await torch.uniqueAsync(x!, { returnInverse: true, returnCounts: true }), 2)),
  'unique/empty': dataDependent((x) => torch.unique(x!), (x) => torch.uniqueAsync(x!)),
  'unique/bool': dataDependent((x) => torch.unique(x!), (x) => torch.uniqueAsync(x!)),
};

opSuite('search', impls);
