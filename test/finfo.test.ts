// torch.finfo / torch.iinfo (src/finfo.ts): each dtype's limits and the errors, against the values
// PyTorch 1.13 prints (python3 -c "import torch; f = torch.finfo(torch.float32); print(f.eps, ...)").

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';

describe('torch.finfo / torch.iinfo', () => {
  it("float dtypes' limits are PyTorch's", () => {
    // torch.finfo(torch.float32): bits 32, eps 1.1920928955078125e-07, max 3.4028234663852886e+38, tiny 1.1754943508222875e-38, resolution 1e-06
    expect(torch.finfo('float32')).toEqual({ bits: 32, eps: 1.1920928955078125e-07, max: 3.4028234663852886e+38, min: -3.4028234663852886e+38,
      tiny: 1.1754943508222875e-38, smallestNormal: 1.1754943508222875e-38, resolution: 1e-6, dtype: 'float32' });
    // torch.finfo(torch.float64): eps 2.220446049250313e-16, max 1.7976931348623157e+308, tiny 2.2250738585072014e-308, resolution 1e-15
    expect(torch.finfo(torch.float64)).toEqual({ bits: 64, eps: 2.220446049250313e-16, max: 1.7976931348623157e+308, min: -1.7976931348623157e+308,
      tiny: 2.2250738585072014e-308, smallestNormal: 2.2250738585072014e-308, resolution: 1e-15, dtype: 'float64' });
    // torch.finfo(torch.float16): eps 0.0009765625, max 65504.0, tiny 6.103515625e-05, resolution 0.001
    expect(torch.finfo('float16')).toEqual({ bits: 16, eps: 0.0009765625, max: 65504, min: -65504, tiny: 6.103515625e-05, smallestNormal: 6.103515625e-05, resolution: 0.001, dtype: 'float16' });
    // torch.finfo() is the default dtype's; torch.finfo(torch.complex64).dtype is float32
    expect(torch.finfo().dtype).toBe('float32');
    expect(torch.finfo('complex128').dtype).toBe('float64');
    // the float32 limits are float32 values: max survives a round trip, eps is the gap above 1
    expect(Math.fround(torch.finfo().max)).toBe(torch.finfo().max);
    expect(Math.fround(1 + torch.finfo().eps)).not.toBe(1);
    expect(Math.fround(1 + torch.finfo().eps / 2)).toBe(1);
  });
  it("integer dtypes' limits are PyTorch's (torch.long is int32 here)", () => {
    expect(torch.iinfo('int32')).toEqual({ bits: 32, max: 2147483647, min: -2147483648, dtype: 'int32' });
    expect(torch.iinfo(torch.uint8)).toEqual({ bits: 8, max: 255, min: 0, dtype: 'uint8' });
    expect(torch.iinfo(torch.long).dtype).toBe('int32');
  });
  it("the wrong kind of dtype raises PyTorch's TypeError", () => {
    expect(() => torch.iinfo('float32')).toThrow("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'");
    expect(() => torch.finfo('int32')).toThrow("torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'");
    expect(() => torch.finfo('bool')).toThrow('torch.finfo() requires a floating point input type');
    expect(() => torch.iinfo('bool')).toThrow('torch.bool is not supported by torch.iinfo');
  });
});
