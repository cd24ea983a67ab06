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
  for (let i = 0; i < n; i += 4) {
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
