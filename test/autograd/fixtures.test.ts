// Autograd vs PyTorch fixtures (test/fixtures/gen_autograd.py): higher-order gradients through
// createGraph, gradient-penalty double backward, in-place ops on non-leaf tensors, hooks and
// broadcasting, conv2d + ReLU + max pooling (first order in float32, and a gradient penalty), and
// piecewise activations' double backward (a parameter reaching it only through their input). The
// suite differentiates every output once more, so second-order cases check third-order gradients too.
import { opSuite, torch, type OpImpl } from '../helpers.js';
import type { Tensor } from '../../src/index.js';

const grad1 = (y: Tensor, x: Tensor): Tensor => torch.autograd.grad(y, x, { createGraph: true })[0]!;
const F = torch.nn.functional;
/** (w, inp, ...rest) -> gx * gx, gx the gradient of f(w * inp, ...rest).sum() in x = w * inp (createGraph). */
const piecewise = (f: (x: Tensor, ...rest: Tensor[]) => Tensor): OpImpl => (w, inp, ...rest) => {
  const x = w.mul(inp!);
  const gx = grad1(f(x, ...rest).sum(), x);
  return gx.mul(gx);
};

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
  // Piecewise activations' double backward (PyTorch's leaky_relu_backward & co. have a derivative
  // in their input): w reaches the penalty only through x, and gets zeros or values, never none.
  'piecewise/leakyRelu': piecewise((x) => F.leakyRelu(x, 0.2)),
  'piecewise/hardtanh': piecewise((x) => F.hardtanh(x, -1.5, 3)),
  'piecewise/relu6': piecewise((x) => F.relu6(x)),
  'piecewise/elu': piecewise((x) => F.elu(x, 1.5)),
  'piecewise/selu': piecewise((x) => F.selu(x)),
  'piecewise/celu': piecewise((x) => F.celu(x, 0.5)),
  'piecewise/hardswish': piecewise((x) => F.hardswish(x)),
  'piecewise/threshold': piecewise((x) => F.threshold(x, 0.5, -3)),
  'piecewise/softshrink': piecewise((x) => F.softshrink(x, 0.5)),
  'piecewise/hardshrink': piecewise((x) => F.hardshrink(x, 0.5)),
  'piecewise/rreluEval': piecewise((x) => F.rrelu(x, 0.1, 0.3, false)),
  'piecewise/prelu': piecewise((x, a) => F.prelu(x, a!)),
};

opSuite('autograd', impls);
