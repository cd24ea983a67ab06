// checkRange(x, min, max): flags any int32 element of x outside [min, max]. Operand 0 is x (read
// only: this kernel writes nothing but its check's flag). Scalars: min, max, the check's slot. The
// host reads the flag back after the batch: what is computed from x then raises a RangeError when read.
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let s0 = scalar_slot(1);
  let v = ld_a(op_off(0, i));
  if (v < md[s0] || v > md[s0 + 1]) {
    flag(s0 + 2, v);
  }
}
