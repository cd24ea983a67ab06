// PyTorch 1.13's hook-based nn.utils.weightNorm / removeWeightNorm: a 1.13 state_dict with
// `weight_g` / `weight_v` loads, and two SGD steps match PyTorch (outputs, first-step gradients, final
// state, and the weight removeWeightNorm leaves). Expected values were printed by PyTorch 1.13
// (/usr/bin/python3) with this script, for dim = 0, None and 1:
//   lin = nn.Linear(3, 2); nn.utils.weight_norm(lin, dim=dim)
//   lin.load_state_dict({'bias': torch.tensor([0.1, -0.2]), 'weight_g': torch.tensor(g),
//                        'weight_v': torch.tensor([[1., -2., 3.], [0.5, 4., -1.]])})
//   opt = torch.optim.SGD(lin.parameters(), lr=0.1); x = torch.tensor([[1., 2., 3.], [-1., 0.5, 2.]])
//   for step in range(2): opt.zero_grad(); out = lin(x); (out ** 2).sum().backward(); opt.step()
//   nn.utils.remove_weight_norm(lin)
// Every test device.
import { describe, expect, it } from 'vitest';
import { testDevices, torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn;
interface Ref { g: number[] | number[][] | number; gShape: number[]; outs: number[][]; grads: Record<string, number[]>; state: Record<string, number[]>; weight: number[] }
const V = [[1, -2, 3], [0.5, 4, -1]];
const REFS: [number | null, Ref][] = [
  [0, {
    g: [[2], [0.5]], gShape: [2, 1],
    outs: [[3.3071346282958984, 0.46212226152420044, 2.2380895614624023, -0.2601929306983948], [-0.9027184247970581, 0.24261774122714996, -0.8380533456802368, -0.2882840633392334]],
    grads: { bias: [11.090448379516602, 0.40385866165161133], weight_g: [15.391663551330566, 1.2865729331970215], weight_v: [-1.055951714515686, 12.664878845214844, 8.795236587524414, 0.15526707470417023, 0.042040497064590454, 0.24579569697380066] },
    state: { bias: [-0.660890519618988, -0.23125261068344116], weight_g: [0.5646814703941345, 0.3007914423942566], weight_v: [1.1038390398025513, -3.206305503845215, 2.214099884033203, 0.4757158160209656, 3.995765209197998, -1.0288406610488892] },
    weight: [0.15391212701797485, -0.44706636667251587, 0.308719664812088, 0.03445136547088623, 0.289373517036438, -0.07450869679450989],
  }],
  [null, {
    g: 3, gShape: [],
    outs: [[3.3199377059936523, 2.7516098022460938, 2.2466249465942383, -0.46832817792892456], [-0.8986662030220032, -0.05489736795425415, -0.7238107323646545, -1.157658576965332]],
    grads: { bias: [11.133125305175781, 4.566563129425049], weight_g: [15.839999198913574], weight_v: [-0.3686397075653076, 11.373607635498047, 10.950735092163086, 2.6956801414489746, -0.4272160530090332, 9.375328063964844] },
    state: { bias: [-0.6888172030448914, -0.4141451418399811], weight_g: [1.3828953504562378], weight_v: [1.0466713905334473, -3.037788152694702, 2.106715679168701, 0.17772509157657623, 4.0812907218933105, -1.8209172487258911] },
    weight: [0.24548283219337463, -0.7124727368354797, 0.4941020905971527, 0.041683051735162735, 0.9572123885154724, -0.42707186937332153],
  }],
  [1, {
    g: [[1, 2, 0.5]], gShape: [1, 3],
    outs: [[0.6285977363586426, 3.3505806922912598, -0.29295745491981506, -0.06901417672634125], [2.0360491275787354, -0.34617626667022705, 0.878365159034729, -1.218820571899414]],
    grads: { bias: [0.671280562877655, 6.563133239746094], weight_g: [4.707106113433838, 10.932217597961426, -3.8036375045776367], weight_v: [-2.117156982421875, 3.179898500442505, 0.98160320520401, 4.234314441680908, 1.5899500846862793, 2.944809675216675] },
    state: { bias: [-0.5500109195709229, -0.5433139801025391], weight_g: [0.28720685839653015, 1.5958703756332397, -0.8393942713737488], weight_v: [1.216102957725525, -2.428392171859741, 2.901174306869507, 0.007139784749597311, 3.774379014968872, -1.2959723472595215] },
    weight: [0.2872019112110138, -0.8634835481643677, -0.7664035558700562, 0.0016861727926880121, 1.3420872688293457, 0.34235715866088867],
  }],
];
const tol = { atol: 1e-5, rtol: 1e-4 };
async function expectClose(t: Tensor, want: number[], tl: typeof tol, what: string): Promise<void> {
  const got = Array.from(await t.data(), Number);
  expect(got.length, `${what} size`).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${what}[${i}]: ${g} vs PyTorch ${want[i]}`).toBeLessThanOrEqual(tl.atol + tl.rtol * Math.abs(want[i]!)));
}

for (const device of testDevices()) {
  describe(`nn.utils.weightNorm (PyTorch 1.13 hook form) on ${device}`, () => {
    for (const [dim, r] of REFS) {
      it(`dim=${dim}: a weight_g/weight_v stateDict loads and SGD training matches PyTorch`, async () => {
        const lin = new nn.Linear(3, 2);
        // dim positional, as PyTorch's weight_norm(lin, 'weight', dim); the options form for dim=null
        if (dim === null) nn.utils.weightNorm(lin, { dim: null }); else nn.utils.weightNorm(lin, 'weight', dim);
        expect(lin.stateDict().weight_g!.shape).toEqual(r.gShape);
        lin.loadStateDict({ bias: torch.tensor([0.1, -0.2]), weight_g: torch.tensor(r.g), weight_v: torch.tensor(V) });
        lin.to(device);
        expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weight_g', 'weight_v']);
        const opt = new torch.optim.SGD(lin.parameters(), { lr: 0.1 });
        const x = torch.tensor([[1, 2, 3], [-1, 0.5, 2]], { device });
        for (let step = 0; step < 2; step++) {
          opt.zeroGrad();
          const out = lin.forward(x);
          await expectClose(out.reshape(-1), r.outs[step]!, tol, `out step ${step}`);
          out.square().sum().backward();
          if (step === 0) for (const [n, p] of lin.namedParameters()) await expectClose(p.grad!.reshape(-1), r.grads[n]!, tol, `${n}.grad`);
          opt.step();
        }
        const sd = lin.stateDict();
        for (const [k, v] of Object.entries(r.state)) await expectClose(sd[k]!.reshape(-1), v, tol, `stateDict ${k}`);
        nn.utils.removeWeightNorm(lin);
        expect(Object.keys(lin.stateDict())).toEqual(['bias', 'weight']);
        expect(lin.weight).toBeInstanceOf(nn.Parameter);
        await expectClose(lin.weight.reshape(-1), r.weight, tol, 'weight after removeWeightNorm');
        expect(lin.namedParameters().map(([n]) => n)).toEqual(['bias', 'weight']);
      });
    }
  });
}

describe('nn.utils.weightNorm errors (PyTorch 1.13 messages)', () => {
  it('twice on one parameter, removing one that is not there, a missing parameter, a misspelled option', () => {
    const lin = nn.utils.weightNorm(new nn.Linear(3, 2));
    expect(() => nn.utils.weightNorm(lin)).toThrow('Cannot register two weight_norm hooks on the same parameter weight');
    expect(() => nn.utils.removeWeightNorm(new nn.Linear(2, 2))).toThrow("weight_norm of 'weight' not found in Linear(in_features=2, out_features=2, bias=True)");
    expect(() => nn.utils.weightNorm(new nn.Linear(2, 2), 'nope')).toThrow("'Linear' object has no parameter 'nope'");
    expect(() => nn.utils.weightNorm(new nn.Linear(2, 2), { dims: 1 } as never)).toThrow(/unknown option 'dims'/);
  });
});
