// binary(op, a, b, out): a and b already broadcast (stride 0) to out's shape, one dtype;
// <EXPR> combines x (from a) and y (from b) in compute type <T>; <CAST> converts `r` for out.
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let x = ld_a(op_off(1, i));
  let y = ld_b(op_off(2, i));
  {{CHECK}}
  let r = {{EXPR}};
  st_out(op_off(0, i), {{CAST}});
}
