"""PyTorch CUDA eager side of bench/gpu-bench.mjs (bench/gpu.sh): the same matmul N^3 (float32 with
TF32 off, float32 with TF32, float16) and the same two training steps (the npm-start CNN, batch 64,
SGD momentum; a TransformerEncoderLayer(512, 8, ff 2048) on batch 32 x seq 128, Adam), timed the
same way (enqueue `reps` calls, synchronize, median of 3 rounds). Prints one JSON line.
    python3 bench/torch_gpu_ref.py [--n 4096] [--reps 10] [--steps 20]
Without CUDA (a dry run on a dev machine) it times the CPU, labelled so."""
import argparse, json, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_models import Net

ap = argparse.ArgumentParser()
ap.add_argument('--n', type=int, default=4096)
ap.add_argument('--reps', type=int, default=10)
ap.add_argument('--steps', type=int, default=20)
a = ap.parse_args()
dev = 'cuda' if torch.cuda.is_available() else 'cpu'
sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
torch.backends.cudnn.allow_tf32 = False


def time_it(fn, warm, reps):
    for _ in range(warm):
        fn()
    sync()
    rounds = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        sync()
        rounds.append((time.perf_counter() - t0) * 1000 / reps)
    return statistics.median(rounds)


res = {'device': dev, 'name': torch.cuda.get_device_name() if dev == 'cuda' else 'cpu', 'torch': torch.__version__, 'n': a.n, 'matmul': {}, 'train': {}}
flops = 2 * a.n ** 3
for label, dtype, tf32 in [('float32', torch.float32, False), ('tf32', torch.float32, True), ('float16', torch.float16, False)]:
    if dev == 'cpu' and dtype == torch.float16:
        continue
    torch.backends.cuda.matmul.allow_tf32 = tf32
    x, y = torch.randn(a.n, a.n, device=dev, dtype=dtype), torch.randn(a.n, a.n, device=dev, dtype=dtype)
    ms = time_it(lambda: torch.matmul(x, y), 2, a.reps)
    res['matmul'][label] = {'ms': ms, 'tflops': flops / ms / 1e9}
torch.backends.cuda.matmul.allow_tf32 = False



torch.manual_seed(0)
model = Net().to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
xb, yb = torch.randn(64, 1, 28, 28, device=dev), (torch.arange(64) % 10).to(dev)


def cnn_step():
    opt.zero_grad()
    F.cross_entropy(model(xb), yb).backward()
    opt.step()


res['train']['cnn'] = {'ms': time_it(cnn_step, 3, a.steps)}

layer = nn.TransformerEncoderLayer(512, 8, dim_feedforward=2048, dropout=0.0, batch_first=True).to(dev)
opt2 = torch.optim.Adam(layer.parameters(), lr=1e-4)
xt = torch.randn(32, 128, 512, device=dev)


def tr_step():
    opt2.zero_grad()
    layer(xt).square().mean().backward()
    opt2.step()


res['train']['transformer'] = {'ms': time_it(tr_step, 3, a.steps)}
print(json.dumps(res))
