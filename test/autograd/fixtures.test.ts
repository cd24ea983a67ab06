// Autograd vs PyTorch fixtures (test/fixtures/gen_autograd.py): higher-order gradients through
// createGraph, gradient-penalty double backward, in-place ops on non-leaf tensors, hooks and
// broadcasting, conv2d + ReLU + max pooling (first order in float32, and a gradient penalty). The
// suite differentiates every output once more, so second-order cases check third-order gradients too.
import { opSuite, torch, type OpImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const grad1 = (y: Tensor, x: Tensor): Tensor => torch.autograd.grad(y, x, { createGraph: true })[0]!;
const F = torch.nn.functional;

const impls: Record<string, OpImpl> = {
  'd2/x3sin': (x) => grad1(grad1(x.pow(3).mul(x.sin()).sum(), x).sum(), x),
  'd1/x3sin': (x) => grad1(x.pow(3).mul(torch.sin(x)).sum(), x),
  'gradPenalty/matmulTanh': (x, w, b) => {
    const out = torch.tanh(x.matmul(w!).add(b!));
    const gx = grad1(out.sum(), x);
    return gx.norm(2, 1).sub(1).pow(2).mean();
  },
  'doubleBackward/softmax': (x, w) => grad1(torch.softmax(x, -1).mul(w!).sum(), x),
  'doubleBackward/logSoftmax': (x, w) => grad1(x.logSoftmax(1).mul(w!).sum(), x),
  'doubleBackward/matmulPow': (a, b) => grad1(a.matmul(b!).pow(2).sum(), a),
  'doubleBackward/sigmoid': (x) => grad1(x.sigmoid().sum(), x),
  'inplace/nonleafAddMul': (x) => {
    const y = x.mul(2);
    y.add_(1);
    y.mul_(3);
    return y;
  },
  'inplace/chain': (x, z) => {
    const y = x.sin();
    y.add_(z!);
    y.mul_(z!);
    return y.sin();
  },
  'hook/nonleafDoubles': (x) => {
    const y = x.mul(3);
    y.registerHook((g) => g.mul(2));
    return y.sin();
  },
  'graph/multiUse': (x) => {
    const a = x.sin();
    return a.mul(a).add(a.exp().mul(x));
  },
  'broadcast/mul3d': (a, b) => a.mul(b!),
  'broadcast/addScalarTensor': (a, b) => a.add(b!),
  'broadcast/whereExpand': (a, b, m) => torch.where(m!, a, b!),
  // conv2d 3x3 stride 1 (float32: Winograd input gradient on the CPU), ReLU, max pooling.
  'conv/reluMaxPool': (x, w, b) => F.maxPool2d(F.relu(F.conv2d(x, w!, b!, { padding: 1 })), 2),
  // From 4 channels on 12x12 outputs, float32 on the CPU: the forward by Winograd as well.
  'conv/winogradReluMaxPool': (x, w, b) => F.maxPool2d(F.relu(F.conv2d(x, w!, b!, { padding: 1 })), 2),
  'gradPenalty/convWinograd': (x, w) => {
    const y = F.maxPool2d(F.relu(F.conv2d(x, w!, null, { padding: 1 })), 3, { stride: 1, padding: 1 });
    const gx = grad1(y.mul(y).sum(), x);
    return gx.pow(2).sum([1, 2, 3]).sub(1).pow(2).mean();
  },
  'gradPenalty/convReluMaxPool': (x, w) => {
    const y = F.maxPool2d(F.relu(F.conv2d(x, w!, null, { padding: 1 })), 3, { stride: 1, padding: 1 });
    const gx = grad1(y.mul(y).sum(), x);
    return gx.pow(2).sum([1, 2, 3]).sub(1).pow(2).mean();
  },
};

opSuite('autograd', impls);
