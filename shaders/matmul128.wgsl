// matmul128(a, b, out): the large-problem SGEMM. Same contract as matmul.wgsl ([B,M,K] x [B,K,N] ->
// contiguous [B,M,N], any input strides, md: [B, M, N, K, aOff, aS0, aS1, aS2, bOff, bS0, bS1, bS2,
// outOff]). 16x16 invocations compute a 128x128 tile, 8x8 outputs each (two 4x4 quadrants 64 apart,
// so workgroup-memory reads are conflict-free vec4s), over K in steps of 8 with k-major vec4 tiles in
// workgroup memory and the next step's global loads prefetched into registers during the FMAs.
// Operands are read along whichever of their two dims is contiguous (A_KC: a's K stride is 1, else
// its M stride is; B_NC: b's N stride is 1, else its K stride is), so transposed views need no copy; A_VEC/B_VEC: that run of 4 is 16-byte aligned
// and inside the matrix whenever its first element is, so it is one vec4 load.
// Not yet tuned on a real GPU (the WebGPU target is 0.75x PyTorch fp32 on an H100). To try there,
// float32 4096^3 with `bench/webgpu.mjs --kernel tiled --verify`: K steps of 16 with double-buffered
// As/Bs (one barrier per step instead of two), 128x256 blocks (8x16 per invocation), 64x64 quadrants
// read as two vec4 per operand per k, and the Dawn toggles disable_robustness/disable_workgroup_init
// (TORCHLET_WEBGPU_DAWN_FEATURES) to measure what bounds clamping and zero-init cost.
// The product leaves through <STORE>'s store_c(batch, row, col, value), as in matmul.wgsl.
{{DECLS}}
{{STORE}}
const A_KC: bool = {{A_KC}};
const B_NC: bool = {{B_NC}};
const A_VEC: bool = {{A_VEC}};
const B_VEC: bool = {{B_VEC}};
var<workgroup> As: array<vec4<f32>, 256>; // [8 k][32 x 4 rows]
var<workgroup> Bs: array<vec4<f32>, 256>; // [8 k][32 x 4 cols]

var<private> M: i32;
var<private> N: i32;
var<private> K: i32;
var<private> aBase: i32;
var<private> bBase: i32;

// The 4 values of a this invocation stages for the K step at k0: along k (A_KC) or along rows.
fn load_a(t: i32, row0: i32, k0: i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (A_KC) {
    let r = row0 + (t >> 1);
    let k = k0 + (t & 1) * 4;
    if (r >= M) { return v; }
    let e = aBase + r * md[6] + k;
    if (A_VEC) { if (k < K) { v = ld4_a(e); } return v; }
    for (var j = 0; j < 4; j = j + 1) { if (k + j < K) { v[j] = ld_a(e + j * md[7]); } }
  } else {
    let k = k0 + (t >> 5);
    let r = row0 + (t & 31) * 4;
    if (k >= K) { return v; }
    let e = aBase + r * md[6] + k * md[7];
    if (A_VEC) { if (r < M) { v = ld4_a(e); } return v; }
    for (var j = 0; j < 4; j = j + 1) { if (r + j < M) { v[j] = ld_a(e + j * md[6]); } }
  }
  return v;
}

fn load_b(t: i32, col0: i32, k0: i32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (B_NC) {
    let k = k0 + (t >> 5);
    let c = col0 + (t & 31) * 4;
    if (k >= K) { return v; }
    let e = bBase + k * md[10] + c;
    if (B_VEC) { if (c < N) { v = ld4_b(e); } return v; }
    for (var j = 0; j < 4; j = j + 1) { if (c + j < N) { v[j] = ld_b(e + j * md[11]); } }
  } else {
    let c = col0 + (t >> 1);
    let k = k0 + (t & 1) * 4;
    if (c >= N) { return v; }
    let e = bBase + k + c * md[11];
    if (B_VEC) { if (k < K) { v = ld4_b(e); } return v; }
    for (var j = 0; j < 4; j = j + 1) { if (k + j < K) { v[j] = ld_b(e + j); } }
  }
  return v;
}

fn store_a(t: i32, v: vec4<f32>) {
  if (A_KC) {
    let r = t >> 1;
    let k = (t & 1) * 4;
    for (var j = 0; j < 4; j = j + 1) { As[(k + j) * 32 + (r >> 2)][r & 3] = v[j]; }
  } else {
    As[(t >> 5) * 32 + (t & 31)] = v;
  }
}

fn store_b(t: i32, v: vec4<f32>) {
  if (B_NC) {
    Bs[(t >> 5) * 32 + (t & 31)] = v;
  } else {
    let c = t >> 1;
    let k = (t & 1) * 4;
    for (var j = 0; j < 4; j = j + 1) { Bs[(k + j) * 32 + (c >> 2)][c & 3] = v[j]; }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  M = md[1];
  N = md[2];
  K = md[3];
  let bz = i32(wid.z);
  let row0 = i32(wid.y) * 128;
  let col0 = i32(wid.x) * 128;
  let tx = i32(lid3.x);
  let ty = i32(lid3.y);
  let t = i32(lid);
  aBase = md[4] + bz * md[5];
  bBase = md[8] + bz * md[9];
  // acc[2 * r + h]: row r (0-3: ty*4+r, 4-7: 64+ty*4+r-4), columns tx*4.. (h = 0) or 64+tx*4.. (h = 1).
  var acc: array<vec4<f32>, 16>;
  for (var i = 0; i < 16; i = i + 1) { acc[i] = vec4<f32>(0.0); }
  var va = load_a(t, row0, 0);
  var vb = load_b(t, col0, 0);
  store_a(t, va);
  store_b(t, vb);
  workgroupBarrier();
  let kEnd = md[3]; // read from md, not the private K: barriers need a provably uniform loop
  for (var k0 = 0; k0 < kEnd; k0 = k0 + 8) {
    let more = k0 + 8 < kEnd;
    if (more) { va = load_a(t, row0, k0 + 8); vb = load_b(t, col0, k0 + 8); }
    for (var kk = 0; kk < 8; kk = kk + 1) {
      let a0 = As[kk * 32 + ty];
      let a1 = As[kk * 32 + ty + 16];
      let b0 = Bs[kk * 32 + tx];
      let b1 = Bs[kk * 32 + tx + 16];
      for (var r = 0; r < 4; r = r + 1) {
        acc[2 * r] = fma(vec4<f32>(a0[r]), b0, acc[2 * r]);
        acc[2 * r + 1] = fma(vec4<f32>(a0[r]), b1, acc[2 * r + 1]);
        acc[2 * r + 8] = fma(vec4<f32>(a1[r]), b0, acc[2 * r + 8]);
        acc[2 * r + 9] = fma(vec4<f32>(a1[r]), b1, acc[2 * r + 9]);
      }
    }
    workgroupBarrier();
    if (more) { store_a(t, va); store_b(t, vb); }
    workgroupBarrier();
  }
  for (var r = 0; r < 8; r = r + 1) {
    let row = row0 + select(ty * 4 + r, 64 + ty * 4 + r - 4, r >= 4);
    if (row >= M) { continue; }
    for (var h = 0; h < 2; h = h + 1) {
      let v = acc[2 * r + h];
      let c = col0 + h * 64 + tx * 4;
      for (var j = 0; j < 4; j = j + 1) { if (c + j < N) { store_c(bz, row, c + j, v[j]); } }
    }
  }
}
