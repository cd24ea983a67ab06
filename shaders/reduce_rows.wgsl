// reduce for short reductions (R <= 32; on CPU adapters, longer rows of many outputs: WebGPUBackend.cpuReduce):
// one invocation folds one output's R elements in order, so many small outputs do not each occupy a
// 64-wide workgroup (nor, on SwiftShader, its slow barriers). Same metadata and <COMBINE> as reduce.wgsl.
{{DECLS}}
struct V { v: {{T}}, i: i32 }
fn comb(a: V, b: V) -> V {
{{COMBINE}}
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_id(wid, nwg, lid, 64u);
  if (o >= md[0]) { return; }
  let k = md[1];
  let R = md[2];
  let m = md[3];
  let outerOp = 4 + k + m;
  let innerOp = outerOp + 1 + k;
  let outOff = md[innerOp + 1 + m];
  let base = strided(o, k, 4, outerOp);
  var res = V({{IDENT}}, 0x7fffffff);
  if (m == 1) { // one reduced dim (the usual case once collapsed): step the offset, no division per element
    let s = md[innerOp + 1];
    for (var r = 0; r < R; r = r + 1) {
      res = comb(res, V(ld_a(base + r * s), r));
    }
  } else {
    for (var r = 0; r < R; r = r + 1) {
      res = comb(res, V(ld_a(base + strided(r, m, 4 + k, innerOp)), r));
    }
  }
  {{FINAL}}
  st_out(outOff + o, {{CAST}});
}
