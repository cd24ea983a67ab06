// linalg svd: one-sided Jacobi on the tall orientation (A, or A^T when m < n), as
// backends/wasm/linalg.ts; one invocation per matrix, float32. Columns for zero singular values and
// the full-matrix extension are completed to an orthonormal basis. Scratch per matrix (M >= N the
// tall sizes): W (M*N), V (N*N), sv (N), order (N), X (M*M), ok flags (M), e (M).
// md: [B, m, n, ku, kv, offU, offS, offVh, offA, offScratch, (check)].
@group(0) @binding(1) var<storage, read_write> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> Sv: array<f32>;
@group(0) @binding(3) var<storage, read_write> Vh: array<f32>;
@group(0) @binding(4) var<storage, read> A: array<f32>;
@group(0) @binding(5) var<storage, read_write> T: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  if (b >= md[0]) { return; }
  let m = md[1];
  let n = md[2];
  let ku = md[3];
  let kv = md[4];
  let tr = m < n;
  let M = max(m, n);
  let N = min(m, n);
  let k = N;
  let kx = select(ku, kv, tr);
  let u0 = md[5] + b * m * ku;
  let sv0 = md[6] + b * k;
  let vh0 = md[7] + b * kv * n;
  let a0 = md[8] + b * m * n;
  let W0 = md[9] + b * (M * N + N * N + 2 * N + M * M + 2 * M);
  let V0 = W0 + M * N;
  let S0 = V0 + N * N;
  let O0 = S0 + N;
  let X0 = O0 + N;
  let F0 = X0 + M * M;
  let E0 = F0 + M;
  var bad = false;
  for (var i = 0; i < m; i = i + 1) {
    for (var j = 0; j < n; j = j + 1) {
      let v = A[a0 + i * n + j];
      if (f32_isnan(v) || f32_isinf(v)) { bad = true; }
      if (tr) { T[W0 + j * N + i] = v; } else { T[W0 + i * N + j] = v; }
    }
  }
  for (var i = 0; i < N; i = i + 1) { for (var j = 0; j < N; j = j + 1) { T[V0 + i * N + j] = select(0.0, 1.0, i == j); } }
  for (var sweep = 0; sweep < 60 && !bad; sweep = sweep + 1) {
    var rotated = false;
    for (var p = 0; p < N - 1; p = p + 1) {
      for (var q = p + 1; q < N; q = q + 1) {
        var al = 0.0; var be = 0.0; var ga = 0.0;
        for (var r = 0; r < M; r = r + 1) { let x = T[W0 + r * N + p]; let y = T[W0 + r * N + q]; al = al + x * x; be = be + y * y; ga = ga + x * y; }
        if (ga == 0.0 || abs(ga) <= 1.2e-7 * sqrt(al * be)) { continue; }
        rotated = true;
        let zeta = (be - al) / (2.0 * ga);
        var sg = 1.0;
        if (zeta < 0.0) { sg = -1.0; }
        let t = sg / (abs(zeta) + sqrt(1.0 + zeta * zeta));
        let c = 1.0 / sqrt(1.0 + t * t);
        let s = c * t;
        for (var r = 0; r < M; r = r + 1) { let x = T[W0 + r * N + p]; let y = T[W0 + r * N + q]; T[W0 + r * N + p] = c * x - s * y; T[W0 + r * N + q] = s * x + c * y; }
        for (var r = 0; r < N; r = r + 1) { let x = T[V0 + r * N + p]; let y = T[V0 + r * N + q]; T[V0 + r * N + p] = c * x - s * y; T[V0 + r * N + q] = s * x + c * y; }
      }
    }
    if (!rotated) { break; }
  }
  for (var j = 0; j < N; j = j + 1) { var s = 0.0; for (var r = 0; r < M; r = r + 1) { let v = T[W0 + r * N + j]; s = s + v * v; } T[S0 + j] = sqrt(s); T[O0 + j] = -1.0; }
  // Descending order: O0[dst] = source column.
  for (var dst = 0; dst < N; dst = dst + 1) {
    var src = -1;
    var best = 0.0;
    for (var j = 0; j < N; j = j + 1) {
      var taken = false;
      for (var d = 0; d < dst; d = d + 1) { if (i32(T[O0 + d]) == j) { taken = true; } }
      if (!taken && (src < 0 || T[S0 + j] > best)) { best = T[S0 + j]; src = j; }
    }
    T[O0 + dst] = f32(src);
  }
  let smax = select(0.0, T[S0 + i32(T[O0])], N > 0);
  for (var c = 0; c < kx; c = c + 1) { T[F0 + c] = 0.0; for (var r = 0; r < M; r = r + 1) { T[X0 + r * kx + c] = 0.0; } }
  for (var dst = 0; dst < N; dst = dst + 1) {
    let src = i32(T[O0 + dst]);
    let s = T[S0 + src];
    Sv[sv0 + dst] = select(s, f32_nan(), bad);
    if (dst < kx && s > 0.0 && s > smax * 1.2e-7 * f32(M)) {
      T[F0 + dst] = 1.0;
      for (var r = 0; r < M; r = r + 1) { T[X0 + r * kx + dst] = T[W0 + r * N + src] / s; }
    }
  }
  // Completion: unit vectors orthogonalised (twice) against the accepted columns, the largest kept.
  for (var c = 0; c < kx; c = c + 1) {
    if (T[F0 + c] != 0.0) { continue; }
    var bestN = -1.0;
    for (var e = 0; e < M; e = e + 1) {
      for (var r = 0; r < M; r = r + 1) { T[E0 + r] = select(0.0, 1.0, r == e); }
      for (var ps = 0; ps < 2; ps = ps + 1) {
        for (var d = 0; d < kx; d = d + 1) {
          if (T[F0 + d] == 0.0) { continue; }
          var dp = 0.0;
          for (var r = 0; r < M; r = r + 1) { dp = dp + T[X0 + r * kx + d] * T[E0 + r]; }
          for (var r = 0; r < M; r = r + 1) { T[E0 + r] = T[E0 + r] - dp * T[X0 + r * kx + d]; }
        }
      }
      var nv = 0.0;
      for (var r = 0; r < M; r = r + 1) { nv = nv + T[E0 + r] * T[E0 + r]; }
      nv = sqrt(nv);
      if (nv > bestN) { bestN = nv; for (var r = 0; r < M; r = r + 1) { T[X0 + r * kx + c] = T[E0 + r] / nv; } }
      if (nv > 0.7) { break; }
    }
    T[F0 + c] = 1.0;
  }
  // Outputs: the tall problem's left vectors X and right vectors V (columns in order).
  if (!tr) {
    for (var r = 0; r < m; r = r + 1) { for (var c = 0; c < ku; c = c + 1) { U[u0 + r * ku + c] = select(T[X0 + r * kx + c], f32_nan(), bad); } }
    for (var i = 0; i < kv; i = i + 1) { let src = i32(T[O0 + i]); for (var j = 0; j < n; j = j + 1) { Vh[vh0 + i * n + j] = select(T[V0 + j * N + src], f32_nan(), bad); } }
  } else {
    for (var r = 0; r < m; r = r + 1) { for (var c = 0; c < ku; c = c + 1) { let src = i32(T[O0 + c]); U[u0 + r * ku + c] = select(T[V0 + r * N + src], f32_nan(), bad); } }
    for (var i = 0; i < kv; i = i + 1) { for (var j = 0; j < n; j = j + 1) { Vh[vh0 + i * n + j] = select(T[X0 + j * kx + i], f32_nan(), bad); } }
  }
}
