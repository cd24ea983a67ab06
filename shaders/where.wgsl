// where(cond, a, b, out): out = cond != 0 ? a : b, all broadcast to out's shape.
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let c = ld_c(op_off(1, i));
  var r = ld_b(op_off(3, i));
  if (c != {{CT_ZERO}}) { r = ld_a(op_off(2, i)); }
  st_out(op_off(0, i), r);
}
