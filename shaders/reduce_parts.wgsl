// The second pass of a chunked reduction (reduce.wgsl, fused_reduce.wgsl with G > 1 chunks per
// output): one invocation per output folds its G partials, (value bits, index) word pairs at
// 2 * (o * G + g), in chunk order, then finishes as the one-pass kernels do. md: [nOut, G, outOffset].
{{DECLS}}
struct V { v: {{T}}, i: i32 }
fn comb(a: V, b: V) -> V {
{{COMBINE}}
}
fn partial(j: i32) -> V { return V(bitcast<{{T}}>(ld_partials(2 * j)), ld_partials(2 * j + 1)); }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_id(wid, nwg, lid, 64u);
  if (o >= md[0]) { return; }
  let G = md[1];
  var res = partial(o * G);
  for (var g = 1; g < G; g = g + 1) {
    res = comb(res, partial(o * G + g));
  }
  {{FINAL}}
  st_out(md[2] + o, {{CAST}});
}
