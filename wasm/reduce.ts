// Float32 reductions of the CPU backend: sum / max / min over the contiguous last dim of [rows, cols]
// (reduceRows, also several such runs per output), and over the leading dim of a window whose outputs are contiguous (reduceCols, e.g. a
// bias gradient). Sums accumulate in float64 lanes (as the reference kernels do) so long reductions
// do not drift. max/min propagate NaN, as PyTorch does.

const SUM = 0, MAX = 1;

/** Sum of n contiguous floats at x, in f64x2 accumulators. */
function sumRow(n: i32, x: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(x + <usize>(i * 4)), w = v128.load(x + <usize>(i * 4), 16);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
    s3 = f64x2.add(s3, f64x2.promote_low_f32x4(i64x2.shuffle(w, w, 1, 0)));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) acc += <f64>load<f32>(x + <usize>(i * 4));
  return acc;
}

/** Lane-wise max (isMax) or min of two vectors: NaN-propagating, +0 above -0, so order-independent. */
// @ts-ignore: decorator
@inline function ext4(isMax: bool, a: v128, b: v128): v128 {
  return isMax ? f32x4.max(a, b) : f32x4.min(a, b);
}

/**
 * max (isMax) or min of n >= 1 contiguous floats; NaN if any lane is NaN. Four independent
 * accumulators: wasm's max/min is a multi-instruction sequence on x64, and one dependent chain was
 * latency-bound (a softmax's row max over [64, 64, 64] took 0.34 ms on one thread). max/min do not
 * depend on the order, so the bits are those of a sequential scan.
 */
function extremeRow(isMax: bool, n: i32, x: usize): f32 {
  let i = 0;
  let m0 = v128.load32_splat(x), m1 = m0, m2 = m0, m3 = m0;
  for (; i + 16 <= n; i += 16) {
    const p = x + <usize>(i * 4);
    m0 = ext4(isMax, m0, v128.load(p)); m1 = ext4(isMax, m1, v128.load(p, 16));
    m2 = ext4(isMax, m2, v128.load(p, 32)); m3 = ext4(isMax, m3, v128.load(p, 48));
  }
  let m = ext4(isMax, ext4(isMax, m0, m1), ext4(isMax, m2, m3));
  for (; i + 4 <= n; i += 4) m = ext4(isMax, m, v128.load(x + <usize>(i * 4)));
  m = ext4(isMax, m, i32x4.shuffle(m, m, 2, 3, 0, 1));
  m = ext4(isMax, m, i32x4.shuffle(m, m, 1, 0, 3, 2));
  let r = f32x4.extract_lane(m, 0);
  for (; i < n; i++) r = isMax ? max(r, load<f32>(x + <usize>(i * 4))) : min(r, load<f32>(x + <usize>(i * 4)));
  return r;
}

/**
 * out[r] = op over (j, c) of x[r*xrs + j*js + c], j < nj, c < cols: the reduced part is nj
 * contiguous runs (nj = 1 for a plain row; nj > 1 e.g. for a bias gradient over [N, C, H*W]).
 * cols >= 1 for max/min.
 */
export function reduceRows(op: i32, rows: i32, cols: i32, x: usize, xrs: i32, nj: i32, js: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>(r * xrs * 4);
    let v: f32;
    if (op == SUM) {
      let acc: f64 = 0;
      for (let j = 0; j < nj; j++) acc += sumRow(cols, row + <usize>(j * js * 4));
      v = <f32>acc;
    } else {
      v = extremeRow(op == MAX, cols, row);
      for (let j = 1; j < nj; j++) {
        const w = extremeRow(op == MAX, cols, row + <usize>(j * js * 4));
        v = op == MAX ? max(v, w) : min(v, w);
      }
    }
    store<f32>(out + <usize>(r * 4), v);
  }
}

/** out[c] = op over r of x[r*xrs + c] (outputs contiguous in x); n >= 1 for max/min. */
export function reduceCols(op: i32, n: i32, cols: i32, x: usize, xrs: i32, out: usize): void {
  const rs = <usize>(xrs * 4);
  let c = 0;
  if (op == SUM) {
    // 16 outputs at a time (a whole cache line of each row, 8 independent accumulators), each pair
    // of lanes in one f64x2 accumulator; each column is still summed in row order.
    for (; c + 16 <= cols; c += 16) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
      let p = x + <usize>(c * 4);
      for (let r = 0; r < n; r++) {
        const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i64x2.shuffle(v0, v0, 1, 0)));
        a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1));
        a3 = f64x2.add(a3, f64x2.promote_low_f32x4(i64x2.shuffle(v1, v1, 1, 0)));
        a4 = f64x2.add(a4, f64x2.promote_low_f32x4(v2));
        a5 = f64x2.add(a5, f64x2.promote_low_f32x4(i64x2.shuffle(v2, v2, 1, 0)));
        a6 = f64x2.add(a6, f64x2.promote_low_f32x4(v3));
        a7 = f64x2.add(a7, f64x2.promote_low_f32x4(i64x2.shuffle(v3, v3, 1, 0)));
        p += rs;
      }
      const o = out + <usize>(c * 4);
      v128.store(o, i64x2.shuffle(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(a1), 0, 2));
      v128.store(o, i64x2.shuffle(f32x4.demote_f64x2_zero(a2), f32x4.demote_f64x2_zero(a3), 0, 2), 16);
      v128.store(o, i64x2.shuffle(f32x4.demote_f64x2_zero(a4), f32x4.demote_f64x2_zero(a5), 0, 2), 32);
      v128.store(o, i64x2.shuffle(f32x4.demote_f64x2_zero(a6), f32x4.demote_f64x2_zero(a7), 0, 2), 48);
    }
    for (; c + 4 <= cols; c += 4) {
      let lo = f64x2.splat(0), hi = f64x2.splat(0);
      let p = x + <usize>(c * 4);
      for (let r = 0; r < n; r++) {
        const v = v128.load(p);
        lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
        hi = f64x2.add(hi, f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0)));
        p += rs;
      }
      const f = i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
      v128.store(out + <usize>(c * 4), f);
    }
    for (; c < cols; c++) {
      let acc: f64 = 0;
      for (let r = 0; r < n; r++) acc += <f64>load<f32>(x + <usize>(c * 4) + <usize>(r) * rs);
      store<f32>(out + <usize>(c * 4), <f32>acc);
    }
  } else {
    const isMax = op == MAX;
    for (; c + 4 <= cols; c += 4) {
      let p = x + <usize>(c * 4);
      let m = v128.load(p);
      for (let r = 1; r < n; r++) { p += rs; m = isMax ? f32x4.max(m, v128.load(p)) : f32x4.min(m, v128.load(p)); }
      v128.store(out + <usize>(c * 4), m);
    }
    for (; c < cols; c++) {
      let m = load<f32>(x + <usize>(c * 4));
      for (let r = 1; r < n; r++) {
        const v = load<f32>(x + <usize>(c * 4) + <usize>(r) * rs);
        m = isMax ? max(m, v) : min(m, v);
      }
      store<f32>(out + <usize>(c * 4), m);
    }
  }
}

/**
 * out[c] = sum over r of x[r*xrs + c] (outputs contiguous in x) in float64, row by row: each row's
 * cols floats are read in one sequential run and added to float64 sums in `acc` (8 * cols + 16
 * bytes of the thread's scratch). The column-at-a-time walk of reduceCols reads one cache line per
 * row per pass, which a bias gradient's [rows, 512] paid at ~7 GB/s. Each column is still summed in
 * row order from 0, so the bits are reduceCols's.
 */
export function reduceColsSum(n: i32, cols: i32, x: usize, xrs: i32, out: usize, acc: usize): void {
  for (let c = 0; c < cols; c += 2) v128.store(acc + <usize>(c * 8), f64x2.splat(0));
  const c4 = cols & ~3;
  for (let r = 0; r < n; r++) {
    const p = x + <usize>(r * xrs * 4);
    let c = 0;
    for (; c < c4; c += 4) {
      const v = v128.load(p + <usize>(c * 4)), q = acc + <usize>(c * 8);
      v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
      v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(i64x2.shuffle(v, v, 1, 0))), 16);
    }
    for (; c < cols; c++) store<f64>(acc + <usize>(c * 8), load<f64>(acc + <usize>(c * 8)) + <f64>load<f32>(p + <usize>(c * 4)));
  }
  for (let c = 0; c < cols; c++) store<f32>(out + <usize>(c * 4), <f32>load<f64>(acc + <usize>(c * 8)));
}

/**
 * int32 max (isMax) or min: out[r] = extreme over (j, c) of x[r*xrs + j*js + c], cols >= 1. Index
 * checks (the smallest index of a gather/scatter, e.g. max pooling's backward) reduce int32 tensors.
 */
export function reduceRowsI32(isMax: bool, rows: i32, cols: i32, x: usize, xrs: i32, nj: i32, js: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let v = load<i32>(x + <usize>(r * xrs * 4));
    for (let j = 0; j < nj; j++) {
      const p = x + <usize>((r * xrs + j * js) * 4);
      let m = i32x4.splat(v);
      let i = 0;
      if (isMax) for (; i + 4 <= cols; i += 4) m = i32x4.max_s(m, v128.load(p + <usize>(i * 4)));
      else for (; i + 4 <= cols; i += 4) m = i32x4.min_s(m, v128.load(p + <usize>(i * 4)));
      const a = i32x4.extract_lane(m, 0), b = i32x4.extract_lane(m, 1), c = i32x4.extract_lane(m, 2), d = i32x4.extract_lane(m, 3);
      v = isMax ? max(max(a, b), max(c, d)) : min(min(a, b), min(c, d));
      for (; i < cols; i++) { const w = load<i32>(p + <usize>(i * 4)); v = isMax ? max(v, w) : min(v, w); }
    }
    store<i32>(out + <usize>(r * 4), v);
  }
}

// ---- argmax / argmin: int32 index of the first extreme value, or of the first NaN if any ----

/** out[r] = arg-extreme over c of x[r*xrs + c*cs] (n >= 1), isMax selecting argmax. */
export function argReduceRows(isMax: bool, rows: i32, n: i32, x: usize, xrs: i32, cs: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>(r * xrs * 4);
    let best = load<f32>(row), bi = 0;
    for (let i = 1; i < n && best == best; i++) {
      const v = load<f32>(row + <usize>(i * cs * 4));
      if (v != v || (isMax ? v > best : v < best)) { best = v; bi = i; }
    }
    store<i32>(out + <usize>(r * 4), bi);
  }
}

/** out[c] = arg-extreme over r < n of x[r*xrs + c] (outputs contiguous in x), 4 outputs per step. */
export function argReduceCols(isMax: bool, n: i32, cols: i32, x: usize, xrs: i32, out: usize): void {
  const rs = <usize>(xrs * 4);
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    let p = x + <usize>(c * 4);
    let best = v128.load(p), bi = i32x4.splat(0);
    for (let r = 1; r < n; r++) {
      p += rs;
      const v = v128.load(p);
      const better = isMax ? f32x4.gt(v, best) : f32x4.lt(v, best);
      // Update where v is NaN or better, but never once the lane already holds a NaN.
      const upd = v128.and(v128.or(f32x4.ne(v, v), better), f32x4.eq(best, best));
      best = v128.bitselect(v, best, upd);
      bi = v128.bitselect(i32x4.splat(r), bi, upd);
    }
    v128.store(out + <usize>(c * 4), bi);
  }
  if (c < cols) argReduceRows(isMax, cols - c, n, x + <usize>(c * 4), 1, xrs, out + <usize>(c * 4));
}

/**
 * The float64 sum of n contiguous floats into out (a float64): one part of a long row's sum, which
 * the backend cuts into fixed parts (by length only) and adds up in order, whatever the threads.
 */
export function sumRunF64(n: i32, x: usize, out: usize): void {
  store<f64>(out, sumRow(n, x));
}

/**
 * argReduceCols over `rows` rows of outputs: row r reads x + r*xrs (elements) and writes its `cols`
 * outputs at out + r*cols. One call for what would be `rows` calls (max pooling has one row per image
 * and channel).
 */
export function argReduceColsRows(isMax: bool, rows: i32, n: i32, cols: i32, x: usize, xrs: i32, rs: i32, out: usize): void {
  for (let r = 0; r < rows; r++) argReduceCols(isMax, n, cols, x + <usize>(r * xrs * 4), rs, out + <usize>(r * cols * 4));
}
