# PyTorch 1.13 reference for maximize=True (run by impl-options.test.ts): 4 steps of each optimizer
# that has maximize in 1.13, float64, on f(p) = sum(sin(p * w)) - 0.1 * sum(p^2) (gradient ascent),
# with foreach=True where 1.13 accepts it (the same math). Prints {name: final params} as JSON.
import json
import torch

torch.set_default_dtype(torch.float64)
W = torch.tensor([0.5, -1.5, 2.0, 0.25])
CASES = {
    'SGD': lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True, foreach=True),
    'Adam': lambda ps: torch.optim.Adam(ps, lr=0.05, weight_decay=0.01, maximize=True, foreach=True),
    'Adam_amsgrad': lambda ps: torch.optim.Adam(ps, lr=0.05, amsgrad=True, maximize=True),
    'AdamW': lambda ps: torch.optim.AdamW(ps, lr=0.05, maximize=True, foreach=True),
    'RMSprop': lambda ps: torch.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01, maximize=True, foreach=True),
    'Adagrad': lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.01, maximize=True, foreach=True),
    'Adadelta': lambda ps: torch.optim.Adadelta(ps, lr=1.0, weight_decay=0.01, maximize=True, foreach=True),
    'Adamax': lambda ps: torch.optim.Adamax(ps, lr=0.05, weight_decay=0.01, maximize=True, foreach=True),
}
out = {}
for name, make in CASES.items():
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0, 0.5]))
    o = make([p])
    for _ in range(4):
        o.zero_grad()
        f = (p * W).sin().sum() - 0.1 * (p ** 2).sum()
        f.backward()
        o.step()
    out[name] = p.detach().tolist()
print(json.dumps(out))
