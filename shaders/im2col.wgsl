// im2col(x, out): x [N,C,H,W] (strided) -> contiguous out [N, C*kh*kw, OH*OW]; one invocation per
// output element; outside the padded input it stores padValue (scalar slot, bits).
// md: [total, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW, xOff, xS0, xS1, xS2, xS3, outOff, padBits].
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let C = md[1]; let H = md[2]; let W = md[3]; let kh = md[4]; let kw = md[5];
  let OH = md[12]; let OW = md[13];
  let L = OH * OW;
  let l = i % L;
  let rowAll = i / L;
  let rows = C * kh * kw;
  let row = rowAll % rows;
  let n = rowAll / rows;
  let kj = row % kw;
  let ki = (row / kw) % kh;
  let c = row / (kw * kh);
  let oy = l / OW; let ox = l % OW;
  let y = oy * md[6] - md[8] + ki * md[10];
  let x = ox * md[7] - md[9] + kj * md[11];
  let raw = md[20];
  var v = {{FROM_BITS}};
  if (y >= 0 && y < H && x >= 0 && x < W) {
    v = ld_a(md[14] + n * md[15] + c * md[16] + y * md[17] + x * md[18]);
  }
  st_out(md[19] + i, v);
}
