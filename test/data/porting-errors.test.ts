// Clearer errors for ported data-loading code: WeightedRandomSampler refuses weights that are not
// 1-D as PyTorch does (rather than sampling from the flattened tensor), and a dataset without
// length() given to DataLoader is named in DataLoader's error, with a hint for a Python-style len().
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const { DataLoader, WeightedRandomSampler } = torch.utils.data;

describe('WeightedRandomSampler weights must be 1-D', () => {
  it("a 2-D tensor, a nested array and a 0-d tensor are refused in PyTorch's words", () => {
    // PyTorch 1.13: ValueError: weights should be a 1d sequence but given weights have shape (2, 2)
    expect(() => new WeightedRandomSampler(torch.ones(2, 2), 2)).toThrow('WeightedRandomSampler: weights should be a 1d sequence but given weights have shape (2, 2)');
    expect(() => new WeightedRandomSampler([[1, 2]] as never, 2)).toThrow('weights have shape (1, 2)');
    expect(() => new WeightedRandomSampler(torch.tensor(1), 2)).toThrow('weights have shape ()');
    expect(() => new WeightedRandomSampler(torch.ones(2, 2), 2)).toThrow(RangeError);
  });
  it('1-D weights (array, typed array, tensor) still sample', () => {
    for (const w of [[0, 1], new Float64Array([0, 1]), torch.tensor([0, 1], { dtype: 'float32' })]) {
      expect([...new WeightedRandomSampler(w, 3)]).toEqual([1, 1, 1]);
    }
  });
});

describe('DataLoader with a dataset that has no length()', () => {
  it('names DataLoader and the dataset, with a hint for len()', () => {
    class Py { getItem(i: number) { return i; } len() { return 3; } }
    expect(() => new DataLoader(new Py() as never)).toThrow("DataLoader: expected a dataset with a length() method or a length property (a non-negative integer), but the dataset Py has undefined (it has len(): torchlet spells Python's __len__ as length())");
    class NoLen { getItem(i: number) { return i; } }
    expect(() => new DataLoader(new NoLen() as never)).toThrow(/^DataLoader: .* the dataset NoLen has undefined$/);
  });
});
