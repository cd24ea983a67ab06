// gather(x, dim, index, out): out[i] = x[..index[i]..] along dim. Operands (elementwise layout over
// out's shape): 0 out, 1 x with dim's stride zeroed, 2 index. Scalars: size, x stride of dim, check slot.
// Out-of-range indices never read out of bounds: they read element 0 and are flagged in the check's
// slot (the host poisons out: reading it, or what is computed from it, raises a RangeError).
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let s0 = scalar_slot(3);
  let size = md[s0];
  var j = ld_idx(op_off(2, i));
  if (j < -size || j >= size) {
    flag(s0 + 2, j);
    j = 0;
  } else if (j < 0) { j = j + size; }
  st_out(op_off(0, i), ld_a(op_off(1, i) + j * md[s0 + 1]));
}
