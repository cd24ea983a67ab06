# PyTorch CPU side of `npm run bench -- --train` (bench/train-compare.ts runs it once per round):
# times full training steps (forward, loss, backward, Adam step, zero_grad) of the same models as
# torchlet's, with torch.set_num_threads(N), and prints one JSON line with the per-step wall ms.
# Usage: /usr/bin/python3 bench/torch_cpu_train.py --threads N --model cnn|transformer --steps S [--warmup W]
import argparse
import json
import re
import time

import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=1)
p.add_argument('--model', choices=['cnn', 'transformer'], default='cnn')
p.add_argument('--steps', type=int, default=5)
p.add_argument('--warmup', type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

if a.model == 'cnn':  # examples/train-fashion-mnist.ts's Net, batch 64, cross-entropy over 10 classes
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    x, y, loss_fn = torch.randn(64, 1, 28, 28), torch.arange(64) % 10, nn.CrossEntropyLoss()
else:  # one encoder layer, batch 16, sequence 64, MSE to a random target
    model = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
    x, y, loss_fn = torch.randn(16, 64, 128), torch.randn(16, 64, 128), nn.MSELoss()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step():
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad()


for _ in range(a.warmup):
    step()
ms = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    ms.append((time.perf_counter() - t0) * 1000)
blas = re.search(r'BLAS_INFO=(\w+)', torch.__config__.show())  # 'generic' = the system libblas, 'mkl' in pip wheels
# Which libblas.so.3 the 'generic' build really loaded: Debian's alternatives pick OpenBLAS when
# libopenblas0-pthread is installed, else the slow reference BLAS (netlib).
with open('/proc/self/maps') as maps:
    lib = next((line.split()[-1] for line in maps if 'libblas.so' in line or 'libopenblas' in line), '?')
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas.group(1) if blas else '?', 'blasLib': lib, 'ms': ms}))
