// linalg lu: LU with partial pivoting (LAPACK getf2), one invocation per matrix, float32.
// md: [B, n, 0, 0, 0, offLU, offPiv, offInfo, offA, (check)].
@group(0) @binding(1) var<storage, read_write> LU: array<f32>;
@group(0) @binding(2) var<storage, read_write> piv: array<i32>;
@group(0) @binding(3) var<storage, read_write> info: array<i32>;
@group(0) @binding(4) var<storage, read> A: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  if (b >= md[0]) { return; }
  let n = md[1];
  let o = md[5] + b * n * n;
  let p0 = md[6] + b * n;
  let i0 = md[7] + b;
  let a0 = md[8] + b * n * n;
  for (var e = 0; e < n * n; e = e + 1) { LU[o + e] = A[a0 + e]; }
  info[i0] = 0;
  for (var j = 0; j < n; j = j + 1) {
    var p = j;
    var best = abs(LU[o + j * n + j]);
    for (var i = j + 1; i < n; i = i + 1) { let v = abs(LU[o + i * n + j]); if (v > best) { best = v; p = i; } }
    piv[p0 + j] = p + 1;
    let pv = LU[o + p * n + j];
    if (pv != 0.0) {
      if (p != j) {
        for (var c = 0; c < n; c = c + 1) { let t = LU[o + j * n + c]; LU[o + j * n + c] = LU[o + p * n + c]; LU[o + p * n + c] = t; }
      }
      for (var i = j + 1; i < n; i = i + 1) { LU[o + i * n + j] = LU[o + i * n + j] / pv; }
    } else if (info[i0] == 0) { info[i0] = j + 1; }
    for (var i = j + 1; i < n; i = i + 1) {
      let l = LU[o + i * n + j];
      if (l != 0.0) { for (var c = j + 1; c < n; c = c + 1) { LU[o + i * n + c] = LU[o + i * n + c] - l * LU[o + j * n + c]; } }
    }
  }
}
