// matmul on subgroup matrices (tensor cores): same contract as matmul.wgsl ([B,M,K] x [B,K,N] ->
// contiguous [B,M,N], any input strides, md: [B, M, N, K, aOff, aS0, aS1, aS2, bOff, bS0, bS1, bS2,
// outOff]). src/backends/webgpu/subgroup_matmul.ts fills the constants (its plan) and the matrix
// primitives: the MMA placeholder defines Left/Right/Acc, load_left/load_right (from As/Bs), mma, acc_zero,
// store_acc (into this subgroup's Cs scratch, row-major, stride TN) and the `w`/`lane` ids, either
// with Dawn's subgroup matrices or, for tests on adapters without them, with plain WGSL.
// A workgroup computes a BM x BN block: WM x WN subgroups, each RM x RN result tiles of TM x TN.
// Per K step of BK, every invocation stages A and B into workgroup memory (the next step's global
// loads issued before this step's matrix operations) with explicit zero fill outside the matrix: Dawn clamps an out-of-bounds subgroupMatrixLoad to offset 0 instead of
// zero-filling, so the matrix loads only ever read workgroup memory, and partial tiles, strides and
// transposes are all handled here. The results go out through Cs, one tile per subgroup at a time,
// with bounds checks (and f32 -> f16 rounding).
{{DECLS}}
const TM: u32 = {{TM}}u;
const TN: u32 = {{TN}}u;
const TK: u32 = {{TK}}u;
const WM: u32 = {{WM}}u;
const WN: u32 = {{WN}}u;
const RM: u32 = {{RM}}u;
const RN: u32 = {{RN}}u;
const KS: u32 = {{KS}}u;
const BM: u32 = WM * RM * TM;
const BN: u32 = WN * RN * TN;
const BK: u32 = KS * TK;
const WGS: u32 = {{WGS}}u;
const NSG: u32 = WM * WN;
// Staging orientation (A_KC: a's K stride is 1, so rows of As run along k; else along m), and the
// row stride of each staging array (padded against bank conflicts).
const A_KC: bool = {{A_KC}};
const B_NC: bool = {{B_NC}};
const AS: u32 = {{AS}}u;
const BS: u32 = {{BS}}u;
// Vector staging: the contiguous run of V elements starting at a multiple of V is one vec4<u32>
// load, all inside or all outside the matrix (the plan checks offsets, strides and extents).
const A_VEC: bool = {{A_VEC}};
const B_VEC: bool = {{B_VEC}};
const V: u32 = {{V}}u;
var<workgroup> As: array<{{CT}}, {{AS_SIZE}}>;
var<workgroup> Bs: array<{{CT}}, {{BS_SIZE}}>;
var<workgroup> Cs: array<f32, {{CS_SIZE}}>;

var<private> M: i32;
var<private> N: i32;
var<private> K: i32;
var<private> aBase: i32;
var<private> bBase: i32;
var<private> row0: i32;
var<private> col0: i32;

{{MMA}}

// Element (r, k) of the A block at As: A_KC keeps [BM][AS] (row-major), else [BK][AS] (column-major).
fn a_at(r: u32, k: u32) -> u32 { return select(k * AS + r, r * AS + k, A_KC); }
fn b_at(k: u32, c: u32) -> u32 { return select(c * BS + k, k * BS + c, B_NC); }

// Staging, in two halves so the next K step's global loads are in flight during this step's matrix
// operations: fetch_* loads this invocation's share (QA/QB loads of V elements when vectorized, else
// of one) into registers, zero outside the matrix; store_* writes it to As/Bs. Consecutive
// invocations take consecutive elements along the operand's contiguous dim (coalesced reads).
const QA: u32 = {{QA}}u;
const QB: u32 = {{QB}}u;
var<private> ra: array<vec4<u32>, QA>;
var<private> rb: array<vec4<u32>, QB>;
var<private> sa: array<f32, QA>;
var<private> sb: array<f32, QB>;

// Block coordinates (row, k) of A's load q; vectorized loads cover V elements from there along the
// contiguous dim (k when A_KC, else rows).
fn a_coord(q: u32) -> vec2<u32> {
  if (A_VEC) {
    if (A_KC) { return vec2<u32>(q / (BK / V), (q % (BK / V)) * V); }
    return vec2<u32>((q % (BM / V)) * V, q / (BM / V));
  }
  if (A_KC) { return vec2<u32>(q / BK, q % BK); }
  return vec2<u32>(q % BM, q / BM);
}
// (k, col) of B's load q; contiguous along cols when B_NC, else along k.
fn b_coord(q: u32) -> vec2<u32> {
  if (B_VEC) {
    if (B_NC) { return vec2<u32>(q / (BN / V), (q % (BN / V)) * V); }
    return vec2<u32>((q % (BK / V)) * V, q / (BK / V));
  }
  if (B_NC) { return vec2<u32>(q / BN, q % BN); }
  return vec2<u32>(q % BK, q / BK);
}
const NA: u32 = select(BM * BK, BM * BK / V, A_VEC);
const NB: u32 = select(BN * BK, BN * BK / V, B_VEC);

fn fetch_a(lid: u32, k0: i32) {
  for (var i = 0u; i < QA; i = i + 1u) {
    let q = lid + i * WGS;
    let rk = a_coord(q);
    let gr = row0 + i32(rk.x);
    let gk = k0 + i32(rk.y);
    let inside = q < NA && gr < M && gk < K;
    let e = aBase + gr * md[6] + gk * md[7];
    if (A_VEC) { ra[i] = vec4<u32>(); if (inside) { ra[i] = raw_a(e); } }
    else { sa[i] = 0.0; if (inside) { sa[i] = ld_a(e); } }
  }
}

fn store_a(lid: u32) {
  for (var i = 0u; i < QA; i = i + 1u) {
    let q = lid + i * WGS;
    if (q >= NA) { break; }
    let rk = a_coord(q);
    if (A_VEC) {
      let v = unpackv(ra[i]);
      for (var j = 0u; j < V; j = j + 1u) { As[select(a_at(rk.x + j, rk.y), a_at(rk.x, rk.y + j), A_KC)] = {{CT}}(v[j]); }
    } else {
      As[a_at(rk.x, rk.y)] = {{CT}}(sa[i]);
    }
  }
}

fn fetch_b(lid: u32, k0: i32) {
  for (var i = 0u; i < QB; i = i + 1u) {
    let q = lid + i * WGS;
    let kc = b_coord(q);
    let gk = k0 + i32(kc.x);
    let gc = col0 + i32(kc.y);
    let inside = q < NB && gk < K && gc < N;
    let e = bBase + gk * md[10] + gc * md[11];
    if (B_VEC) { rb[i] = vec4<u32>(); if (inside) { rb[i] = raw_b(e); } }
    else { sb[i] = 0.0; if (inside) { sb[i] = ld_b(e); } }
  }
}

fn store_b(lid: u32) {
  for (var i = 0u; i < QB; i = i + 1u) {
    let q = lid + i * WGS;
    if (q >= NB) { break; }
    let kc = b_coord(q);
    if (B_VEC) {
      let v = unpackv(rb[i]);
      for (var j = 0u; j < V; j = j + 1u) { Bs[select(b_at(kc.x + j, kc.y), b_at(kc.x, kc.y + j), B_NC)] = {{CT}}(v[j]); }
    } else {
      Bs[b_at(kc.x, kc.y)] = {{CT}}(sb[i]);
    }
  }
}

@compute @workgroup_size(WGS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32{{BUILTINS}}) {
  M = md[1];
  N = md[2];
  K = md[3];
  let bz = i32(wid.z);
  row0 = i32(wid.y * BM);
  col0 = i32(wid.x * BN);
  aBase = md[4] + bz * md[5];
  bBase = md[8] + bz * md[9];
  {{IDS}}
  // Subgroups past WM x WN (an adapter running smaller subgroups than its maximum) only stage.
  let busy = w < NSG;
  let wr = (w / WN) * RM * TM;
  let wc = (w % WN) * RN * TN;
  // The RM x RN accumulators are separate variables (accI, I = i * RN + j) and the code using them
  // is unrolled by the generator: no dynamic index into an array of matrices, which could send them
  // from registers to memory.
  {{ACC_DECL}}
  let kEnd = md[3]; // from md, not the private K: barriers need a provably uniform loop
  fetch_a(lid, 0);
  fetch_b(lid, 0);
  for (var k0 = 0; k0 < kEnd; k0 = k0 + i32(BK)) {
    store_a(lid);
    store_b(lid);
    workgroupBarrier();
    if (k0 + i32(BK) < kEnd) { fetch_a(lid, k0 + i32(BK)); fetch_b(lid, k0 + i32(BK)); }
    if (busy) {
      for (var kk = 0u; kk < BK; kk = kk + TK) {
        {{MMA_BODY}}
      }
    }
    workgroupBarrier();
  }
  let oBase = md[12] + bz * M * N;
  let cOff = w * TM * TN;
  for (var t = 0u; t < RM * RN; t = t + 1u) {
    if (busy) {
      switch t {
        {{STORE_CASES}}
        default: {}
      }
    }
    workgroupBarrier();
    if (busy) {
      let tr = row0 + i32(wr + (t / RN) * TM);
      let tc = col0 + i32(wc + (t % RN) * TN);
      {{EPILOGUE}}
    }
    workgroupBarrier();
  }
}
