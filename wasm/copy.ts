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
