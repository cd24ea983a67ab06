// Bad input raises clear Errors that name the op and the offending shapes/dtypes/devices (PyTorch's
// wording as the model), and never crashes or hangs: shape/dtype/device mismatches, dims out of
// range, out-of-range indices, incompatible views, matmul shapes, requiresGrad on ints, item() on
// several elements, dataSync on an asynchronous device.
import { describe, expect, it } from 'vitest';
import { torch } from './helpers.js';
import { registerBackend, getBackend } from '../src/backends/registry.js';
import type { Backend } from '../src/backends/backend.js';

const a = torch.ones(2, 3);

describe('shapes', () => {
  it('matmul/mm/bmm/dot shape mismatches name both shapes', () => {
    expect(() => a.matmul(torch.ones(4, 5))).toThrow('matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    expect(() => torch.mm(a, torch.ones(4, 5))).toThrow(/mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/);
    expect(() => torch.bmm(torch.ones(2, 2, 3), torch.ones(3, 3, 2))).toThrow(/bmm: .*2x2x3 and 3x3x2/);
    expect(() => torch.dot(torch.ones(3), torch.ones(4))).toThrow(/dot: .*\[3\].*\[4\]/);
    expect(() => torch.dot(a, a)).toThrow(/dot: 1D tensors expected, but got 2D and 2D tensors/);
  });

  it('broadcasting failures name the op and shapes', () => {
    expect(() => a.add(torch.ones(4))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => a.maskedFill(torch.ones(3, 3, { dtype: 'bool' }), 0)).toThrow(/maskedFill: shapes \[2, 3\] and \[3, 3\]/);
    expect(() => torch.where(torch.ones(4, { dtype: 'bool' }), a, 0)).toThrow(/where: shapes \[4\] and \[2, 3\]/);
    expect(() => a.expand(3, 3)).toThrow(/expanded size of the tensor \(3\) must match the existing size \(2\) at non-singleton dimension 0/);
    expect(() => torch.cat([a, torch.ones(4, 5)])).toThrow(/cat\(\): Sizes of tensors must match except in dimension 0. Expected size 3 but got size 5/);
    expect(() => torch.cat([])).toThrow(/cat\(\): expected a non-empty list/);
    expect(() => torch.zeros(2, 2).add_(torch.ones(3, 2, 2))).toThrow(/doesn't match the broadcast shape/);
  });

  it('view and reshape', () => {
    expect(() => a.t().view(6)).toThrow(/view size is not compatible with input tensor's size and stride.*\[3, 2\].*Use \.reshape/);
    expect(() => a.view(4, 2)).toThrow(/view: shape '\[4, 2\]' is invalid for input of size 6/);
    expect(() => a.reshape(5)).toThrow(/reshape: shape '\[5\]' is invalid for input of size 6/);
    expect(() => a.permute(0, 0)).toThrow(/permute\(\): duplicate dims/);
    expect(() => torch.zeros(-1)).toThrow(/negative dimension/);
  });
});

describe('dims out of range', () => {
  const dimErr = /Dimension out of range \(expected to be in range of \[-2, 1\], but got/;
  it.each([
    ['sum', () => a.sum(2)], ['softmax', () => a.softmax(-3)], ['transpose', () => a.transpose(0, 5)],
    ['squeeze', () => a.squeeze(3)], ['size', () => a.size(-3)], ['stride', () => a.stride(4)],
    ['cumsum', () => a.cumsum(2)], ['amax', () => a.amax(7)], ['mean', () => a.mean(-5)], ['argmax', () => a.argmax(2)],
  ])('%s', (op, f) => {
    expect(f).toThrow(dimErr);
    expect(f).toThrow(new RegExp(`^${op}`));
  });
});

describe('indices out of range', () => {
  it('gather, indexSelect, select, narrow, scatter, index', () => {
    expect(() => a.gather(1, torch.tensor([[0, 3, 1], [0, 0, 0]]))).toThrow(/gather\(\): index 3 is out of bounds for dimension 1 with size 3/);
    expect(() => a.gather(1, torch.tensor([[0, -1, 1], [0, 0, 0]]))).toThrow(/index -1 is out of bounds/);
    expect(() => a.gather(1, torch.tensor([[0.5, 1, 1], [0, 0, 0]]))).toThrow(/gather\(\): Expected dtype int32 for index/);
    expect(() => a.indexSelect(0, torch.tensor([0, 2]))).toThrow(/index 2 is out of bounds for dimension 0 with size 2/);
    expect(() => a.select(0, 2)).toThrow(/select\(\): index 2 out of range for tensor of size \[2, 3\] at dimension 0/);
    expect(() => a.narrow(1, 2, 2)).toThrow(/narrow\(\): start \(2\) \+ length \(2\) exceeds dimension size \(3\)/);
    expect(() => torch.zeros(3).scatter(0, torch.tensor([5]), torch.ones(1))).toThrow(/scatter\(\): index 5 is out of bounds/);
    expect(() => a.index(5)).toThrow(/index 5 out of range/);
  });
});

describe('dtypes and devices', () => {
  it('dtype errors', () => {
    expect(() => torch.ones(2, { dtype: 'bool' }).sub(torch.ones(2, { dtype: 'bool' }))).toThrow(/sub: Subtraction.*bool tensor is not supported/);
    expect(() => torch.tensor([1, 2]).mean()).toThrow(/mean\(\): could not infer output dtype.*int32/);
    expect(() => torch.tensor([1, 2]).requiresGrad_()).toThrow(/only Tensors of floating point dtype can require gradients \(got int32\)/);
    expect(() => torch.ones(2, { dtype: 'int32' }).add_(0.5)).toThrow(/result type float32 can't be cast to the desired output type int32/);
    expect(() => a.to('foo' as never)).toThrow(/invalid dtype foo/);
  });

  it('unavailable devices and bad device names', () => {
    if (!torch.cuda.isAvailable()) expect(() => torch.ones(2, { device: 'cuda' })).toThrow(/device 'cuda' is not available/);
    expect(() => torch.device('tpu')).toThrow(/expected one of 'cpu', 'webgpu', 'cuda', 'cuda:N' but got 'tpu'/);
  });

  it('item() on several elements', () => {
    expect(() => a.itemSync()).toThrow(/item: a Tensor with 6 elements cannot be converted to Scalar/);
  });
});

describe('asynchronous devices', () => {
  it('dataSync/itemSync on an async device say to await data(); toString does not throw', async () => {
    // With no real WebGPU here, an asynchronous stand-in (the CPU kernels behind a non-synchronous
    // facade) plays the device: the check under test lives in Tensor, not in any backend.
    if (!torch.webgpu.isAvailable()) {
      const cpu = getBackend('cpu');
      const fake = Object.create(cpu) as Backend & { device: string; synchronous: boolean };
      Object.defineProperty(fake, 'device', { value: 'webgpu' });
      Object.defineProperty(fake, 'synchronous', { value: false });
      registerBackend(fake);
    }
    const t = torch.ones(2, 2, { device: 'webgpu' });
    expect(() => t.dataSync()).toThrow(/dataSync: tensor is on 'webgpu', whose results are asynchronous; use 'await t.data\(\)' instead/);
    expect(() => t.itemSync()).toThrow(/asynchronous/);
    expect(t.toString()).toMatch(/use await t\.print\(\)/);
    expect(Array.from(await t.data())).toEqual([1, 1, 1, 1]);
    expect(() => t.add(torch.ones(2, 2))).toThrow(/add: Expected all tensors to be on the same device, but found at least two devices, webgpu and cpu!/);
  });
});
