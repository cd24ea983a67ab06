// scan(op, x, out): inclusive cumsum/cumprod along the last dim; one invocation walks one row
// (rows are independent and usually short, so a sequential row keeps the exact CPU order).
// md: [rows, k, L, lastStride, outerShape(k), xOffset, outerStrides(k), outOffset].
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = flat_id(wid, nwg, lid, 64u);
  if (row >= md[0]) { return; }
  let k = md[1];
  let L = md[2];
  let s = md[3];
  let base = strided(row, k, 4, 4 + k);
  let o = md[5 + 2 * k] + row * L;
  var acc: {{T}} = {{IDENT}};
  for (var j = 0; j < L; j = j + 1) {
    let x = ld_a(base + j * s);
    acc = {{STEP}};
    st_out(o + j, {{CAST}});
  }
}
