// random(out, dist, seed, offset): Philox-4x32-10, bit-exact with src/backends/philox.ts. Invocation b
// computes block offset+b: uniform uses its 4 words for elements 4b..4b+3, normal uses words 0,1
// for elements 2b, 2b+1 via Box-Muller. md: [n, outOff, keyLo, keyHi, offLo, offHi, normal].
{{DECLS}}
// High 32 bits of a 32x32-bit product from 16-bit halves (WGSL has no 64-bit integers).
fn mulhi(a: u32, b: u32) -> u32 {
  let aH = a >> 16u; let aL = a & 0xffffu; let bH = b >> 16u; let bL = b & 0xffffu;
  let ll = aL * bL; let lh = aL * bH; let hl = aH * bL; let hh = aH * bH;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn philox(ctrLo: u32, ctrHi: u32, keyLo: u32, keyHi: u32) -> vec4<u32> {
  var c = vec4<u32>(ctrLo, ctrHi, 0u, 0u);
  var k0 = keyLo; var k1 = keyHi;
  for (var r = 0; r < 10; r = r + 1) {
    let hi0 = mulhi(0xd2511f53u, c.x); let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi(0xcd9e8d57u, c.z); let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0);
    k0 = k0 + 0x9e3779b9u; k1 = k1 + 0xbb67ae85u;
  }
  return c;
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = flat_id(wid, nwg, lid, 64u);
  let n = md[0];
  let normal = md[6] != 0;
  var per = 4;
  if (normal) { per = 2; }
  if (b * per >= n) { return; }
  let lo = u32(md[4]) + u32(b);
  var hi = u32(md[5]);
  if (lo < u32(b)) { hi = hi + 1u; } // carry of the 64-bit counter
  let w = philox(lo, hi, u32(md[2]), u32(md[3]));
  let o = md[1] + b * per;
  let scale = 5.9604644775390625e-8;
  if (!normal) {
    for (var j = 0; j < 4; j = j + 1) {
      if (b * 4 + j < n) { st_out(o + j, f32(w[j] >> 8u) * scale); }
    }
  } else {
    let u1 = f32((w.x >> 8u) + 1u) * scale;
    let u2 = f32(w.y >> 8u) * scale;
    let r = sqrt(-2.0 * log(u1));
    let sc = sincos_(6.283185307179586 * u2);
    st_out(o, r * sc.y);
    if (b * 2 + 1 < n) { st_out(o + 1, r * sc.x); }
  }
}
