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

/** A case through unique (or uniqueConsecutive) and its Async variant with the same options, taking output i. */
type U = torch.UniqueOpts;
const uq = (opts: U = {}, i = 0, post: (t: Tensor) => Tensor = (t) => t) => dataDependent(
  (x) => post(nth(torch.unique(x!, opts), i)), async (x) => post(nth(await torch.uniqueAsync(x!, opts), i)));
const uc = (opts: torch.UniqueConsecutiveOpts = {}, i = 0) => dataDependent(
  (x) => nth(x!.uniqueConsecutive(opts), i), async (x) => nth(await x!.uniqueConsecutiveAsync(opts), i));
Object.assign(impls, {
  'unique/0d-inverse': uq({ returnInverse: true }, 1),
  'unique/unsorted-counts': uq({ sorted: false, returnCounts: true }, 1, (t) => t.sort().values),
  'unique/dim0': uq({ dim: 0 }),
  'unique/dim0-inverse': uq({ dim: 0, returnInverse: true }, 1),
  'unique/dim0-counts': uq({ dim: 0, returnCounts: true }, 1),
  'unique/dim1': uq({ dim: 1 }),
  'unique/dim1-inverse-counts': uq({ dim: 1, returnInverse: true, returnCounts: true }, 2),
  'unique/dim1-inverse': uq({ dim: -1, returnInverse: true }, 1),
  'unique/dim-transposed': dataDependent((x) => x!.t().unique({ dim: 1 }), (x) => x!.t().uniqueAsync({ dim: 1 })),
  'unique/dim-3d': uq({ dim: 1 }),
  'unique/dim-3d-inverse': uq({ dim: 1, returnInverse: true }, 1),
  'unique/dim-3d-last': uq({ dim: 2, returnCounts: true }, 1),
  'unique/dim-bool': uq({ dim: 0 }),
  'unique/dim-1d': uq({ dim: 0, returnInverse: true }, 1),
  'unique/dim-empty': uq({ dim: 0 }),
  'unique/dim-empty-counts': uq({ dim: 0, returnCounts: true }, 1),
  'unique/dim-zero-sized-error': uq({ dim: 0 }),
  'unique/dim-0d-error': uq({ dim: 0 }),
  'unique/dim-range-error': uq({ dim: 2 }),
  'unique_consecutive/values': dataDependent((x) => torch.uniqueConsecutive(x!), (x) => torch.uniqueConsecutiveAsync(x!)),
  'unique_consecutive/inverse': uc({ returnInverse: true }, 1),
  'unique_consecutive/counts': uc({ returnCounts: true }, 1),
  'unique_consecutive/inverse-counts': uc({ returnInverse: true, returnCounts: true }, 2),
  'unique_consecutive/2d-inverse': uc({ returnInverse: true }, 1),
  'unique_consecutive/float': uc(),
  'unique_consecutive/dim0': uc({ dim: 0 }),
  'unique_consecutive/dim0-inverse': uc({ dim: 0, returnInverse: true }, 1),
  'unique_consecutive/dim1-counts': uc({ dim: 1, returnCounts: true }, 1),
  'unique_consecutive/dim1': uc({ dim: -1 }),
  'unique_consecutive/empty': uc({ returnCounts: true }, 1),
  'unique_consecutive/0d': uc({ returnInverse: true }, 1),
  'unique_consecutive/dim-zero-sized-error': uc({ dim: 0 }),
} satisfies Record<string, CaseImpl>);

opSuite('search', impls);
