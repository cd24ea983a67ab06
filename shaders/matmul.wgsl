// matmul(a, b, out): [B,M,K] x [B,K,N] -> contiguous [B,M,N] with arbitrary (transposed or
// broadcast) input strides. 16x16 invocations compute a 64x64 output tile, 4x4 per invocation
// (register tiling), staging 64x16 slices of a and 16x64 of b in workgroup memory per K step.
// md: [B, M, N, K, aOff, aS0, aS1, aS2, bOff, bS0, bS1, bS2, outOff]; the product leaves through
// <STORE>'s store_c(batch, row, col, value): a plain store, or an epilogue (matmul_epilogue.ts).
{{DECLS}}
{{STORE}}
const TILE: i32 = 64;
const TK: i32 = 16;
var<workgroup> As: array<{{T}}, 1024>; // [TILE][TK]
var<workgroup> Bs: array<{{T}}, 1024>; // [TK][TILE]
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = md[1];
  let N = md[2];
  let K = md[3];
  let bz = i32(wid.z);
  let row0 = i32(wid.y) * TILE;
  let col0 = i32(wid.x) * TILE;
  let tx = i32(lid3.x);
  let ty = i32(lid3.y);
  let aBase = md[4] + bz * md[5];
  let bBase = md[8] + bz * md[9];
  var acc: array<{{T}}, 16>;
  for (var t = 0; t < 16; t = t + 1) { acc[t] = {{ZERO}}; }
  for (var k0 = 0; k0 < K; k0 = k0 + TK) {
    // 256 invocations load 1024 elements of each tile: 4 each, zero outside the matrix.
    for (var q = 0; q < 4; q = q + 1) {
      let e = i32(lid) + q * 256;
      let ar = e / TK; let ak = e % TK;
      let gr = row0 + ar; let gk = k0 + ak;
      var av = {{ZERO}};
      if (gr < M && gk < K) { av = ld_a(aBase + gr * md[6] + gk * md[7]); }
      As[e] = av;
      let bk = e / TILE; let bc = e % TILE;
      let gk2 = k0 + bk; let gc = col0 + bc;
      var bv = {{ZERO}};
      if (gk2 < K && gc < N) { bv = ld_b(bBase + gk2 * md[10] + gc * md[11]); }
      Bs[e] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < TK; kk = kk + 1) {
      var ar: array<{{T}}, 4>;
      var br: array<{{T}}, 4>;
      for (var u = 0; u < 4; u = u + 1) {
        ar[u] = As[(ty * 4 + u) * TK + kk];
        br[u] = Bs[kk * TILE + tx * 4 + u];
      }
      for (var u = 0; u < 4; u = u + 1) {
        for (var v = 0; v < 4; v = v + 1) { acc[u * 4 + v] = acc[u * 4 + v] + ar[u] * br[v]; }
      }
    }
    workgroupBarrier();
  }
  for (var u = 0; u < 4; u = u + 1) {
    let r = row0 + ty * 4 + u;
    for (var v = 0; v < 4; v = v + 1) {
      let c = col0 + tx * 4 + v;
      if (r < M && c < N) { store_c(bz, r, c, acc[u * 4 + v]); }
    }
  }
}
