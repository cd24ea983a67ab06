// maxpool2d(x, out, idx): x [N,C,H,W] (strided) -> contiguous out and idx [N,C,OH,OW]; one invocation
// per output. Window cells outside x are skipped; the scan starts at the first in-bounds cell and
// takes a later cell when greater or NaN (PyTorch's rule); idx is the flat y*W + x of the maximum.
// md: [total, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, xOff, xS0, xS1, xS2, xS3, outOff, idxOff].
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let C = md[1]; let H = md[2]; let W = md[3]; let kh = md[4]; let kw = md[5];
  let OH = md[12]; let OW = md[13];
  let ox = i % OW; let oy = (i / OW) % OH;
  let plane = i / (OW * OH);
  let c = plane % C; let n = plane / C;
  let y0 = oy * md[6] - md[8]; let x0 = ox * md[7] - md[9];
  let base = md[14] + n * md[15] + c * md[16];
  var m = ld_a(base);
  var mi = -1;
  for (var ki = 0; ki < kh; ki = ki + 1) {
    let y = y0 + ki * md[10];
    if (y < 0 || y >= H) { continue; }
    for (var kj = 0; kj < kw; kj = kj + 1) {
      let x = x0 + kj * md[11];
      if (x < 0 || x >= W) { continue; }
      let v = ld_a(base + y * md[17] + x * md[18]);
      if (mi < 0 || v > m || {{ISNAN}}) { m = v; mi = y * W + x; }
    }
  }
  st_out(md[19] + i, m);
  st_idx(md[20] + i, mi);
}
