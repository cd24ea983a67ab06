// matmul on subgroup matrices (tensor cores): same contract as matmul.wgsl ([B,M,K] x [B,K,N] ->
// contiguous [B,M,N], any input strides, md: [B, M, N, K, aOff, aS0, aS1, aS2, bOff, bS0, bS1, bS2,
// outOff]). src/backends/webgpu/subgroup_matmul.ts fills the constants (its plan) and the matrix
// primitives: the MMA placeholder defines Left/Right/Acc, load_left/load_right (from As/Bs), mma, acc_zero,
// store_acc (into this subgroup's Cs scratch, row-major, stride TN) and the `w`/`lane` ids, either
// with Dawn's subgroup matrices or, for tests on adapters without them, with plain WGSL.
// A workgroup computes a BM x BN block: WM x WN subgroups, each RM x RN result tiles of TM x TN.
// Per K step of BK, every invocation stages A and B into workgroup memory with explicit zero fill
// outside the matrix: Dawn clamps an out-of-bounds subgroupMatrixLoad to offset 0 instead of
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

fn stage_a(lid: u32, k0: i32) {
  if (A_VEC) {
    for (var q = lid; q < BM * BK / V; q = q + WGS) {
      // A_KC: chunk runs along k (the vector dim); else along m.
      let r = select((q % (BM / V)) * V, q / (BK / V), A_KC);
      let k = select(q / (BM / V), (q % (BK / V)) * V, A_KC);
      let gr = row0 + i32(r);
      let gk = k0 + i32(k);
      var v: array<f32, {{V}}>;
      if (gr < M && gk < K && (A_KC || gr + i32(V) <= M) && (!A_KC || gk + i32(V) <= K)) {
        v = ldv_a(aBase + gr * md[6] + gk * md[7]);
      }
      for (var j = 0u; j < V; j = j + 1u) {
        As[select(a_at(r + j, k), a_at(r, k + j), A_KC)] = {{CT}}(v[j]);
      }
    }
  } else {
    for (var q = lid; q < BM * BK; q = q + WGS) {
      let r = select(q % BM, q / BK, A_KC);
      let k = select(q / BM, q % BK, A_KC);
      let gr = row0 + i32(r);
      let gk = k0 + i32(k);
      var x = 0.0;
      if (gr < M && gk < K) { x = ld_a(aBase + gr * md[6] + gk * md[7]); }
      As[a_at(r, k)] = {{CT}}(x);
    }
  }
}

fn stage_b(lid: u32, k0: i32) {
  if (B_VEC) {
    for (var q = lid; q < BN * BK / V; q = q + WGS) {
      let c = select((q % (BN / V)) * V, q / (BK / V), !B_NC);
      let k = select(q / (BN / V), (q % (BK / V)) * V, !B_NC);
      let gc = col0 + i32(c);
      let gk = k0 + i32(k);
      var v: array<f32, {{V}}>;
      if (gc < N && gk < K && (!B_NC || gc + i32(V) <= N) && (B_NC || gk + i32(V) <= K)) {
        v = ldv_b(bBase + gk * md[10] + gc * md[11]);
      }
      for (var j = 0u; j < V; j = j + 1u) {
        Bs[select(b_at(k + j, c), b_at(k, c + j), B_NC)] = {{CT}}(v[j]);
      }
    }
  } else {
    for (var q = lid; q < BN * BK; q = q + WGS) {
      let c = select(q / BK, q % BN, B_NC);
      let k = select(q % BK, q / BN, B_NC);
      let gc = col0 + i32(c);
      let gk = k0 + i32(k);
      var x = 0.0;
      if (gc < N && gk < K) { x = ld_b(bBase + gk * md[10] + gc * md[11]); }
      Bs[b_at(k, c)] = {{CT}}(x);
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
  var acc: array<Acc, {{RMN}}>;
  for (var i = 0u; i < RM * RN; i = i + 1u) { acc[i] = acc_zero(); }
  let kEnd = md[3]; // from md, not the private K: barriers need a provably uniform loop
  for (var k0 = 0; k0 < kEnd; k0 = k0 + i32(BK)) {
    stage_a(lid, k0);
    stage_b(lid, k0);
    workgroupBarrier();
    if (busy) {
      for (var kk = 0u; kk < BK; kk = kk + TK) {
        var l: array<Left, RM>;
        for (var i = 0u; i < RM; i = i + 1u) { l[i] = load_left(a_at(wr + i * TM, kk)); }
        for (var j = 0u; j < RN; j = j + 1u) {
          let r = load_right(b_at(kk, wc + j * TN));
          for (var i = 0u; i < RM; i = i + 1u) { acc[i * RN + j] = mma(l[i], r, acc[i * RN + j]); }
        }
      }
    }
    workgroupBarrier();
  }
  let oBase = md[12] + bz * M * N;
  let cOff = w * TM * TN;
  for (var t = 0u; t < RM * RN; t = t + 1u) {
    if (busy) { store_acc(acc[t], cOff); }
    workgroupBarrier();
    if (busy) {
      let tr = row0 + i32(wr + (t / RN) * TM);
      let tc = col0 + i32(wc + (t % RN) * TN);
      {{EPILOGUE}}
    }
    workgroupBarrier();
  }
}
