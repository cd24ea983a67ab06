// reduce(op, x, nReduce, out): one workgroup per output element, or per chunk of L reduced elements
// of an output (G chunks: few long reductions, WebGPUBackend.reduceChunks); each invocation folds a
// strided slice, then a shared-memory tree combines the 64 partials. <FINISH>'s finish stores the
// result, or (chunked) the chunk's (value, index) as two words for reduce_parts.wgsl, which folds an
// output's G partials in chunk order.
// md: [nOut, k, R, m, outerShape(k), innerShape(m), xOffset, outerStrides(k), 0, innerStrides(m), outOffset, G, L].
// <COMBINE> must be commutative and associative over (value, index) pairs so the tree order is
// irrelevant (ties and NaNs resolve by the smaller index, as the sequential CPU loop does).
{{DECLS}}
struct V { v: {{T}}, i: i32 }
var<workgroup> part: array<V, 64>;
fn comb(a: V, b: V) -> V {
{{COMBINE}}
}
// The result of workgroup w (output w, unchunked), outOff the output's offset.
{{FINISH}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = i32(wid.y * nwg.x + wid.x);
  let k = md[1];
  let m = md[3];
  let outerOp = 4 + k + m;
  let innerOp = outerOp + 1 + k;
  let outOff = md[innerOp + 1 + m];
  let G = md[innerOp + 2 + m];
  let L = md[innerOp + 3 + m];
  let o = w / G;
  let r0 = w % G * L;
  let R = min(md[2], r0 + L);
  var acc = V({{IDENT}}, 0x7fffffff);
  if (o < md[0]) {
    let base = strided(o, k, 4, outerOp);
    for (var r = r0 + i32(lid); r < R; r = r + 64) {
      acc = comb(acc, V(ld_a(base + strided(r, m, 4 + k, innerOp)), r));
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = comb(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && o < md[0]) { finish(part[0], w, outOff); }
}
