// unary(op, x, out): out[i] = OP(x[i]) for contiguous out; <EXPR> is the op's expression in x
// (compute type <T>), <CAST> converts the result `r` to out's compute type.
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let x = ld_a(op_off(1, i));
  let r = {{EXPR}};
  st_out(op_off(0, i), {{CAST}});
}
