// arange(out, start, step): out[i] = start + i*step; start/step at scalar slots 0 and 1 (bits).
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let s0 = scalar_slot(1);
  var raw = md[s0];
  let start = {{FROM_BITS}};
  raw = md[s0 + 1];
  let step = {{FROM_BITS}};
  st_out(op_off(0, i), start + {{T}}(i) * step);
}
