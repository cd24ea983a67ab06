// Strided copy of 4-byte elements (float32 or int32: bits are moved, never converted) between two
// [rows, cols] windows with any strides. Contiguous rows become memory.copy; a transposed source is
// read in square tiles so both sides stay in cache.

const TILE = 16;

export function copy32(rows: i32, cols: i32, src: usize, srs: i32, scs: i32, dst: usize, drs: i32, dcs: i32): void {
  if (scs == 1 && dcs == 1) {
    for (let r = 0; r < rows; r++) memory.copy(dst + <usize>(r * drs * 4), src + <usize>(r * srs * 4), <usize>(cols * 4));
    return;
  }
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const s = src + <usize>(r * srs * 4), d = dst + <usize>(r * drs * 4);
        for (let c = c0; c < c1; c++) store<i32>(d + <usize>(c * dcs * 4), load<i32>(s + <usize>(c * scs * 4)));
      }
    }
  }
}

const FROM_U8 = 0;

/**
 * Converting copy to float32 from uint8/bool (kind 0) or int32 (kind 1) between [rows, cols] windows
 * (strides in elements of each side). Integers round to nearest even, as a Float32Array store does.
 */
export function castToF32(kind: i32, rows: i32, cols: i32, src: usize, srs: i32, scs: i32, dst: usize, drs: i32, dcs: i32): void {
  const es = kind == FROM_U8 ? 1 : 4;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>(r * srs * es), d = dst + <usize>(r * drs * 4);
    let c = 0;
    if (scs == 1 && dcs == 1) {
      if (kind == FROM_U8) {
        for (; c + 4 <= cols; c += 4) {
          const w = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(s + <usize>c)));
          v128.store(d + <usize>(c * 4), f32x4.convert_i32x4_u(w));
        }
      } else {
        for (; c + 4 <= cols; c += 4) v128.store(d + <usize>(c * 4), f32x4.convert_i32x4_s(v128.load(s + <usize>(c * 4))));
      }
    }
    if (kind == FROM_U8) for (; c < cols; c++) store<f32>(d + <usize>(c * dcs * 4), <f32>load<u8>(s + <usize>(c * scs)));
    else for (; c < cols; c++) store<f32>(d + <usize>(c * dcs * 4), <f32>load<i32>(s + <usize>(c * scs * 4)));
  }
}

// float16 <-> float32 by integer arithmetic on the bit patterns (WebAssembly has no float16). The
// results are bit for bit those of src/dtype.ts (f16BitsToF32, f32ToF16Bits: round to nearest even,
// overflow to inf, NaN to a quiet NaN of the same sign); the test compares them over every float16
// and over float32 edges and random bits.

const F16_MAGIC = reinterpret<f32>(113 << 23); // 2^-14: the smallest normal float16
const HALF = reinterpret<f32>(126 << 23); // 0.5, whose ulp (2^-24) is float16's subnormal step

/** float16 bits (low 16 bits of h) -> float32 bits. */
// @ts-ignore: decorator
@inline function h2f(h: i32): i32 {
  const em = h & 0x7fff, o = em << 13, e = em & 0x7c00;
  let r: i32;
  if (e == 0x7c00) r = o + (224 << 23); // inf / NaN: exponent 31 -> 255
  else if (e == 0) r = reinterpret<i32>(reinterpret<f32>(o + (113 << 23)) - F16_MAGIC); // zero / subnormal, exact
  else r = o + (112 << 23);
  return r | ((h & 0x8000) << 16);
}

/** float32 bits -> float16 bits, rounding to nearest even. */
// @ts-ignore: decorator
@inline function f2h(x: i32): i32 {
  const sign = x & 0x80000000, a = x ^ sign;
  let r: i32;
  if (a >= 143 << 23) r = a > 0x7f800000 ? 0x7e00 : 0x7c00; // NaN, or inf and overflow
  else if (a < 113 << 23) r = reinterpret<i32>(reinterpret<f32>(a) + HALF) - (126 << 23); // the FPU rounds to the subnormal step
  else r = (a + ((15 - 127) << 23) + 0xfff + ((a >>> 13) & 1)) >>> 13; // a carry into the exponent gives inf: right
  return r | (sign >>> 16);
}

// @ts-ignore: decorator
@inline function h2f4(h: v128): v128 {
  const em = v128.and(h, i32x4.splat(0x7fff)), o = i32x4.shl(em, 13), e = v128.and(em, i32x4.splat(0x7c00));
  const sub = f32x4.sub(i32x4.add(o, i32x4.splat(113 << 23)), f32x4.splat(F16_MAGIC));
  let r = v128.bitselect(i32x4.add(o, i32x4.splat(224 << 23)), i32x4.add(o, i32x4.splat(112 << 23)), i32x4.eq(e, i32x4.splat(0x7c00)));
  r = v128.bitselect(sub, r, i32x4.eq(e, i32x4.splat(0)));
  return v128.or(r, i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

// @ts-ignore: decorator
@inline function f2h4(x: v128): v128 {
  const sign = v128.and(x, i32x4.splat(0x80000000)), a = v128.xor(x, sign);
  const nrm = i32x4.shr_u(i32x4.add(i32x4.add(a, i32x4.splat(((15 - 127) << 23) + 0xfff)), v128.and(i32x4.shr_u(a, 13), i32x4.splat(1))), 13);
  const sub = i32x4.sub(f32x4.add(a, f32x4.splat(HALF)), i32x4.splat(126 << 23));
  const ovf = v128.bitselect(i32x4.splat(0x7e00), i32x4.splat(0x7c00), i32x4.gt_s(a, i32x4.splat(0x7f800000)));
  let r = v128.bitselect(ovf, nrm, i32x4.ge_s(a, i32x4.splat(143 << 23)));
  r = v128.bitselect(sub, r, i32x4.lt_s(a, i32x4.splat(113 << 23)));
  return v128.or(r, i32x4.shr_u(sign, 16));
}

/**
 * Converting copy between float16 (2-byte) and float32 windows [rows, cols] with any strides (in
 * elements of each side): toF16 = 0 reads float16 and writes float32, 1 the other way.
 */
export function castF16(toF16: i32, rows: i32, cols: i32, src: usize, srs: i32, scs: i32, dst: usize, drs: i32, dcs: i32): void {
  const ss: usize = toF16 ? 4 : 2, ds: usize = toF16 ? 2 : 4;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>(r * srs) * ss, d = dst + <usize>(r * drs) * ds;
    let c = 0;
    if (scs == 1 && dcs == 1) {
      if (toF16) {
        for (; c + 8 <= cols; c += 8) {
          const p = s + <usize>(c * 4);
          v128.store(d + <usize>(c * 2), i16x8.narrow_i32x4_u(f2h4(v128.load(p)), f2h4(v128.load(p, 16))));
        }
      } else {
        for (; c + 4 <= cols; c += 4) v128.store(d + <usize>(c * 4), h2f4(v128.load16x4_u(s + <usize>(c * 2))));
      }
    }
    if (toF16) for (; c < cols; c++) store<u16>(d + <usize>(c * dcs) * 2, <u16>f2h(load<i32>(s + <usize>(c * scs) * 4)));
    else for (; c < cols; c++) store<i32>(d + <usize>(c * dcs) * 4, h2f(<i32>load<u16>(s + <usize>(c * scs) * 2)));
  }
}
