"""PyTorch CUDA side of bench/gpu.sh: the same matmul sizes and the same training step as
bench/webgpu.mjs, in fp32 with TF32 disabled (matmul and cuDNN), timed with CUDA events (median).
    python3 bench/torch_cuda.py --sizes 1024,2048,4096 --steps 10 [--compare webgpu.json]
With --compare (the JSON line of `node bench/webgpu.mjs --json`) prints both side by side, per dtype:
float16 entries there (--dtypes float32,float16) are compared with PyTorch float16 (tensor cores)."""
import argparse, json, statistics, time
import torch
import torch.nn.functional as F
from torch_models import Net

ap = argparse.ArgumentParser()
ap.add_argument('--sizes', default='1024,2048,4096')
ap.add_argument('--steps', type=int, default=10)
ap.add_argument('--compare')
args = ap.parse_args()
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
# Without CUDA (a dry run of this script on a dev machine) it times PyTorch's CPU instead, labelled so.
dev = 'cuda' if torch.cuda.is_available() else 'cpu'


def timed(fn, warm, runs):
    for _ in range(warm):
        fn()
    if dev == 'cpu':
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1000)
        return statistics.median(ts)
    torch.cuda.synchronize()
    ts = []
    for _ in range(runs):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        torch.cuda.synchronize()
        ts.append(s.elapsed_time(e))
    return statistics.median(ts)


res = {'device': torch.cuda.get_device_name() if dev == 'cuda' else 'CPU (no CUDA: dry run, not the comparison)', 'torch': torch.__version__, 'matmul': [], 'train': None}
w = json.load(open(args.compare)) if args.compare else None
dtypes = sorted({m.get('dtype', 'float32') for m in w['matmul']}, reverse=True) if w else ['float32']
for dt in dtypes:
    for n in [int(s) for s in args.sizes.split(',')]:
        if dev == 'cpu' and dt == 'float16':  # the dry run: older CPU builds have no half matmul
            res['matmul'].append({'n': n, 'dtype': dt, 'ms': None, 'gflops': None})
            continue
        a, b = (torch.randn(n, n, device=dev, dtype=getattr(torch, dt)) for _ in range(2))
        ms = timed(lambda: a @ b, 3, 20 if dev == 'cuda' else 3)
        res['matmul'].append({'n': n, 'dtype': dt, 'ms': ms, 'gflops': 2 * n ** 3 / ms / 1e6})



if args.steps > 0:
    torch.manual_seed(0)
    model = Net().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, 1, 28, 28, device=dev)
    y = (torch.arange(64, device=dev) % 10)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    res['train'] = {'batch': 64, 'ms': timed(step, 3, max(args.steps, 10))}

if not args.compare:
    print(json.dumps(res))
else:
    f = lambda v, d=1: '-' if v is None else f'{v:.{d}f}'
    print(f"WebGPU: {w['adapter']} (kernel timing: {'timestamp-query' if w['timestampQuery'] else 'wall'})")
    print(f"PyTorch {res['torch']} {dev} on {res['device']}, fp32, TF32 off, {'CUDA events' if dev == 'cuda' else 'wall time'}")
    if 'kernel' in w:
        print(f"torchlet matmul kernel: {w['kernel']}; subgroup matrices (tensor cores): {'yes' if w.get('subgroupMatrix') else 'not on this adapter'}")
    by = {(m.get('dtype', 'float32'), m['n']): m for m in w['matmul']}
    for dt in dtypes:
        print(f'matmul {dt}, GFLOPS (median)   torchlet kernel | wall    PyTorch {dev:<7}   ratio (kernel)')
        for m in (m for m in res['matmul'] if m['dtype'] == dt):
            t = by.get((dt, m['n']), {})
            ratio = t.get('gflopsKernel') / m['gflops'] if t.get('gflopsKernel') and m['gflops'] else None
            err = f"   max rel err {t['maxRelErr']:.2e}" if t.get('maxRelErr') is not None else ''
            print(f"  {m['n']}^3{'':<20} {f(t.get('gflopsKernel')):>10} | {f(t.get('gflopsWall')):<8} {f(m['gflops']):>12}    {f(ratio, 2)}x{err}")
    if res['train'] and w.get('train'):
        tw = w['train']
        print('training step, Fashion-MNIST CNN, batch 64, SGD momentum (ms/step, median)')
        print(f"  torchlet webgpu: wall {tw['wallMs']:.2f}, kernels {f(tw['kernelMs'], 2)} ({tw['kernels']} kernels)   PyTorch {dev}: {res['train']['ms']:.2f}")
    o = w.get('overhead', {})
    if o:
        print(f"per-op overhead (torchlet webgpu): add enqueue {f(o.get('addEnqueueUs'))} us, add+read {f(o.get('addReadRoundTripUs'))} us, "
              f"chain {o.get('chainOps')} ops + 1 read: {f(o.get('chainPerOpUs'))} us/op")
