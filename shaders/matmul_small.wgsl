// matmul for thin products (M or N at most 16), where a 64x64 tile would leave most of its
// invocations idle: one invocation per output element, operands read straight from global memory
// with any strides. Same layout as matmul.wgsl: [B,M,K] x [B,K,N] -> contiguous [B,M,N];
// md: [B, M, N, K, aOff, aS0, aS1, aS2, bOff, bS0, bS1, bS2, outOff].
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = md[1];
  let N = md[2];
  let K = md[3];
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0] * M * N) { return; }
  let bz = i / (M * N);
  let r = (i / N) % M;
  let c = i % N;
  var pa = md[4] + bz * md[5] + r * md[6];
  var pb = md[8] + bz * md[9] + c * md[11];
  var acc = {{ZERO}};
  for (var k = 0; k < K; k = k + 1) {
    acc = acc + ld_a(pa) * ld_b(pb);
    pa = pa + md[7];
    pb = pb + md[10];
  }
  st_out(md[12] + i, acc);
}
