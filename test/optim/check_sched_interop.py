# Reads torchlet-written scheduler checkpoints with real PyTorch 1.13 (run by sched-interop.test.ts).
# For every case: PyTorch runs the schedule uninterrupted, and separately loads torchlet's
# {optim, sched} saved after SAVE_AT steps into a fresh optimizer + scheduler and steps on. It prints
# both lr/momentum sequences and the key sets of PyTorch's own state_dict and of torchlet's, as JSON.
import json, sys, warnings
import torch

warnings.filterwarnings('ignore')  # get_lr / epoch deprecation chatter
L = torch.optim.lr_scheduler
d = sys.argv[1]
cfg = json.load(open(f'{d}/cases.json'))
SAVE_AT, STEPS, METRICS = cfg['saveAt'], cfg['steps'], cfg['metrics']


def opt(kind):
    ps = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
    groups = [{'params': [ps[0]]}, {'params': [ps[1]], 'lr': 0.05}]
    if kind == 'adam':
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


# Same constructors as CASES in sched-interop.test.ts.
CASES = {
    'StepLR': ('sgd', lambda o: L.StepLR(o, 3, gamma=0.5)),
    'MultiStepLR': ('sgd', lambda o: L.MultiStepLR(o, [2, 5, 5, 7], gamma=0.3)),
    'ExponentialLR': ('sgd', lambda o: L.ExponentialLR(o, 0.9)),
    'CosineAnnealingLR': ('sgd', lambda o: L.CosineAnnealingLR(o, 10, eta_min=0.001)),
    'CosineAnnealingWarmRestarts': ('sgd', lambda o: L.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01)),
    'LinearLR': ('sgd', lambda o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6)),
    'LambdaLR': ('sgd', lambda o: L.LambdaLR(o, lambda e: 0.95 ** e)),
    'MultiplicativeLR': ('sgd', lambda o: L.MultiplicativeLR(o, lambda e: 0.9)),
    'ConstantLR': ('sgd', lambda o: L.ConstantLR(o, factor=0.5, total_iters=6)),
    'PolynomialLR': ('sgd', lambda o: L.PolynomialLR(o, total_iters=8, power=2)),
    'OneCycleLR': ('sgd', lambda o: L.OneCycleLR(o, [1.0, 0.5], total_steps=12)),
    'OneCycleLR_three_phase_adam': ('adam', lambda o: L.OneCycleLR(o, 0.01, total_steps=12, anneal_strategy='linear', three_phase=True, pct_start=0.25)),
    'CyclicLR': ('sgd', lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode='triangular2')),
    'ReduceLROnPlateau': ('sgd', lambda o: L.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1, min_lr=0.01)),
    'SequentialLR': ('sgd', lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=3), L.ExponentialLR(o, 0.8)], [3])),
    'ChainedScheduler': ('sgd', lambda o: L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=6), L.ExponentialLR(o, 0.9)])),
}


def state(o):
    return [[g['lr'], g['betas'][0] if 'betas' in g else g['momentum']] for g in o.param_groups]


def step(s, o, i):
    o.step()
    if isinstance(s, L.ReduceLROnPlateau):
        s.step(METRICS[i])
    else:
        s.step()


out = {}
def run(name):
    kind, make = CASES[name]
    o = opt(kind); s = make(o)
    full = [state(o)]
    for i in range(STEPS):
        step(s, o, i); full.append(state(o))
    own = s.state_dict()  # after stepping: ReduceLROnPlateau sets _last_lr in its first step
    ck = torch.load(f'{d}/{name}.pt')
    o2 = opt(kind); s2 = make(o2)
    o2.load_state_dict(ck['optim']); s2.load_state_dict(ck['sched'])
    resumed = [state(o2)]
    for i in range(SAVE_AT, STEPS):
        step(s2, o2, i); resumed.append(state(o2))
    return {'full': full, 'resumed': resumed, 'own_keys': sorted(own), 'torchlet_keys': sorted(ck['sched']),
            'children': [sorted(c) for c in ck['sched'].get('_schedulers', [])],
            'own_children': [sorted(c) for c in own.get('_schedulers', [])]}


out = {}
for name in cfg['names']:
    try:
        out[name] = run(name)
    except Exception as e:  # one case's failure must not hide the others'
        out[name] = {'error': f'{type(e).__name__}: {e}'}
print(json.dumps(out))
