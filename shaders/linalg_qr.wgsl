// linalg qr: Householder QR with LAPACK's geqrf signs (as backends/wasm/linalg.ts), one invocation per
// matrix, float32. Scratch per matrix: the reflectors (m*n) then tau (n).
// md: [B, m, n, kq, 0, offQ, offR, offA, offScratch, (check)].
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> R: array<f32>;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@group(0) @binding(4) var<storage, read_write> W: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  if (b >= md[0]) { return; }
  let m = md[1];
  let n = md[2];
  let kq = md[3];
  let k = min(m, n);
  let q0 = md[5] + b * m * kq;
  let r0 = md[6] + b * kq * n;
  let a0 = md[7] + b * m * n;
  let w0 = md[8] + b * (m * n + n);
  let t0 = w0 + m * n;
  for (var e = 0; e < m * n; e = e + 1) { W[w0 + e] = A[a0 + e]; }
  for (var j = 0; j < k; j = j + 1) {
    let alpha = W[w0 + j * n + j];
    var xn = 0.0;
    for (var i = j + 1; i < m; i = i + 1) { let v = W[w0 + i * n + j]; xn = xn + v * v; }
    xn = sqrt(xn);
    if (xn == 0.0) { W[t0 + j] = 0.0; continue; }
    var sg = 1.0;
    if (alpha < 0.0) { sg = -1.0; }
    let beta = -sg * sqrt(alpha * alpha + xn * xn);
    let tau = (beta - alpha) / beta;
    W[t0 + j] = tau;
    let sc = 1.0 / (alpha - beta);
    for (var i = j + 1; i < m; i = i + 1) { W[w0 + i * n + j] = W[w0 + i * n + j] * sc; }
    W[w0 + j * n + j] = beta;
    for (var c = j + 1; c < n; c = c + 1) {
      var s = W[w0 + j * n + c];
      for (var i = j + 1; i < m; i = i + 1) { s = s + W[w0 + i * n + j] * W[w0 + i * n + c]; }
      s = s * tau;
      W[w0 + j * n + c] = W[w0 + j * n + c] - s;
      for (var i = j + 1; i < m; i = i + 1) { W[w0 + i * n + c] = W[w0 + i * n + c] - s * W[w0 + i * n + j]; }
    }
  }
  for (var i = 0; i < kq; i = i + 1) {
    for (var c = 0; c < n; c = c + 1) {
      var v = 0.0;
      if (c >= i && i < m) { v = W[w0 + i * n + c]; }
      R[r0 + i * n + c] = v;
    }
  }
  for (var i = 0; i < m; i = i + 1) {
    for (var c = 0; c < kq; c = c + 1) { Q[q0 + i * kq + c] = select(0.0, 1.0, i == c); }
  }
  for (var j = k - 1; j >= 0; j = j - 1) {
    let tau = W[t0 + j];
    if (tau == 0.0) { continue; }
    for (var c = 0; c < kq; c = c + 1) {
      var s = Q[q0 + j * kq + c];
      for (var i = j + 1; i < m; i = i + 1) { s = s + W[w0 + i * n + j] * Q[q0 + i * kq + c]; }
      s = s * tau;
      Q[q0 + j * kq + c] = Q[q0 + j * kq + c] - s;
      for (var i = j + 1; i < m; i = i + 1) { Q[q0 + i * kq + c] = Q[q0 + i * kq + c] - s * W[w0 + i * n + j]; }
    }
  }
}
