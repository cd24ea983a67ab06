# Writes PyTorch 1.13 checkpoints whose scheduler state_dict holds pickled code (run by
# pickled-code.test.ts with /usr/bin/python3): OneCycleLR's anneal_func is a bound method (pickled
# with the scheduler and its SGD optimizer), SWALR's a class function. Also the lrs PyTorch steps to
# after loading, and what PyTorch's own weights_only=True loader says about each file. Prints JSON.
import json, os, sys, warnings
import torch

warnings.filterwarnings('ignore')
d = sys.argv[1]
out = {}


def model():
    m = torch.nn.Linear(3, 2)
    with torch.no_grad():
        m.weight.copy_(torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.25 - 0.5)
        m.bias.copy_(torch.tensor([0.125, -0.375]))
    return m


def case(name, make, steps=3, more=5):
    m = model()
    o = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    s = make(o)
    for _ in range(steps):
        o.step()
        s.step()
    path = os.path.join(d, f'{name}.pt')
    torch.save({'model': m.state_dict(), 'optim': o.state_dict(), 'sched': s.state_dict(), 'epoch': steps}, path)
    lrs = []
    for _ in range(more):
        o.step()
        s.step()
        lrs.append([g['lr'] for g in o.param_groups] + [g.get('momentum', 0) for g in o.param_groups])
    try:
        torch.load(path, weights_only=True)
        wo = None
    except Exception as e:
        wo = str(e)
    out[name] = {'lrs': lrs, 'weights_only_error': wo, 'anneal_func': repr(type(s.state_dict().get('anneal_func')).__name__)}


case('onecycle', lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10))
case('onecycle_linear', lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=12, anneal_strategy='linear', three_phase=True))
case('swalr', lambda o: torch.optim.swa_utils.SWALR(o, swa_lr=0.05, anneal_epochs=6), steps=2)

# A plain state_dict (no floats outside tensors: 1.13's weights_only has no BINFLOAT) loads either way.
torch.save(model().state_dict(), os.path.join(d, 'plain.pt'))
torch.load(os.path.join(d, 'plain.pt'), weights_only=True)
# A function reference and no floats (which 1.13's weights_only cannot read at all): PyTorch's own
# weights_only refusal of the global, to compare wording with.
torch.save({'fn': torch.nn.functional.relu, 'n': 3, 'w': model().weight.data}, os.path.join(d, 'func.pt'))
try:
    torch.load(os.path.join(d, 'func.pt'), weights_only=True)
    out['func_weights_only_error'] = None
except Exception as e:
    out['func_weights_only_error'] = str(e)
print(json.dumps(out))
