// F.gridSample / F.affineGrid vs PyTorch fixtures (test/fixtures/gen_grid_sample.py): bicubic and
// 5-D (trilinear, nearest) sampling for every padding mode and alignCorners, 3-D affine grids,
// forward and gradients (input and grid) on every available device; and PyTorch's error messages.
import { describe, expect, it } from 'vitest';
import { fromEncoded, loadFixtures, opSuite, torch, type CaseImpl } from '../helpers.js';

const F = torch.nn.functional;
const impls: Record<string, CaseImpl> = {};
for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
  for (const alignCorners of [false, true]) {
    const tag = `${paddingMode}-${alignCorners ? 'ac' : 'noac'}`;
    for (const [name, mode] of [['bicubic', 'bicubic'], ['bicubic-far', 'bicubic'], ['trilinear', 'bilinear'], ['trilinear-far', 'bilinear'], ['nearest3d', 'nearest']] as const) {
      impls[`${name}-${tag}`] = (x, g) => F.gridSample(x, g!, { mode, paddingMode, alignCorners });
    }
  }
}
Object.assign(impls, {
  affineGrid3d: (t) => F.affineGrid(t, [2, 3, 2, 4, 5], { alignCorners: false }),
  'affineGrid3d/ac': (t) => F.affineGrid(t, [2, 1, 3, 2, 1], { alignCorners: true }),
  'affine3d-pipeline': (x, t) => F.gridSample(x, F.affineGrid(t!, [2, 2, 2, 3, 4]), { alignCorners: false }),
  'error/grid-last-dim': (x, g) => F.gridSample(x, g!),
  'error/grid-last-dim-5d': (x, g) => F.gridSample(x, g!),
  'error/bicubic-5d': (x, g) => F.gridSample(x, g!, { mode: 'bicubic' }),
  'error/batch': (x, g) => F.gridSample(x, g!),
  'error/affineGrid3d-theta': (t) => F.affineGrid(t, [2, 3, 4, 5, 6]),
} satisfies Record<string, CaseImpl>);

opSuite('grid_sample', impls);

describe('gridSample / affineGrid errors', () => {
  const cases = loadFixtures('grid_sample');
  for (const [name, c] of Object.entries(cases)) {
    if (c.error === undefined) continue;
    it(`${name}: PyTorch's message, naming the op`, () => {
      const want = c.error!.replace(/torch\.Size\((\[[^\]]*\])\)/g, '$1');
      const impl = impls[name] as (...xs: torch.Tensor[]) => unknown;
      expect(() => impl(...c.inputs.map((e) => fromEncoded(e, 'cpu')))).toThrow(want);
    });
  }
  it('rejects other input ranks and unknown modes', () => {
    expect(() => F.gridSample(torch.randn([2, 3, 4]), torch.randn([2, 3, 1]))).toThrow(/4D or 5D input .*\[2, 3, 4\].*\[2, 3, 1\]/);
    expect(() => F.gridSample(torch.randn([1, 1, 2, 2]), torch.randn([1, 1, 1, 2, 2]))).toThrow(/same number of dimensions.*\[1, 1, 1, 2, 2\]/);
    expect(() => F.gridSample(torch.randn([1, 1, 2, 2]), torch.randn([1, 1, 1, 2]), { mode: 'cubic' as 'bicubic' })).toThrow(/unsupported mode or paddingMode, but got 'cubic', 'zeros'/);
    expect(() => F.affineGrid(torch.randn([2, 2, 3]), [2, 3, 4])).toThrow(/only supports 4D and 5D sizes.*\[2, 3, 4\]/);
  });
});
