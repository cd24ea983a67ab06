// Char-level language model: an Embedding -> LSTM -> Linear network learns five Shakespeare sonnets
// (examples/sonnets.ts) from random windows with Adam, prints the loss falling, then samples text with
// torch.multinomial. `trainCharLstm` is exported so the tests run a few steps; the script's options:
// --steps N (default 400), --device cpu|webgpu|cuda, --seq-len N, --batch-size N, --hidden N, --temperature X.
import * as torch from '../src/index.js';
import { bestDevice, cliOptions, isMain } from './cli.js';
import { SONNETS } from './sonnets.js';

const { nn, optim } = torch;
const F = torch.nn.functional;

/** Exported for reuse and for checks against the same network in PyTorch (same parameter names). */
export class CharLSTM extends nn.Module {
  embed: InstanceType<typeof nn.Embedding>;
  lstm: InstanceType<typeof nn.LSTM>;
  head: InstanceType<typeof nn.Linear>;
  constructor(vocab: number, hidden: number) {
    super();
    this.embed = new nn.Embedding(vocab, 32);
    this.lstm = new nn.LSTM(32, hidden, { batchFirst: true });
    this.head = new nn.Linear(hidden, vocab);
  }
  /** x: [B, T] char ids -> logits [B, T, vocab] and the LSTM state to continue from. */
  forward(x: torch.Tensor, state: [torch.Tensor, torch.Tensor] | null = null): [torch.Tensor, [torch.Tensor, torch.Tensor]] {
    const [out, next] = this.lstm.forward(this.embed.forward(x), state);
    return [this.head.forward(out), next];
  }
}

export interface CharLstmOptions {
  steps?: number; device?: torch.Device; seqLen?: number; batchSize?: number; hidden?: number; lr?: number;
  sampleLength?: number; temperature?: number; seed?: number; log?: (line: string) => void;
}

export async function trainCharLstm(o: CharLstmOptions = {}): Promise<{ losses: number[]; sample: string }> {
  const { steps = 400, device = 'cpu', seqLen = 64, batchSize = 32, hidden = 128, lr = 5e-3, sampleLength = 300,
    temperature = 0.7, seed = 0, log = console.log } = o;
  torch.manualSeed(seed);
  const chars = [...new Set(SONNETS)].sort();
  const stoi = new Map(chars.map((c, i) => [c, i]));
  const data = torch.tensor(Int32Array.from(SONNETS, (c) => stoi.get(c)!), { device });
  log(`char-lstm: ${SONNETS.length} chars, vocabulary ${chars.length}, device ${device}, ${steps} steps`);

  const model = new CharLSTM(chars.length, hidden).to(device);
  const opt = new optim.Adam(model.parameters(), { lr });
  const offsets = torch.arange(seqLen + 1, { device });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = torch.tidy(() => {
      // batchSize random windows of seqLen + 1 chars: inputs are the first seqLen, targets the next.
      const starts = torch.randint(0, SONNETS.length - seqLen - 1, [batchSize, 1], { device });
      const windows = data.index(starts.add(offsets));
      const [logits] = model.forward(windows.narrow(1, 0, seqLen));
      const l = F.crossEntropy(logits.reshape(-1, chars.length), windows.narrow(1, 1, seqLen).reshape(-1));
      opt.zeroGrad();
      l.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1.0);
      opt.step();
      return l.detach();
    });
    losses.push(Number(await loss.item()));
    loss.dispose();
    if (step % 25 === 0 || step === steps - 1) log(`step ${String(step).padStart(4)}  loss ${losses[step]!.toFixed(4)}`);
  }

  // Sampling: feed the prompt, then draw one char at a time from softmax(logits / temperature).
  model.eval();
  const prompt = 'Shall I ';
  let text = prompt;
  let state: [torch.Tensor, torch.Tensor] | null = null;
  let input = torch.tensor([[...prompt].map((c) => stoi.get(c)!)], { dtype: 'int32', device });
  for (let i = 0; i < sampleLength; i++) {
    const next = torch.noGrad(() => torch.tidy(() => {
      const [logits, st] = model.forward(input, state);
      const probs = logits.select(1, -1).div(temperature).softmax(-1);
      return { id: probs.multinomial(1), st };
    }));
    if (state) torch.dispose(state);
    input.dispose();
    state = next.st;
    input = next.id;  // [1, 1]: the drawn char is the next input
    text += chars[Number(await input.item())]!;
  }
  torch.dispose([input, ...(state ?? []), data, offsets]);
  log(`sample (temperature ${temperature}):\n${text}`);
  return { losses, sample: text };
}

if (isMain(import.meta.url)) {
  const { num, device } = cliOptions(process.argv.slice(2), ['device', 'steps', 'seq-len', 'batch-size', 'hidden', 'temperature']);
  await torch.init();
  await trainCharLstm({
    device: device() ?? bestDevice(), steps: num('steps'), seqLen: num('seq-len'), batchSize: num('batch-size'),
    hidden: num('hidden'), temperature: num('temperature'),
  });
}
