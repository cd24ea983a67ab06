// Philox-4x32-10 uniform fill, the same generator as src/backends/philox.ts (which is the contract:
// element i of a fill with (seed, offset) is word i%4 of block offset+floor(i/4), as 24 random bits
// times 2^-24), so results are bit-identical to the TypeScript loop and to the other backends.

// @ts-ignore: decorator
@inline function mulhi(a: u32, b: u32): u32 { return <u32>((<u64>a * <u64>b) >> 32); }

/**
 * out[i] = uniform [0,1) for i < n (float32). seed and offset are integers below 2^53 (f64 args, as
 * JavaScript passes them); `offset` is the first block's counter. Callers cut fills at multiples of 4.
 */
export function philoxUniform(n: i32, out: usize, seed: f64, offset: f64): void {
  const s = <u64>seed, off = <u64>offset;
  const key0 = <u32>s, key1 = <u32>(s >> 32);
  let i = 0;
  for (; i + 16 <= n; i += 16) uniform16(out + <usize>(i << 2), off + <u64>(i >> 2), key0, key1);
  for (; i < n; i += 4) {
    const block = off + <u64>(i >> 2);
    let c0 = <u32>block, c1 = <u32>(block >> 32), c2: u32 = 0, c3: u32 = 0;
    let k0 = key0, k1 = key1;
    for (let r = 0; r < 10; r++) {
      const hi0 = mulhi(0xd2511f53, c0), lo0 = 0xd2511f53 * c0;
      const hi1 = mulhi(0xcd9e8d57, c2), lo1 = 0xcd9e8d57 * c2;
      const n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
      c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
      k0 += 0x9e3779b9; k1 += 0xbb67ae85;
    }
    const p = out + <usize>(i << 2);
    const left = n - i;
    store<f32>(p, <f32>(c0 >> 8) * 5.9604644775390625e-8);
    if (left > 1) store<f32>(p, <f32>(c1 >> 8) * 5.9604644775390625e-8, 4);
    if (left > 2) store<f32>(p, <f32>(c2 >> 8) * 5.9604644775390625e-8, 8);
    if (left > 3) store<f32>(p, <f32>(c3 >> 8) * 5.9604644775390625e-8, 12);
  }
}

/**
 * Four consecutive blocks (block .. block+3, one per lane) of the same Philox-4x32-10 as above, so the
 * 16 values at p are the scalar loop's bits: the 64-bit lane products come from extmul, their halves
 * are gathered by shuffles, and the four counter words are transposed into the blocks' outputs.
 */
function uniform16(p: usize, block: u64, key0: u32, key1: u32): void {
  const lo = <u32>block, hi = <u32>(block >> 32);
  let c0 = i32x4.add(i32x4.splat(lo), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0));
  // A lane whose low word wrapped carries into the high word (the mask is -1 there).
  let c1 = i32x4.sub(i32x4.splat(hi), i32x4.lt_u(c0, i32x4.splat(lo)));
  let c2 = i32x4.splat(0), c3 = i32x4.splat(0);
  const m0 = i32x4.splat(0xd2511f53), m1 = i32x4.splat(0xcd9e8d57);
  let k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    const a0 = i64x2.extmul_low_i32x4_u(c0, m0), b0 = i64x2.extmul_high_i32x4_u(c0, m0);
    const a1 = i64x2.extmul_low_i32x4_u(c2, m1), b1 = i64x2.extmul_high_i32x4_u(c2, m1);
    const hi0 = v128.shuffle<i32>(a0, b0, 1, 3, 5, 7), lo0 = v128.shuffle<i32>(a0, b0, 0, 2, 4, 6);
    const hi1 = v128.shuffle<i32>(a1, b1, 1, 3, 5, 7), lo1 = v128.shuffle<i32>(a1, b1, 0, 2, 4, 6);
    const n0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(k0)), n2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(k1));
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9e3779b9; k1 += 0xbb67ae85;
  }
  // Lane l of (c0, c1, c2, c3) is block l's four words: transpose, then 24 bits times 2^-24 each.
  const t0 = v128.shuffle<i32>(c0, c1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(c2, c3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(c0, c1, 2, 6, 3, 7), t3 = v128.shuffle<i32>(c2, c3, 2, 6, 3, 7);
  const u = f32x4.splat(5.9604644775390625e-8);
  v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.shuffle<i32>(t0, t1, 0, 1, 4, 5), 8)), u));
  v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.shuffle<i32>(t0, t1, 2, 3, 6, 7), 8)), u), 16);
  v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.shuffle<i32>(t2, t3, 0, 1, 4, 5), 8)), u), 32);
  v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.shr_u(v128.shuffle<i32>(t2, t3, 2, 3, 6, 7), 8)), u), 48);
}
