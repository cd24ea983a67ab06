// linalg cholesky (Backend.linalg, contract in backends/backend.ts LinalgKernel): one invocation per
// matrix of the batch, float32. md: [B, n, 0, 0, 0, offL, offInfo, offA, (check)].
@group(0) @binding(1) var<storage, read_write> L: array<f32>;
@group(0) @binding(2) var<storage, read_write> info: array<i32>;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  if (b >= md[0]) { return; }
  let n = md[1];
  let l0 = md[5] + b * n * n;
  let i0 = md[6] + b;
  let a0 = md[7] + b * n * n;
  for (var e = 0; e < n * n; e = e + 1) { L[l0 + e] = 0.0; }
  info[i0] = 0;
  for (var j = 0; j < n; j = j + 1) {
    var d = A[a0 + j * n + j];
    for (var k = 0; k < j; k = k + 1) { let v = L[l0 + j * n + k]; d = d - v * v; }
    if (!(d > 0.0)) { info[i0] = j + 1; return; }
    let ljj = sqrt(d);
    L[l0 + j * n + j] = ljj;
    for (var i = j + 1; i < n; i = i + 1) {
      var s = A[a0 + i * n + j];
      for (var k = 0; k < j; k = k + 1) { s = s - L[l0 + i * n + k] * L[l0 + j * n + k]; }
      L[l0 + i * n + j] = s / ljj;
    }
  }
}
