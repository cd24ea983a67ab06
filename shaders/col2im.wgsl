// col2im(cols, out): the adjoint of im2col, cols [N, C*kh*kw, OH*OW] -> contiguous out [N,C,H,W].
// Deterministic gather formulation: each output pixel sums the column entries that read it, so no
// atomics are needed. md: [total, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, cOff, cS0, cS1, cS2, outOff].
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
  let c = (i / (W * H)) % C;
  let n = i / (W * H * C);
  var acc = {{ZERO}};
  for (var ki = 0; ki < kh; ki = ki + 1) {
    let ty = y + ph - ki * dh;
    if (ty < 0 || ty % sh != 0) { continue; }
    let oy = ty / sh;
    if (oy >= OH) { continue; }
    for (var kj = 0; kj < kw; kj = kj + 1) {
      let tx = x + pw - kj * dw;
      if (tx < 0 || tx % sw != 0) { continue; }
      let ox = tx / sw;
      if (ox >= OW) { continue; }
      let row = (c * kh + ki) * kw + kj;
      acc = acc + ld_a(md[14] + n * md[15] + row * md[16] + (oy * OW + ox) * md[17]);
    }
  }
  st_out(md[18] + i, acc);
}
