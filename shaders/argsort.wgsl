// argsort(x, descending, out): stable, NaN sorts as the largest value. Rank formulation: invocation
// (row, j) counts the elements that precede x[j] (strictly before in the order, or equal with a
// smaller index) and writes j at that rank: O(L^2) per row, exact and simple for moderate L.
// md: [rows*L, k, L, lastStride, outerShape(k), xOff, outerStrides(k), outOff, descending].
{{DECLS}}
fn before(a: {{T}}, b: {{T}}) -> bool { // a strictly before b in ascending order, NaN last
{{LESS}}
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let k = md[1];
  let L = md[2];
  let s = md[3];
  let row = i / L;
  let j = i % L;
  let base = strided(row, k, 4, 4 + k);
  let desc = md[6 + 2 * k] != 0;
  let xj = ld_a(base + j * s);
  var rank = 0;
  for (var q = 0; q < L; q = q + 1) {
    let xq = ld_a(base + q * s);
    var pre = false;
    if (desc) { pre = before(xj, xq); } else { pre = before(xq, xj); }
    if (pre || (q < j && !before(xj, xq) && !before(xq, xj))) { rank = rank + 1; }
  }
  st_out(md[5 + 2 * k] + row * L + rank, j);
}
