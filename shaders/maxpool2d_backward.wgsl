// maxpool2d_backward(g, idx, out): max pooling's gradient, g and idx [N,C,OH,OW] (strided) ->
// contiguous out [N,C,H,W]. Gather formulation, no atomics: each input cell walks the windows that
// cover it in increasing output order (ki, kj descending) and adds the g of those whose idx names it,
// the order a scatter-add in output order takes, so the same bits.
// md: [total, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, gOff, gS0..gS3, iOff, iS0..iS3, outOff].
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let C = md[1]; let H = md[2]; let W = md[3]; let kh = md[4]; let kw = md[5];
  let sh = md[6]; let sw = md[7]; let ph = md[8]; let pw = md[9]; let dh = md[10]; let dw = md[11];
  let OH = md[12]; let OW = md[13];
  let x = i % W;
  let y = (i / W) % H;
  let plane = i / (W * H);
  let c = plane % C; let n = plane / C;
  let gb = md[14] + n * md[15] + c * md[16];
  let ib = md[19] + n * md[20] + c * md[21];
  let cell = y * W + x;
  var acc = {{ZERO}};
  for (var ki = kh - 1; ki >= 0; ki = ki - 1) {
    let ty = y + ph - ki * dh;
    if (ty < 0 || ty % sh != 0) { continue; }
    let oy = ty / sh;
    if (oy >= OH) { continue; }
    for (var kj = kw - 1; kj >= 0; kj = kj - 1) {
      let tx = x + pw - kj * dw;
      if (tx < 0 || tx % sw != 0) { continue; }
      let ox = tx / sw;
      if (ox >= OW) { continue; }
      if (ld_idx(ib + oy * md[22] + ox * md[23]) == cell) { acc = acc + ld_a(gb + oy * md[17] + ox * md[18]); }
    }
  }
  st_out(md[24] + i, acc);
}
