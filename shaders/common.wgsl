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
