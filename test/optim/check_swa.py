# PyTorch 1.13 reference values for torch.optim.swa_utils (run by swa-utils.test.ts): averaged
# parameters after k updates (default SWA mean, an EMA avg_fn, use_buffers), the SWALR lr sequence
# in both strategies, and BatchNorm running stats after update_bn. Weights and data are the same
# closed-form values the test builds (sin/cos of the element index), so no RNG is shared. Prints JSON.
import json, math, warnings
import torch

warnings.filterwarnings('ignore')
torch.set_default_dtype(torch.float32)


def fill(t, k):
    # Element i of a tensor filled for "version" k: sin(0.7 * i + k) * 0.5 + 0.1 * k.
    n = t.numel()
    v = torch.tensor([math.sin(0.7 * i + k) * 0.5 + 0.1 * k for i in range(n)], dtype=torch.float64)
    with torch.no_grad():
        t.copy_(v.reshape(t.shape).to(t.dtype))


def net():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def set_version(m, k):
    for j, p in enumerate(m.parameters()):
        fill(p, k + j)


def batch(b, rows):
    x = torch.tensor([[math.cos(0.3 * (b * 10 + r) + c) * (1 + b) for c in range(3)] for r in range(rows)], dtype=torch.float32)
    return x


def tolist(m):
    return {k: v.double().flatten().tolist() for k, v in m.state_dict().items()}


out = {}

# 1. AveragedModel, default avg_fn: 4 updates.
m = net()
set_version(m, 0)
swa = torch.optim.swa_utils.AveragedModel(m)
for k in range(4):
    set_version(m, k + 1)
    swa.update_parameters(m)
out['swa_keys'] = list(swa.state_dict().keys())
out['swa'] = tolist(swa)
swa.eval()
out['swa_forward'] = swa(batch(0, 3)).double().flatten().tolist()

# 2. EMA avg_fn, 3 updates.
m = net()
set_version(m, 0)
ema = torch.optim.swa_utils.AveragedModel(m, avg_fn=lambda a, p, n: 0.75 * a + 0.25 * p)
for k in range(3):
    set_version(m, 2 * k + 1)
    ema.update_parameters(m)
out['ema'] = tolist(ema)

# 3. use_buffers: the model's BN statistics change between updates (train-mode forwards).
m = net()
set_version(m, 0)
avg = torch.optim.swa_utils.AveragedModel(m, use_buffers=True)
for k in range(3):
    set_version(m, k + 2)
    m.train()
    m(batch(k, 5))
    avg.update_parameters(m)
out['buffers'] = tolist(avg)

# 4. SWALR: 10 steps, two groups.
sched = {}
for strategy in ['cos', 'linear']:
    for epochs in [0, 1, 3, 5]:
        ps = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
        o = torch.optim.SGD([{'params': [ps[0]]}, {'params': [ps[1]], 'lr': 0.2}], lr=0.5, momentum=0.9)
        s = torch.optim.swa_utils.SWALR(o, [0.05, 0.01], anneal_epochs=epochs, anneal_strategy=strategy)
        seq = [s.get_last_lr()]
        for i in range(10):
            o.step()
            s.step()
            seq.append(s.get_last_lr())
        sd = s.state_dict()
        sched[f'{strategy}_{epochs}'] = {'lrs': seq, 'keys': sorted(k for k in sd.keys() if k != 'anneal_func'), 'group_keys': sorted(o.state_dict()['param_groups'][0].keys())}
out['swalr'] = sched

# 5. update_bn on the averaged model from 1: loader of (x, y) pairs of uneven sizes, model in eval mode before.
swa.eval()
loader = [(batch(b, r), torch.zeros(r)) for b, r in [(1, 4), (2, 6), (3, 3)]]
torch.optim.swa_utils.update_bn(loader, swa)
bn = swa.module[1]
out['bn'] = {'mean': bn.running_mean.double().tolist(), 'var': bn.running_var.double().tolist(), 'nbt': int(bn.num_batches_tracked), 'momentum': bn.momentum, 'training': swa.training}
# A loader of bare tensors, momentum None kept as None.
m = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3, momentum=None))
set_version(m, 4)
torch.optim.swa_utils.update_bn([batch(4, 5), batch(5, 2)], m)
out['bn2'] = {'mean': m[1].running_mean.double().tolist(), 'var': m[1].running_var.double().tolist(), 'nbt': int(m[1].num_batches_tracked), 'momentum': m[1].momentum, 'training': m.training}

print(json.dumps(out))
