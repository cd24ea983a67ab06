#!/usr/bin/env bash
# One-call WebGPU vs PyTorch CUDA benchmark for the offline GPU machine (/work/shared/gpu/README.md).
# Here first: npm install && npm run build && bash ../shared/gpu/pack.sh; then send `.gpu` and `dist`
# and run `bash bench/gpu.sh` there. Prints torchlet WebGPU (Dawn on Vulkan) and PyTorch CUDA fp32
# (TF32 off) side by side: matmul GFLOPS per size, CNN training step, per-op overhead.
# Env: SIZES (default 1024,2048,4096), STEPS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
source .gpu/setup.sh
SIZES=${SIZES:-1024,2048,4096}
STEPS=${STEPS:-10}
out=$(mktemp)
node bench/webgpu.mjs --json --sizes "$SIZES" --steps "$STEPS" > "$out"
python3 bench/torch_cuda.py --sizes "$SIZES" --steps "$STEPS" --compare "$out"
