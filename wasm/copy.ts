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
