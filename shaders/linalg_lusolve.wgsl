// linalg luSolve / luSolveT: A X = B from the LU factors of A (md[3] = 0) or of A^T (md[3] = 1),
// as LAPACK getrs; one invocation per matrix, float32. md: [B, n, k, trans, 0, offX, offLU, offPiv, offB, (check)].
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> LU: array<f32>;
@group(0) @binding(3) var<storage, read> piv: array<i32>;
@group(0) @binding(4) var<storage, read> Bm: array<f32>;
fn swap_rows(x0: i32, k: i32, i: i32, p: i32) {
  if (p == i) { return; }
  for (var c = 0; c < k; c = c + 1) { let t = X[x0 + i * k + c]; X[x0 + i * k + c] = X[x0 + p * k + c]; X[x0 + p * k + c] = t; }
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  if (b >= md[0]) { return; }
  let n = md[1];
  let k = md[2];
  let x0 = md[5] + b * n * k;
  let f = md[6] + b * n * n;
  let p0 = md[7] + b * n;
  let b0 = md[8] + b * n * k;
  for (var e = 0; e < n * k; e = e + 1) { X[x0 + e] = Bm[b0 + e]; }
  if (md[3] == 0) {
    for (var i = 0; i < n; i = i + 1) { swap_rows(x0, k, i, piv[p0 + i] - 1); }
    for (var i = 0; i < n; i = i + 1) {
      for (var j = 0; j < i; j = j + 1) { let l = LU[f + i * n + j]; for (var c = 0; c < k; c = c + 1) { X[x0 + i * k + c] = X[x0 + i * k + c] - l * X[x0 + j * k + c]; } }
    }
    for (var i = n - 1; i >= 0; i = i - 1) {
      for (var j = i + 1; j < n; j = j + 1) { let u = LU[f + i * n + j]; for (var c = 0; c < k; c = c + 1) { X[x0 + i * k + c] = X[x0 + i * k + c] - u * X[x0 + j * k + c]; } }
      let d = LU[f + i * n + i];
      for (var c = 0; c < k; c = c + 1) { X[x0 + i * k + c] = X[x0 + i * k + c] / d; }
    }
  } else {
    for (var i = 0; i < n; i = i + 1) {
      for (var j = 0; j < i; j = j + 1) { let u = LU[f + j * n + i]; for (var c = 0; c < k; c = c + 1) { X[x0 + i * k + c] = X[x0 + i * k + c] - u * X[x0 + j * k + c]; } }
      let d = LU[f + i * n + i];
      for (var c = 0; c < k; c = c + 1) { X[x0 + i * k + c] = X[x0 + i * k + c] / d; }
    }
    for (var i = n - 1; i >= 0; i = i - 1) {
      for (var j = i + 1; j < n; j = j + 1) { let l = LU[f + j * n + i]; for (var c = 0; c < k; c = c + 1) { X[x0 + i * k + c] = X[x0 + i * k + c] - l * X[x0 + j * k + c]; } }
    }
    for (var i = n - 1; i >= 0; i = i - 1) { swap_rows(x0, k, i, piv[p0 + i] - 1); }
  }
}
