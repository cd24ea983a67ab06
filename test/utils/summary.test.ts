// torch.utils.summary (torchinfo's table) for the Fashion-MNIST Net: per-layer output shapes and
// parameter counts worked out by hand.
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import { Net } from '../../examples/train-fashion-mnist.js';

describe('torch.utils.summary', () => {
  it('lists the Fashion-MNIST Net as torchinfo does', () => {
    const net = new Net();
    net.train();
    const s = torch.utils.summary(net, [2, 1, 28, 28], { verbose: 0 });
    const conv1 = 1 * 16 * 3 * 3 + 16;          // 160
    const conv2 = 16 * 32 * 3 * 3 + 32;         // 4,640
    const fc1 = 32 * 7 * 7 * 128 + 128;         // 200,832
    const fc2 = 128 * 10 + 10;                  // 1,290
    const total = conv1 + conv2 + fc1 + fc2;    // 206,922
    expect(s.totalParams).toBe(total);
    expect(s.trainableParams).toBe(total);
    expect(s.nonTrainableParams).toBe(0);
    expect(s.rows.map((r) => [r.type, r.depth, r.index, r.outputShapes, r.params])).toEqual([
      ['Net', 0, 1, [[2, 10]], null],
      ['Sequential', 1, 1, [[2, 32, 7, 7]], null],
      ['Conv2d', 2, 1, [[2, 16, 28, 28]], conv1],
      ['ReLU', 2, 2, [[2, 16, 28, 28]], null],
      ['MaxPool2d', 2, 3, [[2, 16, 14, 14]], null],
      ['Conv2d', 2, 4, [[2, 32, 14, 14]], conv2],
      ['ReLU', 2, 5, [[2, 32, 14, 14]], null],
      ['MaxPool2d', 2, 6, [[2, 32, 7, 7]], null],
      ['Sequential', 1, 2, [[2, 10]], null],
      ['Flatten', 2, 7, [[2, 1568]], null],
      ['Linear', 2, 8, [[2, 128]], fc1],
      ['ReLU', 2, 9, [[2, 128]], null],
      ['Linear', 2, 10, [[2, 10]], fc2],
    ]);
    const t = String(s);
    expect(t).toContain('Layer (type:depth-idx)');
    expect(t).toMatch(/├─Sequential: 1-1\s+\[2, 32, 7, 7\]\s+--/);
    expect(t).toMatch(/│ {4}└─Conv2d: 2-1\s+\[2, 16, 28, 28\]\s+160\n/);
    expect(t).toMatch(/└─Linear: 2-8\s+\[2, 128\]\s+200,832\n/);
    expect(t).toContain('Total params: 206,922');
    expect(t).toContain('Trainable params: 206,922');
    expect(t).toContain('Non-trainable params: 0');
    expect(net.training).toBe(true); // mode restored
    expect(net.features.training).toBe(true);
  });

  it('depth 1 rolls deeper layers into their parent; frozen parameters are non-trainable', () => {
    const net = new Net();
    for (const p of net.features.parameters()) p.requiresGrad = false;
    const s = torch.utils.summary(net, [1, 1, 28, 28], { depth: 1, verbose: 0 });
    expect(s.rows.map((r) => [r.type, r.params])).toEqual([['Net', null], ['Sequential', 160 + 4640], ['Sequential', 200832 + 1290]]);
    expect(s.trainableParams).toBe(200832 + 1290);
    expect(s.nonTrainableParams).toBe(160 + 4640);
    expect(String(s)).toContain('Non-trainable params: 4,800');
  });
});
