// reduce(op, x, nReduce, out): one workgroup per output element; each invocation folds a strided
// slice of the R reduced elements, then a shared-memory tree combines the 64 partials.
// md: [nOut, k, R, m, outerShape(k), innerShape(m), xOffset, outerStrides(k), 0, innerStrides(m), outOffset].
// <COMBINE> must be commutative and associative over (value, index) pairs so the tree order is
// irrelevant (ties and NaNs resolve by the smaller index, as the sequential CPU loop does).
{{DECLS}}
struct V { v: {{T}}, i: i32 }
var<workgroup> part: array<V, 64>;
fn comb(a: V, b: V) -> V {
{{COMBINE}}
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = i32(wid.y * nwg.x + wid.x);
  let k = md[1];
  let R = md[2];
  let m = md[3];
  let outerOp = 4 + k + m;
  let innerOp = outerOp + 1 + k;
  let outOff = md[innerOp + 1 + m];
  var acc = V({{IDENT}}, 0x7fffffff);
  if (o < md[0]) {
    let base = strided(o, k, 4, outerOp);
    for (var r = i32(lid); r < R; r = r + 64) {
      acc = comb(acc, V(ld_a(base + strided(r, m, 4 + k, innerOp)), r));
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = comb(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && o < md[0]) {
    let res = part[0];
    {{FINAL}}
    st_out(outOff + o, {{CAST}});
  }
}
