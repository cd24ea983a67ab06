// gather / scatter of 4-byte elements (float32 or int32 bits) with int32 indices along one dim, over
// [rows, cols] windows prepared by the backend (the indexed dim's stride is zeroed in the base
// strides and applied as `sd * index`). Indices may be negative (counted from the end, as in
// PyTorch); an out-of-range index stops the kernel, which returns its element position (else -1)
// so the caller can raise PyTorch's error.

/** out[r, c] (contiguous) = x[r*xrs + c*xcs + sd*wrap(idx[r*irs + c*ics])]. */
export function gather32(rows: i32, cols: i32, x: usize, xrs: i32, xcs: i32, idx: usize, irs: i32, ics: i32,
  out: usize, sd: i32, size: i32): i32 {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let j = load<i32>(idx + <usize>((r * irs + c * ics) * 4));
      if (j < 0) j += size;
      if (<u32>j >= <u32>size) return r * cols + c;
      store<i32>(out + <usize>((r * cols + c) * 4), load<i32>(x + <usize>((r * xrs + c * xcs + j * sd) * 4)));
    }
  }
  return -1;
}

/**
 * o[r*ors + c*ocs + sd*wrap(idx[...])] = src[r*srs + c*scs] (accumulate: +=, float32) in row-major
 * order, so with repeated indices the last write wins, as in the reference kernel.
 */
export function scatter32(accumulate: bool, rows: i32, cols: i32, o: usize, ors: i32, ocs: i32, idx: usize, irs: i32, ics: i32,
  src: usize, srs: i32, scs: i32, sd: i32, size: i32): i32 {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let j = load<i32>(idx + <usize>((r * irs + c * ics) * 4));
      if (j < 0) j += size;
      if (<u32>j >= <u32>size) return r * cols + c;
      const t = o + <usize>((r * ors + c * ocs + j * sd) * 4), s = src + <usize>((r * srs + c * scs) * 4);
      if (accumulate) store<f32>(t, load<f32>(t) + load<f32>(s));
      else store<i32>(t, load<i32>(s));
    }
  }
  return -1;
}
