// The public namespace: `import * as torch from 'torchlet'` (also the default export).
// Everything a user touches is re-exported here; nothing else in src/ is public API.
// Functions, classes and Tensor methods come through src/generated/api/ (strict arguments, src/args.ts).

import { Tensor, isTensor } from './tensor.js';
import { getBackend, hasBackend, initCuda, registerBackend, setUnavailable, unavailableReason } from './backends/registry.js';
import { upgradeCpuBackend } from './backends/wasm/index.js';
import type { Device, DeviceType, MemoryInfo } from './backends/backend.js';
import type { WebGPUBackend } from './backends/webgpu/index.js';
import { getAllowTf32, setAllowTf32 } from './backends/cuda/settings.js';
import { promoteTypes, type DType, type UnsupportedDType } from './dtype.js';
import { deviceAmp, type DeviceAmp } from './amp/device-amp.js';
import { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, type GradModeGuard } from './generated/api/grad-mode.js';
import { grad, gradcheck, gradgradcheck, backward as autogradBackward } from './generated/api/autograd.js';
import * as autogradFunctional from './generated/api/autograd-functional.js';
import { detectAnomaly, setDetectAnomaly, isAnomalyEnabled, isAnomalyCheckNanEnabled } from './generated/api/autograd-anomaly.js';
import { Function, FunctionCtx } from './autograd/function.js';

export { Tensor, isTensor };
export type { DType, Device, DeviceType, MemoryInfo };
export type { Scalar, TensorOrScalar, ValuesIndices, NestedArray, CreateOpts, ReduceOpts, NormOrd, NormOpts } from './ops/types.js';
export type { IndexArg, SortOpts, TopkOpts } from './ops/indexing.js';

export {
  tensor, asTensor, full, zeros, ones, empty_ as empty, zerosLike, onesLike, fullLike, emptyLike, arange, linspace, logspace, eye,
  rand, randn, randint, randperm, multinomial, randLike, randnLike, randintLike,
  toAsync, clone, neg, neg as negative, abs, sign, exp, exp2, expm1, log, log1p, log2, log10, sqrt, rsqrt, square,
  sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, sigmoid, erf, erfinv, floor, ceil, round, trunc, frac,
  reciprocal, relu, logicalNot, bitwiseNot, isnan, isinf, isfinite, nanToNum, add, sub, sub as subtract, rsub, mul, mul as multiply,
  div, div as divide, floorDivide, pow, maximum, minimum, fmax, fmin, atan2, fmod, remainder, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr,
  logicalXor, bitwiseAnd, bitwiseOr, bitwiseXor, where, clamp, clamp as clip, lerp, addcmul, addcdiv, maskedFill, isclose, allclose, equal,
  sum, nansum, mean, nanmean, prod, max, min, amax, amin, aminmax, argmax, argmin, all, any, countNonzero, var_ as var, std,
  varMean, stdMean, norm, logsumexp, softmax, logSoftmax, cumsum, cumprod, median, kthvalue, mode,
  reshape, view, contiguous, permute, transpose, transpose as swapaxes, t, expand, narrow, select, slice, squeeze, unsqueeze,
  flatten, unflatten, movedim, movedim as moveaxis, split, chunk, unbind, flip, roll, repeat, tile, tril, triu, cat, cat as concat,
  stack, gather, scatter, scatterAdd, indexSelect, indexAdd, maskedSelect, maskedSelectAsync, nonzero, nonzeroAsync, sort, argsort, topk, index, indexAsync,
  matmul, mm, bmm, mv, dot, outer, addmm, einsum, clampMin, clampMax, indexFill,
  logaddexp, hypot, xlogy, erfc, lgamma, digamma, logcumsumexp, cummax, cummin,
  diagonal, diag, trace, cross, kron, tensordot, cdist, diff, hstack, vstack, dstack, columnStack, meshgrid,
  atleast1d, atleast2d, atleast3d, broadcastTo, numel, detach, searchsorted, bucketize, bincount, bincountAsync, unique, uniqueAsync, uniqueConsecutive, uniqueConsecutiveAsync,
} from './generated/api/ops.js';
export type { ClampOpts, SearchSortedOpts, UniqueOpts, UniqueConsecutiveOpts } from './ops/index.js';
export {
  sinc, logit, deg2rad, rad2deg, signbit, copysign, heaviside, floatPower, positive, abs as absolute, acos as arccos, asin as arcsin,
  atan as arctan, atan2 as arctan2, acosh as arccosh, asinh as arcsinh, atanh as arctanh, div as trueDivide, transpose as swapdims,
  fliplr, flipud, rot90, repeatInterleave, take, put, takeAlongDim, argwhere, narrowCopy, indexPut, maskedScatter,
  quantile, nanquantile, nanmedian, addmv, addr, baddbmm, addbmm,
  bernoulli, normal, dist, scatterReduce, indexCopy, isin, histc,
} from './generated/api/ops.js';
export type { RepeatInterleaveOpts, QuantileOpts, QuantileInterpolation, ToOpts, RandOpts, BernoulliOpts, NormalOpts, ScatterReduceOp, ScatterReduceOpts, IsinOpts, HistcOpts } from './ops/index.js';
// torch.det / torch.inverse / torch.slogdet / torch.matrixExp / torch.matrixPower / torch.svd: PyTorch's top-level names of linalg functions.
export { det, inverse, slogdet, matrixExp, matrixPower, svd } from './generated/api/ops.js';
export { geqrf, geqrfAsync, orgqr } from './generated/api/ops.js';
export type { GeqrfResult } from './ops/index.js';
export type { SlogdetResult, SvdResult } from './ops/index.js';
export * as linalg from './generated/api/linalg.js';
export { luUnpack } from './generated/api/ops.js';
export type { PLUResult, LuUnpackOpts } from './ops/index.js';
// complex numbers (src/ops/complex.ts) and torch.fft (src/fft.ts)
export { viewAsReal, viewAsComplex, real, imag, complex, polar, conj, angle, isComplex } from './generated/api/ops.js';
export * as fft from './generated/api/fft.js';
export * as distributions from './generated/api/distributions.js';
// Activations as torch.* functions too: PyTorch has torch.selu/celu/rrelu/prelu/hardshrink; the rest
// (gelu, silu, leakyRelu...) live only in F there, offered here as well so `torch.gelu(x)` works.
export {
  relu6, gelu, silu, mish, softplus, elu, selu, celu, leakyRelu, hardtanh, hardswish, hardsigmoid, logsigmoid, prelu, rrelu,
  hardshrink, softshrink, oneHot, dropout, cosineSimilarity, pairwiseDistance, pixelShuffle,
} from './generated/api/nn-functional.js';

// ---- defaults, seeds and memory (strict facade of src/settings.ts) ----
export {
  isFloatingPoint, resultTypeOf, device, setDefaultDtype, getDefaultDtype, setDefaultDevice, getDefaultDevice,
  manualSeed, seed, initialSeed, tidy, keep, dispose, memory, setMemoryDebug, memoryCensus, setNumThreads, getNumThreads,
  parallelInfo,
} from './generated/api/settings.js';
export type { DeviceMemory, ParallelInfo } from './settings.js';

// ---- dtypes and devices ----
/** 32-bit floating point dtype (torch.float32). */
export const float32: DType = 'float32';
/** Alias of float32 (torch.float). */
export const float: DType = 'float32';
/** 16-bit floating point dtype (torch.float16). */
export const float16: DType = 'float16';
/** Alias of float16 (torch.half). */
export const half: DType = 'float16';
/** 64-bit floating point dtype (torch.float64). */
export const float64: DType = 'float64';
/** Alias of float64 (torch.double). */
export const double: DType = 'float64';
/** 32-bit signed integer dtype (torch.int32). */
export const int32: DType = 'int32';
/** Alias of int32 (torch.int). */
export const int: DType = 'int32';
/** PyTorch's int64 index dtype; int32 here (WebGPU has no 64-bit integers), as `t.long()`. */
export const long: DType = 'int32';
/** PyTorch's int64 (torch.int64, torch.long): int32 here, as `long`. */
export const int64: DType = 'int32';
/** 8-bit unsigned integer dtype (torch.uint8). */
export const uint8: DType = 'uint8';
/** Boolean dtype (torch.bool). */
export const bool: DType = 'bool';
/** Complex dtype with float32 parts (torch.complex64). */
export const complex64: DType = 'complex64';
/** Alias of complex64 (torch.cfloat). */
export const cfloat: DType = 'complex64';
/** Complex dtype with float64 parts, CPU only (torch.complex128). */
export const complex128: DType = 'complex128';
/** Alias of complex128 (torch.cdouble). */
export const cdouble: DType = 'complex128';
// PyTorch dtypes torchlet has no storage for: named (not undefined), so `{ dtype: torch.int16 }` fails
// with "unsupported dtype 'int16'" (a TypeScript error too) instead of reading undefined as the default float32.
/** torch.int8: not supported by torchlet (using it is an error). */
export const int8: UnsupportedDType = 'int8';
/** torch.int16: not supported by torchlet (using it is an error). */
export const int16: UnsupportedDType = 'int16';
/** torch.short (int16): not supported by torchlet (using it is an error). */
export const short: UnsupportedDType = 'int16';
/** torch.bfloat16: not supported by torchlet (using it is an error). */
export const bfloat16: UnsupportedDType = 'bfloat16';
/** torch.complex32: not supported by torchlet (using it is an error). */
export const complex32: UnsupportedDType = 'complex32';
/** torch.chalf (complex32): not supported by torchlet (using it is an error). */
export const chalf: UnsupportedDType = 'complex32';
/** torch.qint8: not supported by torchlet (using it is an error). */
export const qint8: UnsupportedDType = 'qint8';
/** torch.quint8: not supported by torchlet (using it is an error). */
export const quint8: UnsupportedDType = 'quint8';
/** torch.qint32: not supported by torchlet (using it is an error). */
export const qint32: UnsupportedDType = 'qint32';
/** torch.quint4x2: not supported by torchlet (using it is an error). */
export const quint4x2: UnsupportedDType = 'quint4x2';
/** torch.quint2x4: not supported by torchlet (using it is an error). */
export const quint2x4: UnsupportedDType = 'quint2x4';
export type { UnsupportedDType };
export { promoteTypes };
export { finfo, iinfo } from './finfo.js';
export type { FInfo, IInfo } from './finfo.js';

/**
 * Prepares every available backend (idempotent). The CPU backend always works.
 * @example
 * ```ts
 * await torch.init();
 * const dev = torch.webgpu.isAvailable() ? 'webgpu' : 'cpu';
 * const x = torch.randn([2, 3], { device: dev });
 * model.to(dev);
 * ```
 */
export async function init(): Promise<void> {
  await upgradeCpuBackend(getBackend('cpu')); // SIMD kernels, where only async compilation is allowed
  for (const hook of initHooks) await hook();
}
/** Backends that need async start-up (WebGPU, CUDA) add themselves here; torch.init() runs them. @internal */
export const initHooks: (() => Promise<void>)[] = [];
// WebGPU: registered when an adapter is found (browsers/Deno: navigator.gpu; Node: the optional `webgpu` package).
initHooks.push(async () => {
  if (hasBackend('webgpu')) return;
  const { createWebGPUBackend, unavailableReason: why } = await import('./backends/webgpu/index.js');
  const b = await createWebGPUBackend();
  if (b) registerBackend(b);
  else setUnavailable('webgpu', why() ?? 'no WebGPU adapter was found');
});

/** torch.webgpu: availability, synchronization, adapter info, kernel timing and cache control of the WebGPU backend (as torch.cuda). */
export const webgpu = {
  /** Whether the WebGPU backend is registered (after `await torch.init()`). */
  isAvailable: (): boolean => hasBackend('webgpu'),
  /**
   * Why WebGPU is not available after `await torch.init()` — the missing package, library or driver
   * and how to install it (e.g. Linux without the Vulkan loader: `apt-get install libvulkan1`) — or
   * null when it is available or init() has not run.
   */
  unavailableReason: (): string | null => unavailableReason('webgpu'),
  /** Resolves when every WebGPU kernel queued so far has finished (as torch.cuda.synchronize). */
  synchronize: async (): Promise<void> => { if (hasBackend('webgpu')) await getBackend('webgpu').synchronize(); },
  /**
   * The adapter's name, whether it is a software fallback (SwiftShader and the like: slower than
   * the CPU backend) and its optional features (requested when present, required by nothing), or
   * null without WebGPU.
   */
  info: (): { adapter: string; isFallbackAdapter: boolean; shaderF16: boolean; timestampQuery: boolean; subgroups: boolean } | null => {
    if (!hasBackend('webgpu')) return null;
    const i = (getBackend('webgpu') as WebGPUBackend).info;
    return { adapter: i.adapterName, isFallbackAdapter: i.isFallbackAdapter, ...i.features };
  },
  /**
   * Profiling: from beginKernelTiming() (false without the timestamp-query feature) to
   * endKernelTiming(), the GPU time of every kernel is summed from timestamp queries.
   */
  beginKernelTiming: (): boolean => hasBackend('webgpu') && (getBackend('webgpu') as WebGPUBackend).beginKernelTiming(),
  /** Stops kernel timing and resolves to the number of kernels timed and their summed GPU milliseconds, or null. */
  endKernelTiming: async (): Promise<{ kernels: number; ms: number } | null> =>
    (hasBackend('webgpu') ? (getBackend('webgpu') as WebGPUBackend).endKernelTiming() : null),
  /** Releases the pool's cached (unused) GPU buffers, as torch.cuda.emptyCache(); live tensors are untouched. */
  emptyCache: (): void => { if (hasBackend('webgpu')) getBackend('webgpu').emptyCache(); },
};
// CUDA: one backend per device, registered when the addon (`npm run build:cuda`) finds a driver and devices.
initHooks.push(async () => {
  if (hasBackend('cuda')) return;
  await initCuda();
  if (!hasBackend('cuda')) setUnavailable('cuda', unavailableReason('cuda') ?? 'the CUDA backend found no device');
});
/** torch.cuda: CUDA devices ('cuda', 'cuda:1', ...): availability, properties, synchronization, seeds, the caching allocator's statistics. */
export * as cuda from './generated/api/cuda.js';
export type { CudaDeviceProperties } from './cuda.js';

/** torch.backends.cuda.matmul: how float32 matmuls run on CUDA. */
const cudaMatmul = {
  /**
   * Whether float32 matmuls on CUDA may use TF32 tensor cores (inputs rounded to a 10-bit mantissa,
   * float32 accumulation): much faster, about 1e-3 relative error. Default false, as in PyTorch.
   */
  get allowTf32(): boolean { return getAllowTf32(); },
  set allowTf32(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`torch.backends.cuda.matmul.allowTf32: expected a boolean, got ${typeof on}`);
    setAllowTf32(on);
  },
};
/** torch.backends: switches of the backends (PyTorch's torch.backends): `torch.backends.cuda.matmul.allowTf32 = true`. */
export const backends = {
  /** torch.backends.cuda. */
  cuda: {
    /** torch.backends.cuda.matmul.allowTf32 (default false). */
    matmul: cudaMatmul,
  },
};

// ---- random ----

// ---- grad mode and memory ----
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode, type GradModeGuard };

// ---- autograd ----
/** torch.autograd: functional gradients, gradient checking and custom differentiable functions. */
export const autograd = {
  /** Gradients of outputs w.r.t. inputs, without touching .grad (torch.autograd.grad). */
  grad,
  /** Compares analytic gradients with finite differences (torch.autograd.gradcheck). */
  gradcheck,
  /** Compares second derivatives with finite differences of the first (torch.autograd.gradgradcheck). */
  gradgradcheck,
  /** jacobian, hessian, vjp, jvp, hvp, vhp (torch.autograd.functional). */
  functional: autogradFunctional,
  /** Anomaly detection: forward traces in nodes, NaN checks in backward (`using _ = detectAnomaly()` or `detectAnomaly(fn)`). */
  detectAnomaly,
  /** Turns anomaly detection on or off (torch.autograd.set_detect_anomaly); returns a guard restoring the previous mode. */
  setDetectAnomaly,
  /** Whether anomaly detection is on (torch.is_anomaly_enabled). */
  isAnomalyEnabled,
  /** Whether anomaly detection checks backward results for NaN (torch.is_anomaly_check_nan_enabled). */
  isAnomalyCheckNanEnabled,
  /** Base class of custom differentiable operations (torch.autograd.Function). */
  Function,
  /** The ctx object of custom Functions (torch.autograd.function.FunctionCtx). */
  FunctionCtx,
  /** Backward pass from several roots, accumulating into .grad (torch.autograd.backward). */
  backward: autogradBackward,
};

// ---- graph capture and torch.compile ----
export { compile } from './generated/api/compiler.js';
export type { CompileOptions, CompileInfo } from './compile/index.js';
/** torch.compiler: resetting compiled caches, compile logs, graph capture (see torch.compile). */
export * as compiler from './generated/api/compiler.js';
/** torch.onnx: export(model, args, f?, opts) writes an ONNX model (opset 17). */
export * as onnx from './onnx/index.js';
/** torch.profiler: profile() records ops and kernels; keyAverages().table(), Chrome traces. */
export * as profiler from './generated/api/profiler.js';
/** torch.distributed: process groups, collectives (Gloo for CPU tensors, NCCL for CUDA tensors), object collectives, send/recv. */
export * as distributed from './generated/api/distributed.js';
/** torch.amp: autocast regions (PyTorch's mixed-precision op lists) and GradScaler. */
export * as amp from './generated/api/amp.js';
export { autocast, isAutocastEnabled } from './generated/api/amp.js';
/** torch.cpu: the CPU's namespace (PyTorch 1.13 scripts reach torch.cpu.amp.autocast through it). */
export const cpu: {
  /** torch.cpu.amp: autocast and GradScaler on the CPU (torch.autocast('cpu', ...)). */
  readonly amp: DeviceAmp;
} = { amp: deviceAmp('cpu') };
export type { DeviceAmp } from './amp/device-amp.js';

// ---- nn: modules, init, utils and functional ----
export * as nn from './generated/api/nn.js';


// ---- optim, utils.data, serialization, generators ----
export * as optim from './generated/api/optim.js';
export * as utils from './generated/api/utils.js';
export { Generator } from './generator.js';
export { save, load, loadSafetensors } from './generated/api/serialization.js';
