// Prepended to every kernel. `md` is the per-dispatch i32 metadata (shapes, strides, offsets,
// scalars as bit patterns). Elementwise layout: md[0] = element count, md[1] = ndim, md[2..2+nd) =
// shape, then operand k's [offset, strides...] at 2 + nd + k*(nd+1) (operand 0 is the output).
@group(0) @binding(0) var<storage, read> md: array<i32>;

// Element offset of an operand for flat row-major index i over the shape at md[shape0..shape0+nd).
fn strided(i: i32, nd: i32, shape0: i32, op0: i32) -> i32 {
  var rem = i;
  var off = md[op0];
  for (var d = nd - 1; d >= 0; d = d - 1) {
    let s = md[shape0 + d];
    off = off + (rem % s) * md[op0 + 1 + d];
    rem = rem / s;
  }
  return off;
}

fn op_off(k: i32, i: i32) -> i32 {
  let nd = md[1];
  return strided(i, nd, 2, 2 + nd + k * (nd + 1));
}

// After the operand table: the first scalar slot of an elementwise dispatch with nops operands.
fn scalar_slot(nops: i32) -> i32 { let nd = md[1]; return 2 + nd + nops * (nd + 1); }

// 2-D dispatch grids (more than 65535 workgroups) flattened to one invocation id.
fn flat_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, wg: u32) -> i32 {
  return i32((wid.y * nwg.x + wid.x) * wg + lid);
}

fn f32_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn f32_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// Private variables, not constants: WGSL rejects NaN and infinity in constant expressions.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn f32_nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn f32_inf() -> f32 { return bitcast<f32>(INF_BITS); }

// float16 storage: two halves per u32 word (element e in bits 16*(e&1)..), converted in integer
// arithmetic so no `shader-f16` feature is needed and rounding is exactly the CPU's (nearest-even;
// WGSL leaves the direction of f32->f16 conversion and subnormal handling to the implementation).
fn f16_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { let v = f32(m) * 5.9604644775390625e-8; return select(v, -v, s != 0u); } // m * 2^-24
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}
fn f32_to_f16(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  let s = (x >> 16u) & 0x8000u;
  let ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) { return s | 0x7c00u | select(0u, 0x200u, ax > 0x7f800000u); } // inf, nan
  if (ax >= 0x477ff000u) { return s | 0x7c00u; } // at or past 65520: rounds to infinity
  let e = ax >> 23u;
  if (e < 113u) { // below 2^-14: a subnormal half, m = round(v * 2^24)
    if (e < 101u) { return s; }
    let mant = (ax & 0x7fffffu) | 0x800000u;
    let sh = 126u - e;
    let q = mant >> sh;
    let rem = mant & ((1u << sh) - 1u);
    let mid = 1u << (sh - 1u);
    return s | (q + select(0u, 1u, rem > mid || (rem == mid && (q & 1u) == 1u)));
  }
  let r = ax - 0x38000000u; // exponent rebias 127 -> 15
  return s | ((r + 0xfffu + ((r >> 13u) & 1u)) >> 13u); // nearest-even; a carry into the exponent is right
}
