// PyTorch's snake_case spellings on torchlet's classes (src/snake-case.ts): reading one whose
// camelCase method exists throws a TypeError naming it, with the instance's class; names torchlet
// really has (in-place ops: zero_, add_) work, and assigning a hinted name makes an ordinary field.
import { describe, expect, it } from 'vitest';
import { torch } from './helpers.js';

describe('snake_case slips name the camelCase method', () => {
  it('on tensors, modules, optimizers and schedulers', () => {
    const model = new torch.nn.Linear(3, 2), opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
    const x = torch.ones([2, 3]) as unknown as Record<string, () => unknown>;
    const slips: [object, string, RegExp][] = [
      [opt, 'zero_grad', /^SGD\.zero_grad is not defined: torchlet spells PyTorch's names in camelCase, use \.zeroGrad$/],
      [model, 'state_dict', /^Linear\.state_dict .*use \.stateDict$/],
      [model, 'load_state_dict', /^Linear\.load_state_dict .*use \.loadStateDict$/],
      [model, 'named_parameters', /use \.namedParameters$/],
      [x, 'requires_grad_', /^Tensor\.requires_grad_ .*use \.requiresGrad_$/],
      [x, 'masked_fill', /use \.maskedFill$/],
      [new torch.optim.lrScheduler.StepLR(opt, 1), 'get_last_lr', /^StepLR\.get_last_lr .*use \.getLastLr$/],
    ];
    for (const [o, name, msg] of slips) expect(() => (o as Record<string, () => unknown>)[name]!(), name).toThrow(msg);
    expect(() => x.zero_!()).not.toThrow();
    expect(Array.from((torch.ones([2]).add_(1)).dataSync())).toEqual([2, 2]);
    // Not PyTorch methods of these classes (nor Tensor's T as "_t"): undefined as usual.
    expect((x as Record<string, unknown>).no_such_method).toBeUndefined();
    expect((x as Record<string, unknown>)._t).toBeUndefined();
  });

  it('assigning a hinted name defines an ordinary own field', () => {
    class Net extends torch.nn.Module {
      constructor() { super(); (this as unknown as Record<string, unknown>).state_dict = 'mine'; }
    }
    const n = new Net() as unknown as Record<string, unknown>;
    expect(n.state_dict).toBe('mine');
    expect(Object.keys(n)).toContain('state_dict');
  });
  it("a PyTorch method with no counterpart (t.numpy()) says what to write instead", () => {
    const t = torch.ones(2);
    expect(() => (t as unknown as { numpy(): unknown }).numpy()).toThrow(/^Tensor\.numpy does not exist in torchlet: .*await t\.data\(\)/);
    (t as unknown as Record<string, unknown>).numpy = 1; // user code may still set the name
    expect((t as unknown as Record<string, unknown>).numpy).toBe(1);
  });
});
