// Strict arguments (src/args.ts + the generated src/generated/api/ facades): unknown or snake_case
// option keys, extra positional arguments, wrong kinds and un-awaited Promises are TypeErrors naming
// the function, what was passed and what is accepted — for functions, Tensor methods, module,
// optimizer, scheduler and DataLoader constructors, module.call — and attention masks follow
// PyTorch's dtype rule (bool or floating). Valid calls are unaffected; the table is never stale.
import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from './helpers.js';
import { generate } from '../scripts/gen-signatures.mjs';
import { didYouMean } from '../src/args.js';
import type { Tensor } from '../src/index.js';

const F = torch.nn.functional, nn = torch.nn, optim = torch.optim, data = torch.utils.data;
/** Calls with arguments the types reject on purpose (what JS callers or casts can pass). */
const loose = <T>(v: unknown): T => v as T;
/** Calls a function or method, or constructs a class, with an argument count its types reject. */
const callLoose = (fn: unknown, self: unknown, ...args: unknown[]): unknown => (fn as (...a: unknown[]) => unknown).apply(self, args);
const newLoose = (C: unknown, ...args: unknown[]): unknown => Reflect.construct(C as new (...a: unknown[]) => unknown, args);

describe('strict arguments', () => {
  const x = () => torch.tensor([[1, -2, 3], [-4, 5, -6]], { dtype: 'float32' });

  it('an unknown, misspelled or snake_case option key is a TypeError with a suggestion and the accepted keys', () => {
    const logits = torch.tensor([[2, 0.5, -1], [0.1, 0.2, 3]], { dtype: 'float32' }), y = torch.tensor([0, 2]);
    expect(() => F.crossEntropy(logits, y, loose({ label_smoothing: 0.5 })))
      .toThrow(new TypeError("crossEntropy: unknown option 'label_smoothing' (did you mean 'labelSmoothing'?); accepted options: labelSmoothing, weight, ignoreIndex, reduction"));
    expect(() => torch.sum(x(), 1, loose({ keepDim: true }))).toThrow(TypeError);
    expect(() => x().add(x(), loose({ alpah: 2 }))).toThrow(/^Tensor\.add: unknown option 'alpah' \(did you mean 'alpha'\?\); accepted options: alpha$/);
    expect(() => torch.zeros([2], loose({ dtyp: 'float32' }))).toThrow(/zeros: unknown option 'dtyp' \(did you mean 'dtype'\?\)/);
    const w = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true }), loss = w.mul(w).sum();
    expect(() => loss.backward(loose({ retain_graph: true }))).toThrow(/^Tensor\.backward: unknown option 'retain_graph' \(did you mean 'retainGraph'\?\)/);
    expect(() => torch.autograd.grad(loss, w, loose({ create_graph: true }))).toThrow(/^grad: unknown option 'create_graph' \(did you mean 'createGraph'\?\)/);
    expect(() => torch.noGrad(loose(5))).toThrow(/^noGrad: argument 'fn' \(position 1\) must be function, not number 5$/);
    expect(() => F.conv2d(torch.zeros([1, 1, 3, 3]), torch.zeros([1, 1, 2, 2]), null, loose({ paddingMode: 'zeros' }))).toThrow(/conv2d: unknown option 'paddingMode'; accepted options: /);
  });

  it('module, optimizer, scheduler, DataLoader and sampler constructors check their options', () => {
    expect(() => new nn.Linear(4, 3, loose({ bais: false })))
      .toThrow(new TypeError("Linear: unknown option 'bais' (did you mean 'bias'?); accepted options: bias, device, dtype"));
    expect(() => new nn.Conv2d(1, 2, 3, loose({ padding_mode: 'zeros' }))).toThrow(/Conv2d: unknown option 'padding_mode' \(did you mean 'paddingMode'\?\)/);
    expect(() => new nn.TransformerEncoderLayer(8, 2, loose({ batch_first: true }))).toThrow(/TransformerEncoderLayer: unknown option 'batch_first' \(did you mean 'batchFirst'\?\)/);
    const p = torch.zeros([2], { requiresGrad: true });
    expect(() => new optim.SGD([p], loose({ lr: 0.1, weight_decay: 1e-4 }))).toThrow(/SGD: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => new optim.Adam([p], loose({ lr: 0.1, beta: [0.9, 0.99] }))).toThrow(/Adam: unknown option 'beta' \(did you mean 'betas'\?\)/);
    const opt = new optim.SGD([p], { lr: 0.1 });
    expect(() => new optim.lrScheduler.StepLR(opt, 2, loose({ gama: 0.5 }))).toThrow(/StepLR: unknown option 'gama' \(did you mean 'gamma'\?\)/);
    expect(() => new optim.lrScheduler.OneCycleLR(opt, 1, loose({ total_steps: 10 }))).toThrow(/OneCycleLR: unknown option 'total_steps' \(did you mean 'totalSteps'\?\)/);
    expect(() => newLoose(data.DataLoader, [1, 2, 3], { batch_size: 2 })).toThrow(/DataLoader: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
    expect(() => new data.RandomSampler([1, 2, 3], loose({ replacment: true }))).toThrow(/RandomSampler: unknown option 'replacment' \(did you mean 'replacement'\?\)/);
  });

  it('an extra positional argument names the function and what it accepts', () => {
    // torch.add(a, b, 2): PyTorch's alpha is keyword-only; the third slot is the options object.
    expect(() => torch.add(x(), x(), loose(2)))
      .toThrow(new TypeError('add: expected at most 2 positional arguments before the options object { alpha } (got number 2 at position 3); expected add(a, b, opts?)'));
    expect(() => callLoose(torch.add, null, x(), x(), {}, 1)).toThrow(/^add: expected at most 2 positional arguments and an options object \{ alpha \} \(got 4 arguments\)/);
    expect(() => callLoose(torch.chunk, null, x(), 2, 0, 1)).toThrow(/^chunk: expected at most 3 arguments \(got 4\); expected chunk\(x, chunks, dim\?\)$/);
    expect(() => callLoose(x().neg, x(), 1)).toThrow(/^Tensor\.neg: expected at most 0 arguments \(got 1\)/);
    expect(() => newLoose(nn.ReLU, true, 1)).toThrow(/^ReLU: expected at most/);
    expect(() => callLoose(torch.chunk, null, x())).toThrow(/^chunk: missing required argument 'chunks' \(position 2\)/);
    // the top-level settings and memory functions go through the same facade
    expect(() => callLoose(torch.manualSeed, null, 1, 2)).toThrow(/^manualSeed: expected at most 1 argument \(got 2\)/);
    expect(() => callLoose(torch.memory, null, 'cpu', true)).toThrow(/^memory: expected at most 1 argument/);
    expect(() => torch.setDefaultDtype(loose(64))).toThrow(/^setDefaultDtype: /);
  });

  it('a wrong kind of argument or option value is a TypeError naming both', () => {
    expect(() => torch.add(x(), loose('1'))).toThrow(new TypeError("add: argument 'b' (position 2) must be Tensor, number or boolean, not string '1'"));
    expect(() => new nn.Linear(loose('4'), 3)).toThrow(/^Linear: argument 'inFeatures' \(position 1\) must be number, not string '4'$/);
    expect(() => x().sum(1, loose('yes'))).toThrow(/^Tensor\.sum: argument 'keepdim' \(position 2\) must be boolean/);
    expect(() => F.crossEntropy(x(), torch.tensor([0, 1]), loose({ labelSmoothing: '0.1' }))).toThrow(/^crossEntropy: option 'labelSmoothing' must be number, not string '0.1'$/);
    expect(() => torch.matmul(x(), loose([[1, 2]]))).toThrow(/^matmul: argument 'b' \(position 2\) must be Tensor, not array$/);
    expect(() => F.relu(loose(3))).toThrow(/^relu: argument .* must be Tensor, not number 3$/);
  });

  it('a Promise where a value is expected says that an await is probably missing', async () => {
    const t = x();
    const s = t.sum().item(); // un-awaited
    expect(() => t.mul(loose(s))).toThrow(/^Tensor\.mul: argument 'other' \(position 1\) is a Promise, expected Tensor, number or boolean; did you forget an 'await'\?$/);
    expect(() => torch.add(t, loose(s))).toThrow(/^add: argument 'b' \(position 2\) is a Promise, .*did you forget an 'await'\?$/);
    expect(() => new nn.Linear(3, 2).forward(loose(Promise.resolve(t)))).toThrow(/^Linear\.forward: argument 'x' \(position 1\) is a Promise, expected Tensor; did you forget an 'await'\?$/);
    expect(() => F.mseLoss(t, t, loose({ weight: s }))).toThrow(TypeError);
    expect(() => t.clamp(loose({ min: s }))).toThrow(/^Tensor\.clamp: option 'min' is a Promise, .*did you forget an 'await'\?$/);
    await s;
  });

  it('a method where its value is expected (loader.length for len(loader)) says to call it', () => {
    const opt = new torch.optim.SGD([torch.zeros([2], { requiresGrad: true })], { lr: 0.1 });
    const loader = new torch.utils.data.DataLoader(new torch.utils.data.TensorDataset(x()), { batchSize: 1 });
    expect(() => new torch.optim.lrScheduler.OneCycleLR(opt, 0.1, { epochs: 2, stepsPerEpoch: loose(loader.length) }))
      .toThrow(/^OneCycleLR: option 'stepsPerEpoch' must be number, not function 'length' \(did you forget to call it: length\(\)\?\)$/);
    expect(() => x().reshape(loose(x().numel))).toThrow(/not function 'numel' \(did you forget to call it: numel\(\)\?\)/);
  });

  it('a required argument passed by keyword, as PyTorch allows, says it is positional here', () => {
    const ps = [torch.zeros([2], { requiresGrad: true })];
    expect(() => nn.utils.clipGradNorm_(ps, loose({ max_norm: 1.0 }))).toThrow(/^clipGradNorm_: argument 'maxNorm' \(position 2\) must be number, not plain object; 'maxNorm' is positional here: expected clipGradNorm_\(parameters, maxNorm, /);
    expect(() => nn.utils.clipGradNorm_(ps, loose({ maxNorm: 1.0 }))).toThrow(/'maxNorm' is positional here/);
    expect(() => nn.utils.clipGradNorm_(ps, loose({ foo: 1.0 }))).toThrow(/must be number, not plain object$/);
  });

  it('module.call with more arguments than forward accepts is an error, not a dropped argument', () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dropout: 0 });
    const src = torch.randn([3, 2, 4]), mask = torch.zeros([3, 3]);
    expect(() => layer.call(src, loose(mask))).toThrow(/^TransformerEncoderLayer\.forward: expected at most 1 positional argument before the options object \{ srcMask, srcKeyPaddingMask, isCausal \}/);
    expect(layer.call(src, { srcMask: mask }).shape).toEqual([3, 2, 4]);
    const lin = new nn.Linear(3, 2);
    expect(() => callLoose(lin.call, lin, x(), mask)).toThrow(/^Linear\.forward: expected at most 1 argument \(got 2\)/);
    // User modules: forward's arity is not knowable (defaults do not count in Function.length); never checked.
    class Masked extends nn.Module {
      fc = new nn.Linear(3, 2);
      forward(a: Tensor, m: Tensor | null = null): Tensor { return m ? this.fc.forward(a).mul(m) : this.fc.forward(a); }
    }
    const net = new Masked();
    expect(net.call(x(), torch.ones([2, 2])).shape).toEqual([2, 2]);
    expect(net.call(x()).shape).toEqual([2, 2]);
    // A user subclass of a built-in layer that passes the right arguments on is fine.
    class Wide extends nn.Linear { constructor(n: number, private readonly k: number) { super(n, n * k); } }
    expect(new Wide(3, 2).call(x()).shape).toEqual([2, 6]);
    expect(new Wide(3, 2)).toBeInstanceOf(nn.Linear);
  });

  it('what may carry any key is exempt: state dicts, saved objects, param groups', async () => {
    const lin = new nn.Linear(2, 2);
    expect(() => lin.loadStateDict({ whatever: torch.zeros([1]) }, { strict: false })).not.toThrow();
    expect(() => lin.loadStateDict({}, loose({ strct: false }))).toThrow(/Module\.loadStateDict: unknown option 'strct' \(did you mean 'strict'\?\)/);
    const p = torch.zeros([2], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [p], lr: 0.1, name: 'head' } as { params: Tensor[]; lr: number }], { lr: 1 });
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(torch.utils.data.defaultCollate([{ a: 1, anyKey: 2 }])).toBeTruthy();
  });

  it('trailing undefined arguments and undefined option values count as absent', async () => {
    expect(await torch.add(x(), 1, undefined).sum().item()).toBe(3);
    expect(await x().sum(undefined, undefined).item()).toBe(-3);
    expect(await F.crossEntropy(x(), torch.tensor([0, 1]), { labelSmoothing: undefined }).item()).toBeCloseTo(1.0664925575256348, 5); // PyTorch 1.13
    const p = torch.zeros([1], { requiresGrad: true });
    const opt = new optim.SGD([p], { lr: 0.1 }), s = new optim.lrScheduler.StepLR(opt, 1);
    s.step(undefined);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.01);
  });

  it('did-you-mean: snake_case first, then case, then edit distance', () => {
    expect(didYouMean('label_smoothing', ['weight', 'labelSmoothing'])).toBe('labelSmoothing');
    expect(didYouMean('batchsize', ['batchSize', 'shuffle'])).toBe('batchSize');
    expect(didYouMean('bais', ['bias', 'device', 'dtype'])).toBe('bias');
    expect(didYouMean('momentun', ['momentum', 'lr'])).toBe('momentum');
    expect(didYouMean('zzz', ['bias', 'device'])).toBeNull();
  });

  it('the generated signature facades match the current TypeScript signatures', () => {
    const files = generate();
    expect(files.size).toBeGreaterThan(5);
    for (const [path, text] of files) {
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : '(missing)';
      expect(committed, `${path} is stale: run npm run gen:signatures`).toBe(text);
    }
  }, 60_000);
});

for (const device of testDevices()) {
  describe(`attention masks on ${device} follow PyTorch's dtype rule`, () => {
    const q = () => torch.randn([2, 3, 4], { device });
    it('an int32 mask is a TypeError; bool and float masks work', async () => {
      const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true, device });
      const kpmInt = torch.zeros([2, 3], { dtype: 'int32', device });
      expect(() => mha.call(q(), q(), q(), { keyPaddingMask: kpmInt }))
        .toThrow(new TypeError('MultiheadAttention: only bool and floating types of keyPaddingMask are supported, got int32'));
      expect(() => mha.call(q(), q(), q(), { attnMask: torch.zeros([3, 3], { dtype: 'int32', device }) }))
        .toThrow(/^MultiheadAttention: only bool and floating types of attnMask are supported, got int32$/);
      const layer = new nn.TransformerEncoderLayer(4, 2, { batchFirst: true, dropout: 0, device });
      expect(() => layer.call(q(), { srcKeyPaddingMask: kpmInt })).toThrow(/only bool and floating types of keyPaddingMask are supported, got int32/);
      expect(() => layer.call(q(), { srcMask: torch.zeros([3, 3], { dtype: 'uint8', device }) })).toThrow(/only bool and floating types of attnMask are supported, got uint8/);
      const dec = new nn.TransformerDecoderLayer(4, 2, { batchFirst: true, dropout: 0, device });
      expect(() => dec.call(q(), q(), { memoryKeyPaddingMask: kpmInt })).toThrow(/keyPaddingMask are supported, got int32/);
      expect(() => F.scaledDotProductAttention(q(), q(), q(), { attnMask: torch.ones([3, 3], { dtype: 'int32', device }) }))
        .toThrow(/^scaledDotProductAttention: only bool and floating types of attnMask are supported, got int32$/);
      // Valid masks: a bool key padding mask equals the same float (-inf) mask.
      const input = q();
      const kpmBool = torch.tensor([[false, false, true], [false, false, false]], { device });
      const [a] = mha.call(input, input, input, { keyPaddingMask: kpmBool });
      const [b] = mha.call(input, input, input, { keyPaddingMask: torch.zeros([2, 3], { device }).maskedFill(kpmBool, -Infinity) });
      const da = await a.data(), db = await b.data();
      da.forEach((v, i) => expect(Math.abs(Number(v) - Number(db[i]))).toBeLessThan(1e-6));
    });
  });
}
