// fused(program with `reduce`): an elementwise prologue (src/backends/webgpu/fused_reduce.ts)
// evaluated where the reduce kernels load an element, with their accumulation order, so values are
// those of the prologue's temporary reduced by Backend.reduce: entry `main` is reduce.wgsl (one
// workgroup per output, each invocation folding r = lid, lid + 64, ..., then the same 64-wide
// tree; chunked as reduce.wgsl's, <FINISH>'s finish then storing the chunk's partial), entry `rows` is
// reduce_rows.wgsl (one invocation per output, r in order).
// md: [nOut, k, R, m, outerShape(k), innerShape(m), per bound input j, then per side output:
// offset, outerStrides(k), 0, innerStrides(m) (reduce.wgsl's operand layout, so `strided` walks it);
// outOffset, G, L; scalars]. `elem` also stores the side outputs at its element.
{{DECLS}}
// The kernel is specialised to the collapsed outer and reduced ranks (k = {{KD}}, m = {{MD}}, as
// md[1] and md[3] hold), so the table positions below are constants, not metadata reads per element.
// Operand table entry j (bound inputs, then side outputs).
fn in_op(j: i32) -> i32 { return {{KD}} + {{MD}} + 4 + j * ({{KD}} + {{MD}} + 2); }
// base<j>, set_bases(o), set_r(r), at<j>(r): operand j's offset at the current output (read once per
// output, as reduce.wgsl's `base`), the reduced element's coordinates (once per element) and operand
// j's element there (fused_reduce.ts, fusedReduceRanked).
{{RANKED}}
// The reduced value at element r of the current output: the prologue, settled as stored.
fn elem(r: i32) -> {{T}} {
{{BODY}}
}
struct V { v: {{T}}, i: i32 }
var<workgroup> part: array<V, 64>;
fn comb(a: V, b: V) -> V {
{{COMBINE}}
}
// The result of output o (rows; main: of workgroup w, output w unchunked).
{{FINISH}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = i32(wid.y * nwg.x + wid.x);
  let G = md[in_op({{NIN}}) + 1];
  let L = md[in_op({{NIN}}) + 2];
  let o = w / G;
  let r0 = w % G * L;
  let R = min(md[2], r0 + L);
  fz = u32(md[in_op({{NIN}}) + 3]);
  var acc = V({{IDENT}}, 0x7fffffff);
  if (o < md[0]) {
    set_bases(o);
    for (var r = r0 + i32(lid); r < R; r = r + 64) {
      acc = comb(acc, V(elem(r), r));
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] = comb(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && o < md[0]) { finish(part[0], w); }
}
@compute @workgroup_size(64)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_id(wid, nwg, lid, 64u);
  if (o >= md[0]) { return; }
  let R = md[2];
  fz = u32(md[in_op({{NIN}}) + 3]);
  set_bases(o);
  var res = V({{IDENT}}, 0x7fffffff);
  for (var r = 0; r < R; r = r + 1) {
    res = comb(res, V(elem(r), r));
  }
  finish(res, o);
}
