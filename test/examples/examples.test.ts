// The char-lstm and tiny-transformer examples run a few small training steps on the CPU as plain
// function calls (no timing assertions) and their loss falls; char-lstm also samples text from its
// vocabulary. Sizes are cut down so each stays within a few seconds on two cores.
import { describe, expect, it } from 'vitest';
import '../helpers.js'; // torch.init()
import { trainCharLstm } from '../../examples/char-lstm.js';
import { trainTinyTransformer } from '../../examples/tiny-transformer.js';
import { SONNETS } from '../../examples/sonnets.js';

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('examples', () => {
  it('char-lstm: the loss falls and the sample is text from the corpus alphabet', async () => {
    const { losses, sample } = await trainCharLstm({ steps: 25, seqLen: 24, batchSize: 16, hidden: 48, lr: 1e-2, sampleLength: 40, log: () => {} });
    expect(losses).toHaveLength(25);
    expect(mean(losses.slice(-5))).toBeLessThan(losses[0]! - 0.5);
    expect(sample.startsWith('Shall I ')).toBe(true);
    expect(sample).toHaveLength(8 + 40);
    const alphabet = new Set(SONNETS);
    for (const c of sample) expect(alphabet.has(c)).toBe(true);
  });
  it('tiny-transformer: the loss falls and the token accuracy rises', async () => {
    const { losses, accuracies, sequenceAccuracy } = await trainTinyTransformer({ steps: 30, batchSize: 32, lr: 3e-3, log: () => {} });
    expect(losses).toHaveLength(30);
    expect(mean(losses.slice(-5))).toBeLessThan(losses[0]! - 0.5);
    expect(mean(accuracies.slice(-5))).toBeGreaterThan(accuracies[0]! + 0.15);
    expect(sequenceAccuracy).toBeGreaterThanOrEqual(0);
    expect(sequenceAccuracy).toBeLessThanOrEqual(1);
  });
});
