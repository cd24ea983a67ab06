// adamStep(p, g, m, v): the fused Adam/AdamW update (Backend.adamStep), in place on dense float32
// p, m, v from g, one invocation per element (on CPU adapters several: WebGPUBackend.elementsPerInvocation). Each operation is the composed update's kernel
// (src/optim/adam.ts), pinned to its float32 rounding, in its order, so the values are bit for bit.
// md: [n, pOff, gOff, mOff, vOff, b1, a1, b2, a2, c1, c2, decay, wd (f32 bits), flags, zero]; flags:
// 1 maximize, 2 weight decay (decided on the double, as the composed update does: a wd that rounds to
// 0 in float32 still adds p * 0).
{{DECLS}}
fn k(w: i32) -> f32 { return bitcast<f32>(w); } // k(md[j]): a word read where it is used (chunked: once per invocation)
fn sqrt_k(x: f32) -> f32 { return {{SQRT}}; }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  fz = u32(md[14]);
  let pe = md[1] + i; let me = md[3] + i; let ve = md[4] + i;
  let p0 = ld_pbuf(pe);
  var g = ld_gbuf(md[2] + i);
  if ((md[13] & 1) != 0) { g = -g; }
  if ((md[13] & 2) != 0) { g = pin(g + pin(p0 * k(md[12]))); }
  let m = pin(pin(ld_mbuf(me) * k(md[5])) + pin(g * k(md[6])));
  let v = pin(pin(ld_vbuf(ve) * k(md[7])) + pin(pin(g * g) * k(md[8])));
  st_mbuf(me, m);
  st_vbuf(ve, v);
  let u = pin(m / pin(pin(sqrt_k(v) * k(md[9])) + k(md[10])));
  let decay = k(md[11]);
  st_pbuf(pe, pin(select(pin(p0 * decay), p0, decay == 1.0) + u));
}
