// nn.Module behaviour: field registration order, PyTorch state_dict keys of a nested model
// (from test/fixtures/nn.json), loadStateDict round trip and strict errors, hooks, train/eval,
// to(dtype), zeroGrad, deepcopy, containers and Parameter semantics.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectClose, torch, type Encoded } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn;
const extra = (JSON.parse(readFileSync(new URL('../fixtures/nn.json', import.meta.url), 'utf8')) as {
  extra: { nestedKeys: string[]; nestedParamNames: string[]; nestedBufferNames: string[]; nestedModuleNames: string[];
    paramListKeys: string[]; paramDictKeys: string[]; squareMask: Encoded; nestedRepr: string; reprs: string[] };
}).extra;

// Mirrors class Net in gen_nn.py.
class Net extends nn.Module {
  features = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.BatchNorm1d(8), new nn.Linear(8, 8));
  heads = new nn.ModuleList([new nn.Linear(8, 2), new nn.Identity(), new nn.Linear(8, 3, { bias: false })]);
  lookup = new nn.ModuleDict({ emb: new nn.Embedding(5, 8), norm: new nn.LayerNorm(8) });
  named = new nn.Sequential();
  rnn = new nn.GRU(8, 4, { numLayers: 2 });
  scale = new nn.Parameter(torch.ones(1));
  constructor() {
    super();
    this.named.addModule('conv', new nn.Conv2d(1, 2, 3));
    this.named.addModule('act', new nn.GELU());
    this.registerBuffer('steps', torch.zeros(1));
    this.registerBuffer('scratch', torch.zeros(2), { persistent: false });
  }
  forward(x: Tensor): Tensor { return this.features.forward(x); }
}

describe('nn.Module registration', () => {
  it('stateDict keys of a nested model equal PyTorch\'s, in order', () => {
    expect(Object.keys(new Net().stateDict())).toEqual(extra.nestedKeys);
  });
  it('namedParameters / namedBuffers / namedModules match PyTorch', () => {
    const n = new Net();
    expect(n.namedParameters().map(([k]) => k)).toEqual(extra.nestedParamNames);
    expect(n.namedBuffers().map(([k]) => k)).toEqual(extra.nestedBufferNames);
    expect(n.namedModules().map(([k]) => k)).toEqual(extra.nestedModuleNames);
  });
  it('children, modules, parameters and shared parameters are deduplicated', () => {
    const lin = new nn.Linear(2, 2);
    const seq = new nn.Sequential(lin, lin);
    expect(seq.children().length).toBe(1);
    expect(seq.parameters().length).toBe(2);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(seq[0]).toBe(lin);
    expect(seq.get(-1)).toBe(lin);
    expect(seq.length).toBe(2);
  });
  it('Sequential named via an object, ModuleList insert, ModuleDict order', () => {
    const s = new nn.Sequential({ fc: new nn.Linear(2, 3), act: new nn.Tanh() });
    expect(Object.keys(s.stateDict())).toEqual(['fc.weight', 'fc.bias']);
    const l = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 2)]);
    l.insert(1, new nn.Linear(1, 3));
    expect([...l].map((m) => (m as InstanceType<typeof nn.Linear>).outFeatures)).toEqual([1, 3, 2]);
    // Pairs keep insertion order (a JS object literal would list the integer-like key '1' first).
    const d = new nn.ModuleDict([['b', new nn.Linear(1, 1)], ['1', new nn.Linear(1, 1)], ['a', new nn.Linear(1, 1)]]);
    expect(d.keys()).toEqual(['b', '1', 'a']);
    expect(Object.keys(d.stateDict())).toEqual(['b.weight', 'b.bias', '1.weight', '1.bias', 'a.weight', 'a.bias']);
  });
  it('slicing: Sequential keeps its children\'s names, ModuleList renumbers (PyTorch 1.13: s[1:] keys 2.weight, l[1:] keys 1.weight)', () => {
    const mk = () => [new nn.Linear(1, 2), new nn.ReLU(), new nn.Linear(2, 2)];
    const s = new nn.Sequential(...mk()).slice(1);
    expect(Object.keys(s.stateDict())).toEqual(['2.weight', '2.bias']);
    expect(s.length).toBe(2);
    expect(s.forward(torch.ones(3, 2)).shape).toEqual([3, 2]);
    expect(Object.keys(new nn.Sequential({ a: new nn.Linear(1, 2), b: new nn.ReLU(), c: new nn.Linear(2, 2) }).slice(1).stateDict())).toEqual(['c.weight', 'c.bias']);
    expect(Object.keys(new nn.ModuleList(mk()).slice(1).stateDict())).toEqual(['1.weight', '1.bias']);
  });
  it('a module without forward called like a model says PyTorch\'s "missing the required forward function"', () => {
    class NoForward extends nn.Module { lin = new nn.Linear(2, 2); }
    const m = new NoForward() as unknown as { forward(x: Tensor): Tensor; call(x: Tensor): Tensor };
    expect(() => m.forward(torch.ones(2))).toThrow('Module [NoForward] is missing the required "forward" function');
    expect(() => m.call(torch.ones(2))).toThrow('Module [NoForward] is missing the required "forward" function');
    expect(() => (new nn.ModuleList([new nn.ReLU()]) as unknown as { forward(x: Tensor): Tensor }).forward(torch.ones(2))).toThrow('Module [ModuleList] is missing the required "forward" function');
    class Arrow extends nn.Module { forward = (x: Tensor) => x.mul(2); }
    expect(new Arrow().forward(torch.ones(1)).itemSync()).toBe(2); // a forward field still replaces it
  });
  it('namedParameters / namedBuffers take PyTorch\'s positional (prefix, recurse)', () => {
    class Net extends nn.Module { lin = new nn.Linear(2, 2); constructor() { super(); this.registerBuffer('steps', torch.zeros(1)); } }
    const m = new Net();
    expect(m.namedParameters('net').map(([n]) => n)).toEqual(['net.lin.weight', 'net.lin.bias']);
    expect(m.namedParameters('net', false)).toEqual([]);
    expect(m.namedBuffers('m').map(([n]) => n)).toEqual(['m.steps']);
  });
  it('fields assigned later keep declaration order; null parameters are skipped', () => {
    class M extends nn.Module {
      a: InstanceType<typeof nn.Parameter> | null = null;
      b = new nn.Parameter(torch.zeros(1));
      constructor() { super(); this.registerBuffer('buf', torch.ones(1)); this.a = new nn.Parameter(torch.zeros(2)); }
    }
    const m = new M();
    expect(Object.keys(m.stateDict())).toEqual(['a', 'b', 'buf']);
    expect(m.getParameter('a').shape).toEqual([2]);
  });
  it('ParameterList / ParameterDict keys match PyTorch; plain tensors become Parameters', () => {
    const pl = new nn.ParameterList([torch.zeros(1), new nn.Parameter(torch.zeros(2))]);
    expect(Object.keys(pl.stateDict())).toEqual(extra.paramListKeys);
    expect(pl.get(0)).toBeInstanceOf(nn.Parameter);
    expect(pl.length).toBe(2);
    const pd = new nn.ParameterDict({ b: torch.zeros(1), a: torch.zeros(2) });
    expect(Object.keys(pd.stateDict())).toEqual(extra.paramDictKeys);
    expect(pd.get('a').shape).toEqual([2]);
  });
  it('Transformer.generateSquareSubsequentMask equals PyTorch\'s', async () => {
    await expectClose(nn.Transformer.generateSquareSubsequentMask(4), extra.squareMask);
  });
  it('register* validate names and types', () => {
    const m = new nn.Module();
    expect(() => m.registerBuffer('a.b', torch.zeros(1))).toThrow(/can't contain "\."/);
    expect(() => m.registerParameter('p', torch.zeros(1) as never)).toThrow(/nn.Parameter or null/);
    expect(() => m.registerModule('', new nn.ReLU())).toThrow(/empty/);
  });
});

describe('nn.Parameter', () => {
  it('is a Tensor, a leaf requiring grad, sharing storage with its data', () => {
    const t = torch.zeros(3);
    const p = new nn.Parameter(t);
    expect(p).toBeInstanceOf(torch.Tensor);
    expect(p).toBeInstanceOf(nn.Parameter);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    torch.noGrad(() => p.fill_(2));
    expect(Array.from(t.dataSync())).toEqual([2, 2, 2]);
    expect(new nn.Parameter(torch.zeros(1), false).requiresGrad).toBe(false);
  });
  it('survives torch.tidy', () => {
    const lin = torch.tidy(() => new nn.Linear(2, 2));
    expect(lin.weight.isDisposed).toBe(false);
    expect(lin.weight.dataSync().length).toBe(4);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round trips values (stateDict shares storage, detached)', () => {
    const a = new Net(), b = new Net();
    const sd = a.stateDict();
    expect(sd['features.0.weight']!.requiresGrad).toBe(false);
    const res = b.loadStateDict(sd);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, v] of Object.entries(b.stateDict())) expect(Array.from(v.dataSync()), k).toEqual(Array.from(sd[k]!.dataSync()));
  });
  it('strict mode raises PyTorch-like errors for missing and unexpected keys', () => {
    const m = new nn.Linear(2, 3);
    const sd = m.stateDict();
    const { bias, ...noBias } = sd;
    expect(bias).toBeDefined();
    expect(() => m.loadStateDict({ ...noBias, extra: torch.zeros(1) })).toThrow(
      'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\tUnexpected key(s) in state_dict: "extra". ');
    expect(m.loadStateDict({ ...noBias, extra: torch.zeros(1) }, { strict: false })).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
  });
  it('shape mismatches raise even when not strict', () => {
    const m = new nn.Linear(2, 3);
    expect(() => m.loadStateDict({ weight: torch.zeros(4, 2), bias: torch.zeros(3) }, { strict: false })).toThrow(
      /size mismatch for weight: copying a param with shape \[4, 2\] from checkpoint, the shape in current model is \[3, 2\]/);
  });
  it('converts dtype on load and keeps parameter identity', () => {
    const m = new nn.Linear(2, 1);
    const w = m.weight;
    m.loadStateDict({ weight: torch.tensor([[1, 2]], { dtype: 'float64' }), bias: torch.tensor([0.5]) });
    expect(m.weight).toBe(w);
    expect(Array.from(m.weight.dataSync())).toEqual([1, 2]);
    expect(m.weight.dtype).toBe('float32');
  });
  it('non-persistent buffers stay out of stateDict but are buffers', () => {
    const n = new Net();
    expect('scratch' in n.stateDict()).toBe(false);
    expect(n.namedBuffers().map(([k]) => k)).toContain('scratch');
  });
});

describe('modes, hooks, conversion', () => {
  it('train/eval propagate to every submodule', () => {
    const n = new Net();
    n.eval();
    expect(n.modules().every((m) => !m.training)).toBe(true);
    n.train();
    expect(n.modules().every((m) => m.training)).toBe(true);
  });
  it('forward hooks run for forward() and call(), can replace inputs and outputs, and are removable', () => {
    const lin = new nn.Linear(2, 2);
    const seen: string[] = [];
    const h1 = lin.registerForwardPreHook((_m, inp) => { seen.push('pre'); return [(inp[0] as Tensor).mul(0)]; });
    const h2 = lin.registerForwardHook((_m, _inp, out) => { seen.push('post'); return (out as Tensor).add(1); });
    const y = lin.forward(torch.ones(1, 2));
    const b = lin.bias!.dataSync();
    expect(Array.from(y.dataSync())).toEqual([b[0]! + 1, b[1]! + 1].map((v) => Math.fround(v)));
    lin.call(torch.ones(1, 2));
    expect(seen).toEqual(['pre', 'post', 'pre', 'post']);
    h1.remove(); h2.remove();
    lin.forward(torch.ones(1, 2));
    expect(seen.length).toBe(4);
    // Hooks on children fire when a container runs them.
    const seq = new nn.Sequential(lin, new nn.ReLU());
    let fired = 0;
    lin.registerForwardHook(() => { fired++; });
    seq.forward(torch.ones(3, 2));
    expect(fired).toBe(1);
  });
  it('to(dtype) converts floating parameters and buffers, keeps integer buffers and ties', () => {
    const n = new Net();
    n.heads.set(2, n.heads.get(0));
    n.to('float64');
    expect(n.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad && p instanceof nn.Parameter)).toBe(true);
    const bn = n.features[2] as InstanceType<typeof nn.BatchNorm1d>;
    expect(bn.running_mean!.dtype).toBe('float64');
    expect(bn.num_batches_tracked!.dtype).toBe('int32');
    expect(n.heads.get(2)).toBe(n.heads.get(0));
    const y = n.forward(torch.randn(3, 4, { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
  });
  it('zeroGrad sets grads to null; zeroGrad(false) zeroes them', () => {
    const lin = new nn.Linear(3, 2);
    lin.forward(torch.randn(4, 3)).sum().backward();
    const g = lin.weight.grad!;
    lin.zeroGrad(false);
    expect(Array.from(lin.weight.grad!.dataSync()).every((v) => v === 0)).toBe(true);
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    expect(g.isDisposed).toBe(false); // read by user code: dropped, still valid (PyTorch keeps it alive)
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
  });
  it('apply visits children first; requiresGrad_ freezes', () => {
    const n = new Net();
    const names: string[] = [];
    n.apply((m) => names.push(m.constructor.name));
    expect(names[names.length - 1]).toBe('Net');
    n.requiresGrad_(false);
    expect(n.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });
  it('deepcopy makes independent parameters with equal values', () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 });
    const c = nn.Module.deepcopy(layer);
    expect(c).toBeInstanceOf(nn.TransformerEncoderLayer);
    expect(Object.keys(c.stateDict())).toEqual(Object.keys(layer.stateDict()));
    expect(c.linear1.weight).not.toBe(layer.linear1.weight);
    expect(Array.from(c.linear1.weight.dataSync())).toEqual(Array.from(layer.linear1.weight.dataSync()));
    const x = torch.randn(3, 1, 4);
    expect(Array.from(c.forward(x).dataSync())).toEqual(Array.from(layer.forward(x).dataSync()));
  });
  it('toString of the nested model and of single layers equals PyTorch\'s repr', () => {
    expect(String(new Net())).toBe(extra.nestedRepr);
    const mods = [new nn.BatchNorm2d(3, { momentum: null }), new nn.LeakyReLU(0.2), new nn.Dropout(0.25), new nn.ELU(),
      new nn.Hardtanh(), new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, bias: false }),
      new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true, bidirectional: true }), new nn.GroupNorm(2, 6),
      new nn.InstanceNorm2d(3), new nn.Flatten(), new nn.MaxPool2d(2), new nn.Softplus({ beta: 2 })];
    expect(mods.map(String)).toEqual(extra.reprs);
  });
  it('toString prints the module tree like PyTorch', () => {
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    expect(String(s)).toBe('Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)');
  });
  it('a module without forward raises PyTorch\'s error', () => {
    expect(() => nn.runModule(new nn.Module(), torch.ones(1))).toThrow('Module [Module] is missing the required "forward" function');
  });
});

describe('layer behaviour beyond the fixtures', () => {
  it('Dropout: identity in eval, zeroes about p and rescales in train', () => {
    const d = new nn.Dropout(0.25);
    const x = torch.ones(20000);
    const y = d.forward(x).dataSync();
    const zeros = Array.from(y).filter((v) => v === 0).length / y.length;
    expect(zeros).toBeGreaterThan(0.23);
    expect(zeros).toBeLessThan(0.27);
    expect(Array.from(y).filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    d.eval();
    expect(d.forward(x)).toBe(x);
  });
  it('RMSNorm matches its formula', () => {
    const m = new nn.RMSNorm(4, { eps: 1e-6 });
    torch.noGrad(() => m.weight!.copy_(torch.tensor([1, 2, 0.5, -1])));
    const x = [[1, 2, 3, 4], [-1, 0.5, 0, 2]];
    const y = m.forward(torch.tensor(x)).tolistSync() as number[][];
    x.forEach((row, i) => {
      const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 4 + 1e-6);
      row.forEach((v, j) => expect(y[i]![j]).toBeCloseTo((v / rms) * [1, 2, 0.5, -1][j]!, 5));
    });
  });
  it('BatchNorm: errors like PyTorch', () => {
    expect(() => new nn.BatchNorm2d(3).forward(torch.randn(2, 3, 4))).toThrow('expected 4D input (got 3D input)');
    expect(() => new nn.BatchNorm1d(3).forward(torch.randn(1, 3))).toThrow('Expected more than 1 value per channel when training, got input size [1, 3]');
  });
  it('BatchNorm momentum null: cumulative average over steps', () => {
    const bn = new nn.BatchNorm1d(1, { momentum: null, affine: false });
    bn.forward(torch.tensor([[1], [3]], { dtype: 'float32' }));
    bn.forward(torch.tensor([[5], [9]], { dtype: 'float32' }));
    // Batch means 2 and 7, unbiased variances 2 and 8: step 1 (factor 1) replaces the initial
    // statistics, step 2 (factor 1/2) averages: mean 4.5, var 5.
    expect(bn.running_mean!.itemSync()).toBeCloseTo(4.5, 6);
    expect(bn.running_var!.itemSync()).toBeCloseTo(5, 6);
    expect(bn.num_batches_tracked!.itemSync()).toBe(2);
  });
  it('Flatten / Unflatten', () => {
    const x = torch.randn(2, 3, 4, 5);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new nn.Unflatten(1, [6, 10]).forward(new nn.Flatten().forward(x)).shape).toEqual([2, 6, 10]);
  });
  it('Embedding rejects float indices; fromPretrained freezes', () => {
    expect(() => new nn.Embedding(3, 2).forward(torch.zeros(2))).toThrow(/integer dtype/);
    const e = nn.Embedding.fromPretrained(torch.tensor([[1, 2], [3, 4]]));
    expect(e.weight.requiresGrad).toBe(false);
    expect(e.forward(torch.tensor([1, 0])).tolistSync()).toEqual([[3, 4], [1, 2]]);
  });
});
