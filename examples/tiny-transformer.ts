// A tiny decoder-only transformer (nn.TransformerEncoder with a causal mask, pre-norm, learned
// positions) learns to sort digits: it reads "d1..d6 SEP" and writes the six digits in order, one token
// at a time. Prints the loss and the teacher-forced token accuracy rising, then greedy-decodes fresh
// sequences. `trainTinyTransformer` is exported so the tests run a few steps; the script's options:
// --steps N (default 600), --device cpu|webgpu|cuda, --batch-size N, --lr X.
import * as torch from '../src/index.js';
import { bestDevice, cliOptions, isMain } from './cli.js';

const { nn, optim } = torch;
const F = torch.nn.functional;

const DIGITS = 6, SEP = 10, VOCAB = 11, CONTEXT = 2 * DIGITS;  // the model sees d1..d6 SEP s1..s5

/** Exported for reuse and for checks against the same network in PyTorch (same parameter names). */
export class TinyTransformer extends nn.Module {
  tok = new nn.Embedding(VOCAB, 64);
  pos = new nn.Embedding(CONTEXT, 64);
  encoder = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(64, 4, { dimFeedforward: 128, dropout: 0, batchFirst: true, normFirst: true }), 2);
  norm = new nn.LayerNorm(64);
  head = new nn.Linear(64, VOCAB);

  /** x: [B, T] tokens (T <= CONTEXT) -> next-token logits [B, T, VOCAB]; position t sees tokens <= t. */
  forward(x: torch.Tensor): torch.Tensor {
    const T = x.shape[1]!;
    const h = this.tok.forward(x).add(this.pos.forward(torch.arange(T, { device: x.device })));
    const mask = nn.Transformer.generateSquareSubsequentMask(T, { device: x.device });
    return this.head.forward(this.norm.forward(this.encoder.forward(h, { mask, isCausal: true })));
  }
}

/** A batch of tasks: [B, 2 * DIGITS + 1] = random digits, SEP, the same digits sorted. */
function makeBatch(batchSize: number, device: torch.Device): torch.Tensor {
  const digits = torch.randint(0, 10, [batchSize, DIGITS], { device });
  const sep = torch.full([batchSize, 1], SEP, { dtype: 'int32', device });
  return torch.cat([digits, sep, digits.sort(1).values], 1);
}

/** Greedy decoding of the sorted half from "d1..d6 SEP"; returns the [B, DIGITS] predicted digits. */
function greedySort(model: TinyTransformer, prompt: torch.Tensor): torch.Tensor {
  return torch.noGrad(() => {
    let seq = prompt;
    for (let i = 0; i < DIGITS; i++) {
      // One tidy per token: a forward pass's activations are freed before the next pass, not at the end.
      const longer = torch.tidy(() => torch.cat([seq, model.forward(seq).select(1, -1).argmax(-1, true)], 1));
      if (seq !== prompt) seq.dispose();
      seq = longer;
    }
    const out = seq.narrow(1, DIGITS + 1, DIGITS);
    seq.dispose();
    return out;
  });
}

export interface TinyTransformerOptions {
  steps?: number; device?: torch.Device; batchSize?: number; lr?: number; seed?: number; log?: (line: string) => void;
}

export async function trainTinyTransformer(o: TinyTransformerOptions = {}): Promise<{ losses: number[]; accuracies: number[]; sequenceAccuracy: number }> {
  const { steps = 600, device = 'cpu', batchSize = 64, lr = 1e-3, seed = 0, log = console.log } = o;
  torch.manualSeed(seed);
  log(`tiny-transformer: sort ${DIGITS} digits, device ${device}, ${steps} steps`);
  const model = new TinyTransformer().to(device);
  const opt = new optim.Adam(model.parameters(), { lr });
  // Only the sorted half is scored: targets before it are ignoreIndex (PyTorch's default, -100).
  const scored = torch.arange(CONTEXT, { device }).ge(DIGITS);
  const losses: number[] = [], accuracies: number[] = [];
  for (let step = 0; step < steps; step++) {
    const [loss, correct] = torch.tidy(() => {
      const seq = makeBatch(batchSize, device);
      const input = seq.narrow(1, 0, CONTEXT), target = torch.where(scored, seq.narrow(1, 1, CONTEXT), -100);
      const logits = model.forward(input);
      const l = F.crossEntropy(logits.reshape(-1, VOCAB), target.reshape(-1), { ignoreIndex: -100 });
      opt.zeroGrad();
      l.backward();
      opt.step();
      return [l.detach(), logits.detach().argmax(-1).eq(target).sum()];
    });
    losses.push(Number(await loss.item()));
    accuracies.push(Number(await correct.item()) / (batchSize * DIGITS));
    torch.dispose([loss, correct]);
    if (step % 50 === 0 || step === steps - 1)
      log(`step ${String(step).padStart(4)}  loss ${losses[step]!.toFixed(4)}  token accuracy ${(accuracies[step]! * 100).toFixed(1)}%`);
  }

  // Greedy decoding on fresh sequences: a sequence counts only if all DIGITS outputs are right.
  model.eval();
  const test = makeBatch(500, device);
  // In chunks of 100: a pass's activations live until its tidy ends, so this bounds the peak memory.
  const chunks = [0, 100, 200, 300, 400].map((i) => greedySort(model, test.narrow(0, i, 100).narrow(1, 0, DIGITS + 1)));
  const pred = torch.cat(chunks);
  torch.dispose(chunks);
  const right = torch.noGrad(() => pred.eq(test.narrow(1, DIGITS + 1, DIGITS)).all(1).float().mean());
  const sequenceAccuracy = Number(await right.item());
  const shownIn = (await test.narrow(0, 0, 3).narrow(1, 0, DIGITS).tolist()) as number[][];
  const shownOut = (await pred.narrow(0, 0, 3).tolist()) as number[][];
  for (let i = 0; i < 3; i++) log(`  ${shownIn[i]!.join('')} -> ${shownOut[i]!.join('')}`);
  log(`greedy decoding: ${(sequenceAccuracy * 100).toFixed(1)}% of 500 fresh sequences sorted exactly`);
  torch.dispose([scored, test, pred, right]);
  return { losses, accuracies, sequenceAccuracy };
}

if (isMain(import.meta.url)) {
  const { num, device } = cliOptions(process.argv.slice(2), ['device', 'steps', 'batch-size', 'lr']);
  await torch.init();
  await trainTinyTransformer({ device: device() ?? bestDevice(), steps: num('steps'), batchSize: num('batch-size'), lr: num('lr') });
}
