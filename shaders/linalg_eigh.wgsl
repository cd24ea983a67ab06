// linalg eigh: cyclic Jacobi on the lower triangle (as backends/wasm/linalg.ts), one invocation per
// matrix, float32; eigenvalues ascending. Scratch per matrix: the rotated matrix (n*n) then the
// accumulated rotations (n*n), then n flags. md: [B, n, 0, 0, 0, offW, offV, offA, offScratch, (check)].
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read> A: array<f32>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  if (b >= md[0]) { return; }
  let n = md[1];
  let w0 = md[5] + b * n;
  let v0 = md[6] + b * n * n;
  let a0 = md[7] + b * n * n;
  let s0 = md[8] + b * (2 * n * n + n);
  let r0 = s0 + n * n;
  var bad = false;
  for (var i = 0; i < n; i = i + 1) {
    for (var j = 0; j <= i; j = j + 1) {
      let v = A[a0 + i * n + j];
      if (f32_isnan(v) || f32_isinf(v)) { bad = true; }
      S[s0 + i * n + j] = v; S[s0 + j * n + i] = v;
    }
  }
  for (var i = 0; i < n; i = i + 1) { for (var j = 0; j < n; j = j + 1) { S[r0 + i * n + j] = select(0.0, 1.0, i == j); } }
  for (var sweep = 0; sweep < 60 && !bad; sweep = sweep + 1) {
    // de Rijk's test: skip a rotation once |a_pq| is below rounding of the diagonal; stop after a
    // sweep without rotations.
    var rotated = false;
    for (var p = 0; p < n - 1; p = p + 1) {
      for (var q = p + 1; q < n; q = q + 1) {
        let apq = S[s0 + p * n + q];
        let app = S[s0 + p * n + p];
        let aqq = S[s0 + q * n + q];
        if (apq == 0.0 || abs(apq) <= 6e-8 * sqrt(abs(app * aqq))) { continue; }
        rotated = true;
        let theta = (aqq - app) / (2.0 * apq);
        var sg = 1.0;
        if (theta < 0.0) { sg = -1.0; }
        let t = sg / (abs(theta) + sqrt(1.0 + theta * theta));
        let c = 1.0 / sqrt(1.0 + t * t);
        let s = t * c;
        for (var r = 0; r < n; r = r + 1) {
          let x = S[s0 + r * n + p]; let y = S[s0 + r * n + q];
          S[s0 + r * n + p] = c * x - s * y; S[s0 + r * n + q] = s * x + c * y;
        }
        for (var r = 0; r < n; r = r + 1) {
          let x = S[s0 + p * n + r]; let y = S[s0 + q * n + r];
          S[s0 + p * n + r] = c * x - s * y; S[s0 + q * n + r] = s * x + c * y;
        }
        S[s0 + p * n + q] = 0.0; S[s0 + q * n + p] = 0.0;
        for (var r = 0; r < n; r = r + 1) {
          let x = S[r0 + r * n + p]; let y = S[r0 + r * n + q];
          S[r0 + r * n + p] = c * x - s * y; S[r0 + r * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) { break; }
  }
  // Selection by ascending eigenvalue (taken ones flagged in the scratch's last n words).
  let u0 = r0 + n * n;
  for (var i = 0; i < n; i = i + 1) { S[u0 + i] = 0.0; }
  for (var dst = 0; dst < n; dst = dst + 1) {
    var src = -1;
    var best = 0.0;
    for (var i = 0; i < n; i = i + 1) {
      if (S[u0 + i] == 0.0) { let v = S[s0 + i * n + i]; if (src < 0 || v < best) { best = v; src = i; } }
    }
    S[u0 + src] = 1.0;
    w[w0 + dst] = select(best, f32_nan(), bad);
    for (var r = 0; r < n; r = r + 1) { V[v0 + r * n + dst] = select(S[r0 + r * n + src], f32_nan(), bad); }
  }
}
