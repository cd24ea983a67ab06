// matmul for CPU-emulated adapters (SwiftShader): [B,M,K] x [B,K,N] -> [B,M,N] in f32, any strides.
// Each invocation keeps an 8x8 output block in four mat4x4 accumulators and reads its operands
// straight from global memory, 4x4 blocks at a time (<LOADS>' a_blk/b_blk: vec4 loads where the
// operand is contiguous and aligned, else scalar ones), with no workgroup memory, barriers or
// dynamically indexed arrays: SwiftShader runs those as per-lane gathers and fiber switches, which
// made the tiled kernels ~20x slower there. Rows and columns past the edge are clamped on load and
// never stored. The 8x8 blocks of all batches form one flat grid (consecutive invocations take
// consecutive column blocks), so small or thin products leave no invocation idle, which
// SwiftShader pays for. md as matmul.wgsl: [B, M, N, K, aOff, aS0, aS1, aS2, bOff, bS0, bS1, bS2,
// ...]; the product leaves through <STORE>'s store_c(batch, row, col, value).
// With subgroups (a_share/a_shared in <LOADS>, src/backends/webgpu/matmul_cpu.ts), the lanes of a subgroup that
// hold the same 8 rows (consecutive column blocks: checked, not assumed) load two of A's eight
// vectors per k step each and pass them around with subgroupBroadcast: the same values, so the
// same bits, with 10 loads per lane and step instead of 16 (SwiftShader's per-lane loads are what
// this kernel spends its time on).
{{DECLS}}
{{STORE}}
{{LOADS}}
// The tail block (K % 4 != 0): scalar loads at clamped k, A's entries past K zeroed.
fn a_tail(ra: vec4<i32>, k: i32, K: i32, sk: i32) -> mat4x4<f32> {
  let kq = min(vec4<i32>(k) + vec4<i32>(0, 1, 2, 3), vec4<i32>(K - 1)) * sk;
  let live = vec4<f32>(select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<i32>(k) + vec4<i32>(0, 1, 2, 3) < vec4<i32>(K)));
  return mat4x4<f32>(
    live * vec4<f32>(ld_a(ra.x + kq.x), ld_a(ra.x + kq.y), ld_a(ra.x + kq.z), ld_a(ra.x + kq.w)),
    live * vec4<f32>(ld_a(ra.y + kq.x), ld_a(ra.y + kq.y), ld_a(ra.y + kq.z), ld_a(ra.y + kq.w)),
    live * vec4<f32>(ld_a(ra.z + kq.x), ld_a(ra.z + kq.y), ld_a(ra.z + kq.z), ld_a(ra.z + kq.w)),
    live * vec4<f32>(ld_a(ra.w + kq.x), ld_a(ra.w + kq.y), ld_a(ra.w + kq.z), ld_a(ra.w + kq.w)));
}
fn b_tail(cb: vec4<i32>, k: i32, K: i32, sk: i32) -> mat4x4<f32> {
  let kq = min(vec4<i32>(k) + vec4<i32>(0, 1, 2, 3), vec4<i32>(K - 1)) * sk;
  return mat4x4<f32>(
    vec4<f32>(ld_b(cb.x + kq.x), ld_b(cb.y + kq.x), ld_b(cb.z + kq.x), ld_b(cb.w + kq.x)),
    vec4<f32>(ld_b(cb.x + kq.y), ld_b(cb.y + kq.y), ld_b(cb.z + kq.y), ld_b(cb.w + kq.y)),
    vec4<f32>(ld_b(cb.x + kq.z), ld_b(cb.y + kq.z), ld_b(cb.z + kq.z), ld_b(cb.w + kq.z)),
    vec4<f32>(ld_b(cb.x + kq.w), ld_b(cb.y + kq.w), ld_b(cb.z + kq.w), ld_b(cb.w + kq.w)));
}
// Row r's four products (r < M) at columns c..c+3 (those < N).
fn put4(bz: i32, r: i32, c: i32, M: i32, N: i32, v: vec4<f32>) {
  if (r >= M) { return; }
  if (c < N) { store_c(bz, r, c, v.x); }
  if (c + 1 < N) { store_c(bz, r, c + 1, v.y); }
  if (c + 2 < N) { store_c(bz, r, c + 2, v.z); }
  if (c + 3 < N) { store_c(bz, r, c + 3, v.w); }
}
@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32{{SGARGS}}) {
  let M = md[1];
  let N = md[2];
  let K = md[3];
  let cols = (N + 7) / 8;
  let blocks = (M + 7) / 8 * cols;
  // Invocations past the grid compute the last block and store nothing: every lane of a subgroup
  // takes part in its broadcasts.
  let i0 = flat_id(wid, nwg, lid, {{WG}}u);
  let live = i0 < md[0] * blocks;
  let i = min(i0, md[0] * blocks - 1);
  let bz = i / blocks;
  let r0 = (i % blocks) / cols * 8;
  let c0 = i % cols * 8;
  let aS1 = md[6];
  let aS2 = md[7];
  let bS1 = md[10];
  let bS2 = md[11];
  // Element offsets of A[row, 0] for the 8 rows and of B[0, col] for the 8 columns, each clamped
  // inside the matrix. A vector load along rows/columns reads the aligned vec4 holding its first
  // element: the four rows/columns themselves in every block that is stored (M or N is a multiple
  // of 4 then), and some in-bounds values in a block past the edge, which is never stored.
  let aBase = md[4] + bz * md[5];
  let bBase = md[8] + bz * md[9];
  let lastR = vec4<i32>(M - 1);
  let lastC = vec4<i32>(N - 1);
  let step = vec4<i32>(0, 1, 2, 3);
  let ra0 = aBase + min(r0 + step, lastR) * aS1;
  let ra1 = aBase + min(r0 + 4 + step, lastR) * aS1;
  let cb0 = bBase + min(c0 + step, lastC) * bS2;
  let cb1 = bBase + min(c0 + 4 + step, lastC) * bS2;
  // acc_ij: column q holds output row r0 + 4i + q at columns c0 + 4j .. + 3: (A B)^T = B^T A^T.
  var acc00 = mat4x4<f32>();
  var acc01 = mat4x4<f32>();
  var acc10 = mat4x4<f32>();
  var acc11 = mat4x4<f32>();
  let K4 = K & ~3;
  // Shared loads where the subgroup's lanes hold the same rows (a uniform branch), else each its own:
  // two loops, as choosing inside the k loop (A's blocks in function variables) cost SwiftShader the gain.
  let sh = a_share(r0, aBase, M, aS1, aS2{{SGPASS}});
  if (sh.on) {
    for (var k = 0; k < K4; k = k + 4) {
      let a = a_shared(sh, k, aS2);
      let b0 = b_blk(cb0, k, bS1);
      let b1 = b_blk(cb1, k, bS1);
      acc00 = acc00 + b0 * a.m0;
      acc01 = acc01 + b1 * a.m0;
      acc10 = acc10 + b0 * a.m1;
      acc11 = acc11 + b1 * a.m1;
    }
  } else {
    for (var k = 0; k < K4; k = k + 4) {
      let a0 = a_blk(ra0, k, aS2);
      let a1 = a_blk(ra1, k, aS2);
      let b0 = b_blk(cb0, k, bS1);
      let b1 = b_blk(cb1, k, bS1);
      acc00 = acc00 + b0 * a0;
      acc01 = acc01 + b1 * a0;
      acc10 = acc10 + b0 * a1;
      acc11 = acc11 + b1 * a1;
    }
  }
  if (K4 < K) {
    let a0 = a_tail(ra0, K4, K, aS2);
    let a1 = a_tail(ra1, K4, K, aS2);
    let b0 = b_tail(cb0, K4, K, bS1);
    let b1 = b_tail(cb1, K4, K, bS1);
    acc00 = acc00 + b0 * a0;
    acc01 = acc01 + b1 * a0;
    acc10 = acc10 + b0 * a1;
    acc11 = acc11 + b1 * a1;
  }
  if (!live) { return; }
  let ra = vec2<i32>(r0, r0 + 4);
  let cb = vec2<i32>(c0, c0 + 4);
  put4(bz, ra.x, cb.x, M, N, acc00[0]); put4(bz, ra.x + 1, cb.x, M, N, acc00[1]); put4(bz, ra.x + 2, cb.x, M, N, acc00[2]); put4(bz, ra.x + 3, cb.x, M, N, acc00[3]);
  put4(bz, ra.x, cb.y, M, N, acc01[0]); put4(bz, ra.x + 1, cb.y, M, N, acc01[1]); put4(bz, ra.x + 2, cb.y, M, N, acc01[2]); put4(bz, ra.x + 3, cb.y, M, N, acc01[3]);
  put4(bz, ra.y, cb.x, M, N, acc10[0]); put4(bz, ra.y + 1, cb.x, M, N, acc10[1]); put4(bz, ra.y + 2, cb.x, M, N, acc10[2]); put4(bz, ra.y + 3, cb.x, M, N, acc10[3]);
  put4(bz, ra.y, cb.y, M, N, acc11[0]); put4(bz, ra.y + 1, cb.y, M, N, acc11[1]); put4(bz, ra.y + 2, cb.y, M, N, acc11[2]); put4(bz, ra.y + 3, cb.y, M, N, acc11[3]);
}
