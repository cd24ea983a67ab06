"""Issue #12's targets from bench/gpu.sh's bench.log: the JSON lines of bench/gpu-bench.mjs (torchlet
on 'cuda' and 'webgpu') and of bench/torch_gpu_ref.py (PyTorch, same run), side by side with the
ratio each target asks for. Speed ratios are torchlet/PyTorch throughput (>= target is met).
    python3 bench/gpu_compare.py bench-gpu-out/bench.log"""
import json, sys

runs = {}
for line in open(sys.argv[1], encoding='utf8', errors='replace'):
    line = line.strip()
    if line.startswith('{'):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        runs['pytorch' if 'torch' in r else r.get('device')] = r
pt = runs.get('pytorch')
if pt is None:
    print('compare: no PyTorch result in the log')
    sys.exit(1)
print(f"compare: PyTorch {pt['torch']} on {pt['name']} ({pt['device']})")


def row(label, mine, ref, target, unit):
    if mine is None or ref is None:
        print(f'  {label:44s} missing ({"torchlet" if mine is None else "PyTorch"})')
        return
    ratio = mine / ref
    print(f'  {label:44s} torchlet {mine:9.2f} {unit}  PyTorch {ref:9.2f} {unit}  ratio {ratio:5.2f} (target {target}) {"MET" if ratio >= target else "NOT MET"}')


def get(r, *path):
    for k in path:
        if not isinstance(r, dict) or k not in r:
            return None
        r = r[k]
    return r


for dev, mm_targets, step_target in [('cuda', {'float32': 0.95, 'tf32': 0.9, 'float16': 0.9}, 0.8), ('webgpu', {'float32': 0.75}, None)]:
    r = runs.get(dev)
    if r is None:
        print(f'  {dev}: no torchlet result')
        continue
    for dt, target in mm_targets.items():
        row(f'{dev} matmul {r["n"]}^3 {dt} TFLOPS', get(r, 'matmul', dt, 'tflops'), get(pt, 'matmul', dt, 'tflops'), target, 'TF/s')
    if dev == 'webgpu':
        f16 = get(r, 'matmul', 'float16', 'tflops')
        print(f'  webgpu matmul float16 TFLOPS: {f16 if f16 is None else round(f16, 1)} (target >= 200 on an H100, or the measured ceiling with its cause)')
    for s in ['cnn', 'transformer']:
        mine, ref = get(r, 'train', s, 'ms'), get(pt, 'train', s, 'ms')
        # steps per second: the inverse of ms
        row(f'{dev} train step {s} (steps/s)', 1000 / mine if mine else None, 1000 / ref if ref else None, step_target or 0, '/s')
    for k, v in list(r.get('matmul', {}).items()) + list(r.get('train', {}).items()):
        if isinstance(v, dict) and 'error' in v:
            print(f'  {dev} {k}: ERROR {v["error"][:200]}')
