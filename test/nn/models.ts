// The models of the whole-model PyTorch training runs (test/nn/training_pytorch.test.ts), mirroring
// test/fixtures/training_fixtures.py field for field (the field names are the stateDict keys). The
// ONNX export tests (test/onnx/) export the same models.
import { torch } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const nn = torch.nn;

export class CNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 4, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(4);
  pool = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(4, 6, 3, { bias: false });
  bn2 = new nn.BatchNorm2d(6, { momentum: 0.2 });
  drop = new nn.Dropout(0);
  fc = new nn.Linear(6, 3);
  forward(x: Tensor): Tensor {
    const h = this.pool.forward(this.bn1.forward(this.conv1.forward(x)).relu());
    const g = this.pool.forward(this.bn2.forward(this.conv2.forward(h)).relu());
    return this.fc.forward(this.drop.forward(g.flatten(1)));
  }
}
export class LSTMNet extends nn.Module {
  lstm = new nn.LSTM(3, 5, { numLayers: 2, batchFirst: true, bidirectional: true });
  head = new nn.Linear(10, 2);
  forward(x: Tensor): Tensor { return this.head.forward(this.lstm.forward(x)[0]); }
}
export class TinyLM extends nn.Module {
  emb = new nn.Embedding(11, 8);
  encoder: InstanceType<typeof nn.TransformerEncoder>;
  head = new nn.Linear(8, 11);
  constructor(normFirst: boolean) {
    super();
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, normFirst });
    this.encoder = new nn.TransformerEncoder(layer, 2, { norm: normFirst ? new nn.LayerNorm(8) : null });
  }
  forward(tok: Tensor): Tensor {
    const mask = nn.Transformer.generateSquareSubsequentMask(tok.shape[1]!, { device: tok.device });
    return this.head.forward(this.encoder.forward(this.emb.forward(tok), { mask }));
  }
}
export class RNNClassifier extends nn.Module {
  rnn: InstanceType<typeof nn.GRU> | InstanceType<typeof nn.RNN>;
  head = new nn.Linear(6, 3);
  constructor(kind: 'gru' | 'rnn') {
    super();
    this.rnn = kind === 'gru' ? new nn.GRU(3, 6, { batchFirst: true }) : new nn.RNN(3, 6, { numLayers: 2, nonlinearity: 'tanh', batchFirst: true });
  }
  forward(x: Tensor): Tensor {
    const h = this.rnn.forward(x)[1] as Tensor;
    return this.head.forward(h.select(0, h.shape[0]! - 1));
  }
}
export const mlp = (): InstanceType<typeof nn.Sequential> => new nn.Sequential(new nn.Linear(6, 16), new nn.LayerNorm(16), new nn.GELU(), new nn.Linear(16, 16),
  new nn.RMSNorm(16), new nn.GELU({ approximate: 'tanh' }), new nn.Linear(16, 3));

/** GPT-style: paddingIdx 0, the output projection tied to the embedding, causal + key padding masks. */
export class TiedLM extends nn.Module {
  emb = new nn.Embedding(12, 8, { paddingIdx: 0 });
  encoder = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: 'gelu', batchFirst: true, normFirst: true }), 1, { norm: new nn.LayerNorm(8) });
  head = new nn.Linear(8, 12, { bias: false });
  constructor() { super(); this.head.weight = this.emb.weight; }
  forward(tok: Tensor): Tensor {
    const mask = nn.Transformer.generateSquareSubsequentMask(tok.shape[1]!, { device: tok.device });
    return this.head.forward(this.encoder.forward(this.emb.forward(tok), { mask, srcKeyPaddingMask: tok.eq(0) }));
  }
}
/** Weight decay on matrices only, another lr for the rest (the usual AdamW split). */
export const decayGroups = (m: InstanceType<typeof nn.Module>) => {
  const named = m.namedParameters(); // a shared parameter appears once
  return [{ params: named.filter(([, p]) => p.ndim >= 2).map(([, p]) => p), weightDecay: 0.1 },
    { params: named.filter(([, p]) => p.ndim < 2).map(([, p]) => p), weightDecay: 0, lr: 0.02 }];
};
export class CNN2 extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(2, 6, 3, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(6, { momentum: null }), new nn.ReLU6(),
    new nn.Conv2d(6, 6, 3, { padding: 1, groups: 3 }), new nn.GroupNorm(3, 6), new nn.SiLU(), new nn.AvgPool2d(2),
    new nn.Conv2d(6, 8, 1, { bias: false }), new nn.BatchNorm2d(8), new nn.LeakyReLU(0.1), new nn.AdaptiveAvgPool2d(1));
  classifier = new nn.Sequential(new nn.Flatten(), new nn.Dropout(0.3), new nn.Linear(8, 4));
  forward(x: Tensor): Tensor { return this.classifier.forward(this.features.forward(x)); }
}
export const CLASS_W = [1, 2, 0.5, 1.5];

/** Variable-length sequences: maxNorm Embedding, a bidirectional LSTM over a PackedSequence. */
export class PackedLSTM extends nn.Module {
  emb = new nn.Embedding(10, 4, { paddingIdx: 0, maxNorm: 1 });
  lstm = new nn.LSTM(4, 6, { batchFirst: true, bidirectional: true });
  head = new nn.Linear(12, 3);
  forward(tok: Tensor, lengths?: number[] | Tensor): Tensor {
    const packed = nn.utils.rnn.packPaddedSequence(this.emb.forward(tok), lengths!, { batchFirst: true, enforceSorted: false });
    const [h] = this.lstm.forward(packed)[1];
    return this.head.forward(torch.cat([h.select(0, 0), h.select(0, 1)], 1));
  }
}
export class AutoEncoder extends nn.Module {
  enc = new nn.Sequential(new nn.Conv2d(1, 4, 3, { stride: 2, padding: 1, bias: false }), new nn.InstanceNorm2d(4, { affine: true }), new nn.ELU());
  dec = new nn.ConvTranspose2d(4, 1, 3, { stride: 2, padding: 1, outputPadding: 1 });
  forward(x: Tensor): Tensor { return this.dec.forward(this.enc.forward(x)); }
}
export class TextCNN extends nn.Module {
  emb = new nn.Embedding(20, 6, { scaleGradByFreq: true });
  conv = new nn.Conv1d(6, 8, 3, { padding: 1 });
  pool = new nn.AdaptiveMaxPool1d(1);
  fc = new nn.Linear(8, 2);
  forward(tok: Tensor): Tensor {
    const h = this.conv.forward(this.emb.forward(tok).transpose(1, 2)).relu();
    return this.fc.forward(this.pool.forward(h).squeeze(-1));
  }
}

