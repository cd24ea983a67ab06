// The subgroup-matrix (tensor core) matmul of the WebGPU backend: which problems it takes (a pure
// plan from shapes, strides, dtype and the adapter's capabilities: tested without a GPU) and its WGSL
// (shaders/matmul_subgroup.wgsl with the plan's constants). Contract: planSubgroupMatmul returns
// null, with the reason, whenever the tiled kernels must run instead (no feature, no config for the
// dtype, small problems, workgroup limits), so adapters without subgroup matrices never reach here.
// The 'hw' source runs on Dawn's chromium_experimental_subgroup_matrix (only on a real GPU: exercised
// by bench/gpu.sh); the 'emulate' source swaps the five matrix primitives for plain WGSL with the same
// load/store semantics, so the staging, zero fill, edge tiles and epilogue are tested on SwiftShader.

import type { DType } from '../../dtype.js';
import { binding, shader } from './codegen.js';

/** One entry of GPUAdapterInfo.subgroupMatrixConfigs: left M x K times right K x N, result M x N. */
export interface SubgroupMatrixConfig { componentType: string; resultComponentType: string; M: number; N: number; K: number }

/** What the device offers for subgroup matrices (GPUInfo.subgroupMatrix); null when it has none. */
export interface SubgroupMatrixCaps {
  configs: readonly SubgroupMatrixConfig[];
  /** GPUAdapterInfo.subgroupMaxSize: a subgroup-matrix kernel's workgroup x size must be a multiple of it. */
  subgroupMaxSize: number;
  shaderF16: boolean;
  maxInvocations: number;
  maxWorkgroupStorage: number;
  /**
   * WGSL spelling of load/store that this Dawn accepts: 'templated' (subgroupMatrixLoad<T, row_major>(p,
   * offset, stride)) or 'legacy' (subgroupMatrixLoad<T>(p, offset, colMajor, stride), deprecated in 2025).
   */
  syntax: 'templated' | 'legacy';
}

/**
 * Tuning knobs (defaults chosen without measuring; bench/gpu.sh is where to try others). What the
 * first GPU run should try, float16 4096^3 (`bench/webgpu.mjs --kernel subgroup --dtypes float16
 * --verify --tuning ...`): subgroups 4 vs 8; rm x rn of 4x2, 2x4, 4x4, 8x2 (more accumulators per
 * subgroup: fewer workgroup-memory reads per MMA, more registers); kSteps 1, 2, 4; the Dawn toggles
 * disable_workgroup_init (27 KiB zeroed per workgroup otherwise) and disable_robustness
 * (TORCHLET_WEBGPU_DAWN_FEATURES) to see what bounds clamping costs. If staging dominates: double
 * buffering As/Bs (one barrier per K step), or subgroupMatrixLoad straight from storage for interior
 * blocks (Dawn's clamp only bites at the edges) with the staged path kept for edge blocks.
 */
export interface SubgroupMatmulTuning {
  /** Subgroups per workgroup (rounded down to a power of two that the invocation limit allows); default 8. */
  subgroups?: number;
  /** Rows/columns of result tiles per subgroup; default 64/TM and 32/TN (a 128 x 128 block with 8 subgroups). */
  rm?: number; rn?: number;
  /** K per staging step, in multiples of the config's K; default 32/TK. */
  kSteps?: number;
  /** Smallest problem (2*B*M*N*K flops) for which the plan is chosen unless forced; default 2^25. */
  minFlops?: number;
}

export interface MatmulProblem {
  B: number; M: number; N: number; K: number; dtype: DType; outDtype: DType; bDtype: DType;
  aOffset: number; aStrides: readonly number[]; bOffset: number; bStrides: readonly number[]; outOffset: number;
}

export interface SubgroupMatmulPlan {
  mode: 'hw' | 'emulate';
  /** Matrix shape of the config used, and the staging element type. */
  tm: number; tn: number; tk: number; ct: 'f16' | 'f32';
  wm: number; wn: number; rm: number; rn: number; kSteps: number;
  /** Block computed by one workgroup. */
  bm: number; bn: number; bk: number;
  workgroupSize: number;
  aKC: boolean; bNC: boolean; aVec: boolean; bVec: boolean;
  /** float16 output written as whole words (two halves) instead of per-half atomics. */
  outPairs: boolean;
  /** Row strides of the staging arrays and their sizes in elements; Cs is the f32 result scratch. */
  as: number; bs: number; asSize: number; bsSize: number; csSize: number;
  storageBytes: number;
  /** Workgroups: [ceil(N / bn), ceil(M / bm)] per batch chunk (the batch is the grid's z). */
  groups: [number, number];
}

export type PlanResult = { plan: SubgroupMatmulPlan; why: null } | { plan: null; why: string };

/** Lane count of the emulated subgroups (the 'emulate' source uses no subgroup operations). */
export const EMULATED_SUBGROUP = 32;
/** Default smallest problem: below ~256^3 launch and staging costs dominate and the tiled kernels do as well. */
export const SUBGROUP_MIN_FLOPS = 2 ** 25;

const pow2Floor = (x: number): number => 2 ** Math.floor(Math.log2(Math.max(1, x)));

/**
 * The config for a dtype: float16 multiplies f16 and accumulates in f32 (as PyTorch and cuBLAS do;
 * f16 accumulation is never picked), float32 needs an f32 x f32 config (Apple GPUs; NVIDIA's Vulkan
 * driver offers none). Largest M*N*K first (fewer, bigger matrix operations), then the squarest.
 */
export function pickConfig(configs: readonly SubgroupMatrixConfig[], dtype: DType, shaderF16: boolean): SubgroupMatrixConfig | null {
  const want = dtype === 'float16' ? 'f16' : dtype === 'float32' ? 'f32' : null;
  if (!want || (want === 'f16' && !shaderF16)) return null;
  const ok = configs.filter((c) => c.componentType === want && c.resultComponentType === 'f32' && c.M * c.N % EMULATED_SUBGROUP === 0);
  ok.sort((x, y) => y.M * y.N * y.K - x.M * x.N * x.K || Math.abs(x.M - x.N) - Math.abs(y.M - y.N));
  return ok[0] ?? null;
}

/**
 * Plans the subgroup-matrix kernel for one matmul, or says why the tiled kernels run instead.
 * `force` skips only the size threshold (benchmarks and tests); `mode` 'emulate' plans the plain-WGSL
 * variant with EMULATED_SUBGROUP lanes per subgroup instead of the adapter's subgroup size.
 */
export function planSubgroupMatmul(p: MatmulProblem, caps: SubgroupMatrixCaps | null, opts: { force?: boolean; tuning?: SubgroupMatmulTuning; mode?: 'hw' | 'emulate' } = {}): PlanResult {
  const mode = opts.mode ?? 'hw', t = opts.tuning ?? {};
  if (!caps) return { plan: null, why: 'the adapter has no subgroup matrices' };
  if (p.dtype !== p.bDtype || p.dtype !== p.outDtype) return { plan: null, why: `mixed dtypes (${p.dtype}, ${p.bDtype} -> ${p.outDtype})` };
  const cfg = pickConfig(caps.configs, p.dtype, caps.shaderF16 || mode === 'emulate');
  if (!cfg) return { plan: null, why: `no subgroup-matrix config for ${p.dtype} with f32 accumulation` };
  const { B, M, N, K } = p;
  if (!opts.force && (2 * B * M * N * K < (t.minFlops ?? SUBGROUP_MIN_FLOPS) || Math.min(M, N, K) < 32)) {
    return { plan: null, why: `too small (${B}x${M}x${N}x${K})` };
  }
  const sg = mode === 'emulate' ? EMULATED_SUBGROUP : caps.subgroupMaxSize;
  let nsg = pow2Floor(Math.min(t.subgroups ?? 8, Math.floor(caps.maxInvocations / sg)));
  if (sg > caps.maxInvocations || nsg < 1) return { plan: null, why: `subgroups of ${sg} exceed ${caps.maxInvocations} invocations per workgroup` };
  const wn = 2 ** Math.ceil(Math.log2(nsg) / 2), wm = nsg / wn;
  let rm = Math.max(1, t.rm ?? Math.floor(64 / cfg.M)), rn = Math.max(1, t.rn ?? Math.floor(32 / cfg.N));
  let kSteps = Math.max(1, t.kSteps ?? Math.floor(32 / cfg.K));
  const ct = p.dtype === 'float16' && mode === 'hw' ? 'f16' : 'f32';
  const size = ct === 'f16' ? 2 : 4, pad = 16 / size; // 16-byte row padding keeps matrix rows 16-byte aligned
  const [aS0, aS1, aS2] = p.aStrides as [number, number, number], [bS0, bS1, bS2] = p.bStrides as [number, number, number];
  const aKC = aS2 === 1 || aS1 !== 1, bNC = bS2 === 1 || bS1 !== 1;
  // Shrink until the staging arrays and the scratch fit the device's workgroup memory.
  for (;;) {
    const bm = wm * rm * cfg.M, bn = wn * rn * cfg.N, bk = kSteps * cfg.K;
    const as = (aKC ? bk : bm) + pad, bs = (bNC ? bn : bk) + pad;
    const asSize = (aKC ? bm : bk) * as, bsSize = (bNC ? bk : bn) * bs, csSize = nsg * cfg.M * cfg.N;
    const storageBytes = (asSize + bsSize) * size + csSize * 4;
    if (storageBytes <= caps.maxWorkgroupStorage) {
      // Vector staging: V elements in one 16-byte load, aligned, and never straddling the matrix edge.
      const v = 16 / (p.dtype === 'float16' ? 2 : 4);
      const aligned = (...xs: number[]) => xs.every((x) => x % v === 0);
      const aVec = aKC ? aS2 === 1 && aligned(p.aOffset, aS0, aS1, K) : aS1 === 1 && aligned(p.aOffset, aS0, aS2, M);
      const bVec = bNC ? bS2 === 1 && aligned(p.bOffset, bS0, bS1, N) : bS1 === 1 && aligned(p.bOffset, bS0, bS2, K);
      return {
        plan: {
          mode, tm: cfg.M, tn: cfg.N, tk: cfg.K, ct, wm, wn, rm, rn, kSteps, bm, bn, bk, workgroupSize: nsg * sg,
          aKC, bNC, aVec: aVec && bk % v === 0 && bm % v === 0, bVec: bVec && bk % v === 0 && bn % v === 0,
          outPairs: p.outDtype === 'float16' && N % 2 === 0 && p.outOffset % 2 === 0,
          as, bs, asSize, bsSize, csSize, storageBytes, groups: [Math.ceil(N / bn), Math.ceil(M / bm)],
        },
        why: null,
      };
    }
    if (kSteps > 1) kSteps >>= 1;
    else if (rm >= rn && rm > 1) rm >>= 1;
    else if (rn > 1) rn >>= 1;
    else if (nsg > 1) { nsg >>= 1; return planSubgroupMatmul(p, caps, { ...opts, tuning: { ...t, subgroups: nsg } }); }
    else return { plan: null, why: `needs ${storageBytes} bytes of workgroup memory, the device has ${caps.maxWorkgroupStorage}` };
  }
}

/** Pipeline-cache key: everything the source depends on. */
export function subgroupMatmulKey(p: SubgroupMatmulPlan, d: DType): string {
  return `matmul_subgroup|${d}|${p.mode}|${p.tm}x${p.tn}x${p.tk}|${p.wm}x${p.wn}x${p.rm}x${p.rn}x${p.kSteps}|${p.workgroupSize}|`
    + `${+p.aKC}${+p.bNC}${+p.aVec}${+p.bVec}${+p.outPairs}`;
}

/**
 * Operand NAME with both accessors the kernel names: `ld_NAME(e)` (one element, f32) and
 * `raw_NAME(e)` (the 16 bytes holding elements e..e+V-1, e a multiple of V, for `unpackv`). `vec`:
 * bound as 16-byte vectors; else the packed scalar binding, whose raw_ is never called but must
 * exist for the kernel to compile.
 */
function operand(name: string, slot: number, d: DType, vec: boolean): string {
  const shift = d === 'float32' ? 2 : 3;
  if (!vec) return `${binding(name, slot, d, 'read')}\nfn raw_${name}(e: i32) -> vec4<u32> { return vec4<u32>(); }`;
  const decl = `@group(0) @binding(${slot}) var<storage, read> ${name}: array<vec4<u32>>;\nfn raw_${name}(e: i32) -> vec4<u32> { return ${name}[e >> ${shift}u]; }`;
  if (d === 'float32') return `${decl}\nfn ld_${name}(e: i32) -> f32 { return bitcast<f32>(${name}[e >> 2u][e & 3]); }`;
  return `${decl}\nfn ld_${name}(e: i32) -> f32 { return f16_to_f32((${name}[e >> 3u][(e >> 1u) & 3] >> (u32(e & 1) * 16u)) & 0xffffu); }`;
}

/** The V elements of 16 raw bytes, widened to f32. */
function unpack(d: DType): string {
  if (d === 'float32') return 'fn unpackv(w: vec4<u32>) -> array<f32, 4> { let x = bitcast<vec4<f32>>(w); return array<f32, 4>(x.x, x.y, x.z, x.w); }';
  return `fn unpackv(w: vec4<u32>) -> array<f32, 8> {
  let p = unpack2x16float(w.x); let q = unpack2x16float(w.y); let r = unpack2x16float(w.z); let s = unpack2x16float(w.w);
  return array<f32, 8>(p.x, p.y, q.x, q.y, r.x, r.y, s.x, s.y);
}`;
}

/** The matrix primitives on Dawn's subgroup matrices. */
function hwPrimitives(p: SubgroupMatmulPlan, syntax: SubgroupMatrixCaps['syntax']): string {
  const load = (ty: string, arr: string, colMajor: boolean, stride: number) => syntax === 'templated'
    ? `subgroupMatrixLoad<${ty}, ${colMajor ? 'col_major' : 'row_major'}>(&${arr}, off, ${stride}u)`
    : `subgroupMatrixLoad<${ty}>(&${arr}, off, ${colMajor}, ${stride}u)`;
  const store = syntax === 'templated' ? `subgroupMatrixStore<row_major>(&Cs, off, acc, TN)` : `subgroupMatrixStore(&Cs, off, acc, false, TN)`;
  return `alias Left = subgroup_matrix_left<${p.ct}, TK, TM>;
alias Right = subgroup_matrix_right<${p.ct}, TN, TK>;
alias Acc = subgroup_matrix_result<f32, TN, TM>;
fn acc_zero() -> Acc { return Acc(); }
fn load_left(off: u32) -> Left { return ${load('Left', 'As', !p.aKC, p.as)}; }
fn load_right(off: u32) -> Right { return ${load('Right', 'Bs', !p.bNC, p.bs)}; }
fn mma(l: Left, r: Right, acc: Acc) -> Acc { return subgroupMatrixMultiplyAccumulate(l, r, acc); }
fn store_acc(acc: Acc, off: u32) { ${store}; }`;
}

/**
 * The same primitives in plain WGSL: a "matrix" is its offset in As/Bs, and each of the 32 lanes of
 * an emulated subgroup owns result elements lane, lane + 32, ... of the TM x TN tile (row-major), read
 * with subgroupMatrixLoad's addressing (row-major [r, c] at off + r * stride + c, column-major at
 * off + c * stride + r).
 */
function emulatedPrimitives(p: SubgroupMatmulPlan): string {
  const epl = (p.tm * p.tn) / EMULATED_SUBGROUP;
  return `alias Left = u32;
alias Right = u32;
alias Acc = array<f32, ${epl}>;
var<private> emu_lane: u32;
fn acc_zero() -> Acc { return Acc(); }
fn load_left(off: u32) -> Left { return off; }
fn load_right(off: u32) -> Right { return off; }
fn mma(l: Left, r: Right, acc: Acc) -> Acc {
  var o = acc;
  for (var j = 0u; j < ${epl}u; j = j + 1u) {
    let e = emu_lane + j * ${EMULATED_SUBGROUP}u;
    let row = e / TN;
    let col = e % TN;
    var s = o[j];
    for (var k = 0u; k < TK; k = k + 1u) {
      s = s + f32(As[l + select(k * AS + row, row * AS + k, A_KC)]) * f32(Bs[r + select(col * BS + k, k * BS + col, B_NC)]);
    }
    o[j] = s;
  }
  return o;
}
fn store_acc(acc: Acc, off: u32) {
  for (var j = 0u; j < ${epl}u; j = j + 1u) { Cs[off + emu_lane + j * ${EMULATED_SUBGROUP}u] = acc[j]; }
}`;
}

/** The epilogue: this subgroup's lanes copy tile t from Cs to the output, inside the matrix only. */
function epilogue(p: SubgroupMatmulPlan): string {
  if (p.outPairs) {
    return `for (var e = lane * 2u; e < TM * TN; e = e + sgs * 2u) {
        let r = tr + i32(e / TN);
        let c = tc + i32(e % TN);
        if (r < M && c < N) { out[(oBase + r * N + c) >> 1u] = f32_to_f16(Cs[cOff + e]) | (f32_to_f16(Cs[cOff + e + 1u]) << 16u); }
      }`;
  }
  return `for (var e = lane; e < TM * TN; e = e + sgs) {
        let r = tr + i32(e / TN);
        let c = tc + i32(e % TN);
        if (r < M && c < N) { st_out(oBase + r * N + c, Cs[cOff + e]); }
      }`;
}

/** The accumulator declarations, one K step's loads and MMAs, and the epilogue's store cases, unrolled. */
function unrolled(p: SubgroupMatmulPlan): { ACC_DECL: string; MMA_BODY: string; STORE_CASES: string } {
  const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
  const acc = idx(p.rm * p.rn);
  const body = [
    ...idx(p.rm).map((i) => `let l${i} = load_left(a_at(wr + ${i * p.tm}u, kk));`),
    ...idx(p.rn).flatMap((j) => [
      `let r${j} = load_right(b_at(kk, wc + ${j * p.tn}u));`,
      ...idx(p.rm).map((i) => `acc${i * p.rn + j} = mma(l${i}, r${j}, acc${i * p.rn + j});`),
    ]),
  ];
  return {
    ACC_DECL: acc.map((t) => `var acc${t} = acc_zero();`).join('\n  '),
    MMA_BODY: body.join('\n        '),
    STORE_CASES: acc.map((t) => `case ${t}u: { store_acc(acc${t}, cOff); }`).join('\n        '),
  };
}

/** The full WGSL of a plan (enable directives first, then the shared helpers and the kernel). */
export function subgroupMatmulSource(p: SubgroupMatmulPlan, d: DType, syntax: SubgroupMatrixCaps['syntax'] = 'templated'): string {
  const hw = p.mode === 'hw';
  const out = p.outPairs ? '@group(0) @binding(1) var<storage, read_write> out: array<u32>;' : binding('out', 1, d, 'write');
  const decls = [out, operand('a', 2, d, p.aVec), operand('b', 3, d, p.bVec), unpack(d)].join('\n');
  const v = 16 / (d === 'float16' ? 2 : 4);
  const loads = (n: number, vec: boolean) => String(Math.ceil((vec ? n / v : n) / p.workgroupSize));
  const head = hw
    ? `${p.ct === 'f16' ? 'enable f16;\n' : ''}enable subgroups;\nenable chromium_experimental_subgroup_matrix;\n`
      // Operands and offsets differ between subgroups (never within one): uniform per subgroup, which
      // the (workgroup-scope) uniformity analysis cannot see.
      + 'diagnostic(off, chromium_experimental.subgroup_matrix_uniformity);\n'
    : '';
  const src = shader('matmul_subgroup', {
    DECLS: decls, TM: String(p.tm), TN: String(p.tn), TK: String(p.tk), WM: String(p.wm), WN: String(p.wn),
    RM: String(p.rm), RN: String(p.rn), KS: String(p.kSteps), WGS: String(p.workgroupSize),
    A_KC: String(p.aKC), B_NC: String(p.bNC), AS: String(p.as), BS: String(p.bs), A_VEC: String(p.aVec), B_VEC: String(p.bVec),
    V: String(v), QA: loads(p.bm * p.bk, p.aVec), QB: loads(p.bn * p.bk, p.bVec), CT: p.ct, AS_SIZE: String(p.asSize), BS_SIZE: String(p.bsSize), CS_SIZE: String(p.csSize),
    MMA: hw ? hwPrimitives(p, syntax) : emulatedPrimitives(p),
    ...unrolled(p),
    BUILTINS: hw ? ', @builtin(subgroup_id) sg_id: u32, @builtin(subgroup_invocation_id) sg_lane: u32, @builtin(subgroup_size) sg_size: u32' : '',
    IDS: hw ? 'let w = sg_id;\n  let lane = sg_lane;\n  let sgs = sg_size;'
      : `let w = lid / ${EMULATED_SUBGROUP}u;\n  let lane = lid % ${EMULATED_SUBGROUP}u;\n  let sgs = ${EMULATED_SUBGROUP}u;\n  emu_lane = lane;`,
    EPILOGUE: epilogue(p),
  });
  return head + src;
}
