// fill(out, value): every element of a strided out gets the scalar at scalar slot 0 (bits as i32).
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let raw = md[scalar_slot(1)];
  st_out(op_off(0, i), {{FROM_BITS}});
}
