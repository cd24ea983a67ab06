// scatter(out, dim, index, src, reduce): in place on contiguous out, out[..index[i]..] = src[i] or +=.
// Operands over index's shape: 0 out (contiguous strides, dim's zeroed), 1 index, 2 src.
// Scalars: size, out stride of dim, check slot (a bad index is skipped and flagged: out is poisoned).
// Adds use atomics (a CAS loop for floats and bytes), so duplicate indices accumulate correctly; plain writes to one slot race as in PyTorch (unspecified winner).
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let s0 = scalar_slot(3);
  let size = md[s0];
  var j = ld_idx(op_off(1, i));
  if (j < -size || j >= size) {
    flag(s0 + 2, j);
    return;
  }
  if (j < 0) { j = j + size; }
  let t = op_off(0, i) + j * md[s0 + 1];
  {{UPDATE}}
}
