#!/usr/bin/env bash
# The one prepared run for the offline GPU machine (issue #12; /work/shared/gpu/README.md): CUDA and
# real-WebGPU checks, the addon's own checks, the op suite and the 14 PyTorch training runs on 'cuda' and on 'webgpu', the
# no-tidy memory loop on both, matmul 4096^3 (float32 / TF32 / float16) and the CNN and transformer
# training steps beside PyTorch CUDA eager, and torch.distributed 'nccl' (world size 1 + DDP).
# Prepare here:  npm install && npm run build && npm run build:cuda && node bench/gpu-tests/bundle.mjs
#                && bash ../shared/gpu/pack.sh
# Run there (carry .gpu dist native-cuda/build .gpu-tests):  source .gpu/setup.sh && bash bench/gpu.sh
# Every step is time-limited and logs under $OUT (default bench/gpu-out); a failing step is recorded
# in $OUT/summary.txt and the script goes on. One call has 10 minutes: GPU_STEPS picks steps
# (default all), GPU_BUDGET_S (default 570) bounds the whole run, e.g. two calls:
#   GPU_STEPS=check,tests-cuda,tests-webgpu bash bench/gpu.sh ; GPU_STEPS=check,bench,webgpu-bench,compile,memory,nccl bash bench/gpu.sh
# Dry run here: GPU_EMULATE=1 PYTHON=/usr/bin/python3 GPU_BENCH_ARGS='--n 256 --reps 2 --steps 1' bash bench/gpu.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/gpu-out}
mkdir -p "$OUT"
STEPS=${GPU_STEPS:-check,build,addon-check,tests-cuda,tests-webgpu,bench,webgpu-bench,compile,memory,nccl}
BUDGET=${GPU_BUDGET_S:-570}
START=$(date +%s)
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }
want() { [[ ",$STEPS," == *",$1,"* ]]; }
left() { echo $((BUDGET - ($(date +%s) - START))); }
# step NAME LIMIT_S LOG CMD...: runs CMD under min(LIMIT, budget left - 5) seconds, output to LOG.
step() {
  local name=$1 limit=$2 log=$3; shift 3
  local l; l=$(left); l=$((l - 5)); [ "$l" -lt "$limit" ] && limit=$l
  if [ "$limit" -le 5 ]; then note "SKIP $name: the run's budget (${BUDGET} s) is spent"; return 1; fi
  local t0; t0=$(date +%s)
  echo "=== $name ($(date -u +%FT%TZ), limit ${limit} s)" >> "$log"
  timeout -k 10 "$limit" "$@" >> "$log" 2>&1
  local rc=$?
  local dt=$(( $(date +%s) - t0 ))
  if [ $rc -eq 0 ]; then note "OK   $name (${dt} s)"; elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then note "TIME $name: killed after ${limit} s (see $(basename "$log"))"; else note "FAIL $name: exit $rc after ${dt} s (see $(basename "$log"))"; fi
  return $rc
}

command -v node >/dev/null 2>&1 || { [ -f .gpu/setup.sh ] && source .gpu/setup.sh >/dev/null 2>&1; }
NODE="node --experimental-wasm-relaxed-simd"
PY=${PYTHON:-python3}  # PyTorch with CUDA there; PYTHON=/usr/bin/python3 for a dry run on a dev machine
note "gpu.sh $(date -u +%FT%TZ) on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo 'no nvidia-smi'); node $(node --version 2>/dev/null || echo missing); steps $STEPS"
if ! command -v node >/dev/null 2>&1; then note "FAIL node is missing: source .gpu/setup.sh (made by ../shared/gpu/pack.sh)"; exit 1; fi
[ -f dist/torchlet.js ] || note "FAIL dist/torchlet.js is missing: npm run build here and carry dist"

# 1. the real addon: carried from here, else built here if nvcc and Node's headers exist
if want build && [ ! -f native-cuda/build/torchlet_cuda.node ]; then
  if [ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc >/dev/null 2>&1; then
    for d in .gpu/include/node native-cuda/node-include; do [ -f "$d/node_api.h" ] && export NODE_INCLUDE=$PWD/$d; done
    step build:cuda 300 "$OUT/checks.log" node scripts/build-cuda.mjs
  else
    note "SKIP build:cuda: no nvcc here and native-cuda/build/torchlet_cuda.node was not carried"
  fi
fi

# 2. what is available: CUDA (the real addon, not the emulator) and a hardware WebGPU adapter
CUDA_OK=0; WEBGPU_OK=0
# GPU_EMULATE=1: a dry run of the CUDA paths on a dev machine through the emulated addon (proves nothing about a GPU)
if [ "${GPU_EMULATE:-0}" = 1 ]; then export TORCHLET_CUDA_EMULATE=1; note "     GPU_EMULATE=1: the emulated CUDA addon stands in (dry run)"; else unset TORCHLET_CUDA_EMULATE; fi
if want check || want tests-cuda || want tests-webgpu || want bench || want memory || want nccl; then
  cat > "$OUT/.check.mjs" <<'EOF'
const torch = await import(process.cwd() + '/dist/torchlet.js');
await torch.init();
const c = torch.cuda.isAvailable();
console.log(`cuda: ${c ? `${torch.cuda.deviceCount()} device(s): ${torch.cuda.getDeviceName()} ${JSON.stringify(torch.cuda.getDeviceProperties())}` : `unavailable: ${torch.cuda.unavailableReason()}`}`);
if (c) {
  const a = torch.randn([64, 64], { device: 'cuda' }), b = torch.randn([64, 64], { device: 'cuda' });
  const got = await a.matmul(b).data(), want = (await torch.toAsync(a, 'cpu')).matmul(await torch.toAsync(b, 'cpu')).dataSync();
  const err = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
  console.log(`cuda matmul 64x64 vs cpu: max abs error ${err}; memoryAllocated ${torch.cuda.memoryAllocated()} B`);
  if (!(err < 1e-3)) throw new Error('cuda matmul differs from the CPU');
}
const w = torch.webgpu.info();
console.log(`webgpu: ${w ? JSON.stringify(w) : `unavailable: ${torch.webgpu.unavailableReason()}`}`);
console.log(`RESULT cuda=${c ? 1 : 0} webgpu=${w && !w.isFallbackAdapter ? 1 : 0}`);
process.exit(0);
EOF
  step check 90 "$OUT/checks.log" $NODE "$OUT/.check.mjs"
  r=$(grep '^RESULT' "$OUT/checks.log" | tail -1)
  [[ $r == *cuda=1* ]] && CUDA_OK=1
  [[ $r == *webgpu=1* ]] && WEBGPU_OK=1
  note "     cuda available: $CUDA_OK; hardware webgpu adapter: $WEBGPU_OK ($(grep -E '^(cuda|webgpu):' "$OUT/checks.log" | tail -2 | cut -c1-160 | tr '\n' ' '))"
  rm -f "$OUT/.check.mjs"
fi

# 2b. the real addon's own checks (driver, cuBLAS, NCCL at world size 1, asynchronous faults, gemm speed)
if want addon-check; then
  if [ $CUDA_OK != 1 ]; then note "SKIP addon-check: CUDA not available"
  elif [ -f native-cuda/test/gpu-check.mjs ]; then step "addon checks (native-cuda/test/gpu-check.mjs)" 120 "$OUT/checks.log" node native-cuda/test/gpu-check.mjs
  else note "SKIP addon-check: native-cuda/test/gpu-check.mjs is missing"; fi
fi

# 3. the op suite and the 14 PyTorch training runs (test/nn/training_pytorch), bundled (.gpu-tests)
tests() {  # tests DEVICE
  local dev=$1 log=$OUT/tests-$1.log
  if [ ! -f .gpu-tests/manifest.json ]; then note "SKIP tests-$dev: .gpu-tests/ was not carried (node bench/gpu-tests/bundle.mjs here)"; return; fi
  : > "$log"
  step "training runs on $dev (14 PyTorch runs)" 200 "$log" $NODE bench/gpu-tests/run.mjs --devices "$dev" --only training_pytorch --timeout 190
  step "op suite on $dev (ops, autograd, nn, cuda api)" 300 "$log" $NODE bench/gpu-tests/run.mjs --devices "$dev" --skip training_pytorch,api-emulated --timeout 120
  grep -E '^(FAIL|gpu-tests)' "$log" | head -40 >> "$SUMMARY"
}
if want tests-cuda; then if [ $CUDA_OK = 1 ]; then tests cuda; else note "SKIP tests-cuda: CUDA not available"; fi; fi
if want tests-webgpu; then if [ $WEBGPU_OK = 1 ]; then tests webgpu; else note "SKIP tests-webgpu: no hardware WebGPU adapter"; fi; fi

# 4. benchmarks beside PyTorch CUDA eager, measured in this same run
if want bench; then
  log=$OUT/bench.log
  [ $CUDA_OK = 1 ] && step "bench torchlet cuda" 150 "$log" $NODE bench/gpu-bench.mjs --device cuda --json ${GPU_BENCH_ARGS:-}
  [ $WEBGPU_OK = 1 ] && step "bench torchlet webgpu" 150 "$log" $NODE bench/gpu-bench.mjs --device webgpu --json ${GPU_BENCH_ARGS:-}
  step "bench pytorch" 120 "$log" $PY bench/torch_gpu_ref.py ${GPU_BENCH_ARGS:-}
  $PY bench/gpu_compare.py "$log" >> "$SUMMARY" 2>&1 || note "FAIL comparison (see bench.log)"
fi

# 4b. the WebGPU matmul kernels in detail (tiled and subgroup-matrix, float32/float16) beside PyTorch fp32
if want webgpu-bench; then
  if [ $WEBGPU_OK = 1 ]; then
    step "bench webgpu kernels (bench/webgpu.mjs + torch_cuda.py)" 180 "$OUT/bench.log" \
      bash -c 'j=$(mktemp) && node --experimental-wasm-relaxed-simd bench/webgpu.mjs --json --sizes 1024,2048,4096 --steps 10 --dtypes float32,float16 > "$j" && ${PYTHON:-python3} bench/torch_cuda.py --sizes 1024,2048,4096 --steps 10 --compare "$j"'
    # The subgroup-matrix kernel forced, its results verified against the CPU, beside the tiled float16
    # kernel ("subgroup matrices: yes" = the adapter has the feature; max rel. error ~1e-3 = right).
    step "webgpu subgroup-matrix matmul 4096 (verified)" 120 "$OUT/bench.log" \
      bash -c 'j=$(mktemp) && node --experimental-wasm-relaxed-simd bench/webgpu.mjs --json --sizes 4096 --steps 0 --chain 0 --dtypes float32,float16 --kernel subgroup --verify > "$j" && ${PYTHON:-python3} bench/torch_cuda.py --sizes 4096 --steps 0 --compare "$j"'
    step "webgpu tiled float16 matmul 4096 (verified)" 120 "$OUT/bench.log" \
      bash -c 'j=$(mktemp) && node --experimental-wasm-relaxed-simd bench/webgpu.mjs --json --sizes 4096 --steps 0 --chain 0 --dtypes float16 --kernel tiled --verify > "$j" && ${PYTHON:-python3} bench/torch_cuda.py --sizes 4096 --steps 0 --compare "$j"'
  else note "SKIP webgpu-bench: no hardware WebGPU adapter"; fi
fi

# 4c. torch.compile vs eager on the real WebGPU adapter (issue #10's WebGPU target: >= 1.5x)
if want compile; then
  if [ $WEBGPU_OK != 1 ]; then note "SKIP compile: no hardware WebGPU adapter"
  elif [ -f .gpu-tests/bench__compile.mjs ]; then
    step "torch.compile vs eager on webgpu (transformer layer, MLP)" 150 "$OUT/compile.log" $NODE .gpu-tests/bench__compile.mjs --device webgpu --steps 7
    grep -E '^webgpu ' "$OUT/compile.log" >> "$SUMMARY" 2>/dev/null
  else note "SKIP compile: .gpu-tests/bench__compile.mjs was not carried (node bench/gpu-tests/bundle.mjs)"; fi
fi

# 5. the no-tidy training loop: memory must stay flat on both devices
if want memory; then
  for dev in cuda webgpu; do
    ok=$CUDA_OK; [ $dev = webgpu ] && ok=$WEBGPU_OK
    if [ "$ok" != 1 ]; then note "SKIP memory loop on $dev: not available"; continue; fi
    if [ -f .gpu-tests/bench__memory-loop.mjs ]; then
      step "memory loop on $dev (no tidy vs tidy, CNN, 300 steps)" 120 "$OUT/memory.log" $NODE .gpu-tests/bench__memory-loop.mjs $dev 300 cnn
    else note "SKIP memory loop: .gpu-tests/bench__memory-loop.mjs was not carried"; fi
  done
  grep -E '^(mode|tidy|no tidy)' "$OUT/memory.log" >> "$SUMMARY" 2>/dev/null
fi

# 6. torch.distributed 'nccl': world size 1 (and one process per GPU when there are several), DDP
if want nccl; then
  if [ $CUDA_OK != 1 ]; then note "SKIP nccl: CUDA not available"
  elif [ -f bench/nccl-check.mjs ]; then step "nccl check + DDP on cuda" 150 "$OUT/nccl.log" $NODE bench/nccl-check.mjs
  else note "SKIP nccl: bench/nccl-check.mjs is missing"; fi
fi
note "done in $(( $(date +%s) - START )) s; logs in $OUT"
