// Philox-4x32-10 counter-based generator shared by every backend (the WGSL/CUDA ports must match it).
// Contract: element i of a `uniform` fill with (seed, offset) uses word i%4 of block offset+floor(i/4);
// a `normal` fill uses words 0,1 of block offset+floor(i/2) through Box-Muller (cos for even i, sin for odd).

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;

/**
 * Writes the four 32-bit words of Philox-4x32-10 at counter (ctrLo, ctrHi, ctr2, ctr3) and key
 * (keyLo, keyHi) into out. Fills use ctr2 = ctr3 = 0; the full counter is there for the
 * Random123 known-answer tests.
 */
export function philox4x32(ctrLo: number, ctrHi: number, keyLo: number, keyHi: number, out: Uint32Array, ctr2 = 0, ctr3 = 0): void {
  let c0 = ctrLo >>> 0, c1 = ctrHi >>> 0, c2 = ctr2 >>> 0, c3 = ctr3 >>> 0;
  let k0 = keyLo >>> 0, k1 = keyHi >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0, n1 = lo1, n2 = (hi0 ^ c3 ^ k1) >>> 0, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 = (k0 + W0) >>> 0; k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

function mulhi(a: number, b: number): number {
  // High 32 bits of a 32x32 unsigned product, exactly, via 16-bit halves.
  const aH = a >>> 16, aL = a & 0xffff, bH = b >>> 16, bL = b & 0xffff;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

const TWO_POW_32 = 4294967296;

/** Fills `out` (length n) with uniform [0,1) or standard normal values per the contract above. */
export function philoxFill(out: { length: number; [i: number]: number }, dist: 'uniform' | 'normal', seed: number, offset: number): void {
  const keyLo = seed >>> 0, keyHi = Math.floor(seed / TWO_POW_32) >>> 0;
  const w = new Uint32Array(4);
  const n = out.length;
  const per = dist === 'uniform' ? 4 : 2;
  for (let i = 0; i < n; i += per) {
    const block = offset + i / per;
    philox4x32(block >>> 0, Math.floor(block / TWO_POW_32), keyLo, keyHi, w);
    if (dist === 'uniform') {
      // 24 random bits: exactly representable in float32, strictly below 1.
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (w[j]! >>> 8) * 5.9604644775390625e-8;
    } else {
      const u1 = ((w[0]! >>> 8) + 1) * 5.9604644775390625e-8; // (0, 1]
      const u2 = (w[1]! >>> 8) * 5.9604644775390625e-8;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
  }
}

/** Blocks a fill of n elements consumes, so the next call starts at a fresh counter. */
export function philoxBlocks(n: number, dist: 'uniform' | 'normal'): number {
  return Math.ceil(n / (dist === 'uniform' ? 4 : 2));
}
