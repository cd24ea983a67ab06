// Clearer errors for PyTorch habits on optimizers and schedulers: reading PyTorch's snake_case
// attributes (param_groups, last_epoch, base_lrs...) names the camelCase field instead of giving
// undefined; PyTorch's `optimizer.state[p]` on torchlet's Map says to use state.get(p);
// ReduceLROnPlateau inside SequentialLR is refused in PyTorch's (>= 2.0) words.
import { describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

const S = torch.optim.lrScheduler;
const make = () => {
  const p = torch.zeros(2, { requiresGrad: true });
  return { p, o: new torch.optim.SGD([p], { lr: 0.1, momentum: 0.9 }) };
};
const any = (x: unknown) => x as Record<string, unknown>;

describe('snake_case attributes of optimizers and schedulers', () => {
  it('optimizer.param_groups names paramGroups', () => {
    const { o } = make();
    expect(() => any(o).param_groups).toThrow(new TypeError("SGD.param_groups is not defined: torchlet spells PyTorch's names in camelCase, use .paramGroups"));
    expect(() => any(new torch.optim.Adam([torch.zeros(1, { requiresGrad: true })])).param_groups).toThrow('Adam.param_groups is not defined');
  });
  it('scheduler.last_epoch and base_lrs name lastEpoch and baseLrs (every LRScheduler, and ReduceLROnPlateau)', () => {
    const { o } = make();
    const s = new S.StepLR(o, 2);
    expect(() => any(s).last_epoch).toThrow('StepLR.last_epoch is not defined: torchlet spells PyTorch\'s names in camelCase, use .lastEpoch');
    expect(() => any(s).base_lrs).toThrow('use .baseLrs');
    expect(() => any(new S.OneCycleLR(make().o, 1, { totalSteps: 5 })).last_epoch).toThrow('OneCycleLR.last_epoch');
    const r = new S.ReduceLROnPlateau(make().o);
    expect(() => any(r).last_epoch).toThrow('ReduceLROnPlateau.last_epoch is not defined');
    expect(() => any(r).num_bad_epochs).toThrow('use .numBadEpochs');
    expect(() => any(r).get_last_lr).toThrow('use .getLastLr');
  });
  it('the camelCase fields, stateDict and user-assigned snake_case fields keep working', () => {
    const { o } = make();
    const s = new S.StepLR(o, 2);
    s.step();
    expect(s.lastEpoch).toBe(1);
    expect(Object.keys(s.stateDict())).toContain('last_epoch');
    any(s).last_epoch = 7; // an own field a user sets is an ordinary property
    expect(any(s).last_epoch).toBe(7);
    expect(o.paramGroups.length).toBe(1);
  });
  it("optimizer.state[p] (PyTorch's indexing) says to use state.get(p); the Map works as before", () => {
    const { p, o } = make();
    p.grad = torch.ones(2);
    o.step();
    expect(o.state).toBeInstanceOf(Map);
    expect(o.state.size).toBe(1);
    expect(o.state.get(p)!.momentumBuffer).toBeDefined();
    expect([...o.state.keys()]).toEqual([p]);
    expect(() => any(o.state)[p as unknown as string]).toThrow("SGD.state is a Map keyed by parameter: use optimizer.state.get(p) for PyTorch's optimizer.state[p]");
    expect(() => any(o.state)[0 as unknown as string]).toThrow("(state_dict()['state'][0] is optimizer.stateDict().state[0])");
    // Other reads are the Map's own (undefined for unknown names, as before).
    expect(any(o.state).foo).toBeUndefined();
  });
});

describe('ReduceLROnPlateau cannot be chained in SequentialLR', () => {
  it("is refused in PyTorch's words, naming its index", () => {
    const { o } = make();
    expect(() => new S.SequentialLR(o, [new S.LinearLR(o, { totalIters: 2 }), new S.ReduceLROnPlateau(o) as never], [2])).toThrow(
      'SequentialLR: Sequential Schedulers does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be specified when calling `step`, but got one at index 1 in the given schedulers sequence.',
    );
  });
});
