// copy(src, out): strided to strided with dtype conversion (<CAST> maps src's compute type to out's).
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let v = ld_a(op_off(1, i));
  st_out(op_off(0, i), {{CAST}});
}
