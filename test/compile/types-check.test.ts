// torch.compile(module) keeps the module's forward signature (a type-level check, run once).
import { expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { Net } from '../../examples/train-fashion-mnist.js';

it('an OptimizedModule has its module\'s forward and call signatures', () => {
  const cm = torch.compile(new Net().eval());
  const x = torch.zeros([2, 1, 28, 28]);
  const y: torch.Tensor = cm.call(x); // no cast: Net.forward(x: Tensor): Tensor
  const z: torch.Tensor = cm.forward(x);
  expect(y.shape).toEqual([2, 10]);
  expect(z.shape).toEqual([2, 10]);
  expect(cm.forward.compileInfo.compiles).toBe(1);
});
