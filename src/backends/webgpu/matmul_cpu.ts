// The operand loads of the CPU-adapter matmul (shaders/matmul_cpu.wgsl, <LOADS>): a_blk(ra, k, sk)
// returns the 4x4 block A[rows ra, k..k+3] transposed (column i = row ra[i]), b_blk(cb, k, sk) the
// block B[k..k+3, columns cb] transposed (column q = row k+q), given element offsets of each row of A
// (column of B) and the stride along k. Which loads depends on the operand's layout (cpuOperandMode).

/**
 * How an operand is read: 'inner': contiguous along k (a vec4 load, or four scalar ones, per row of
 * A / column of B); 'outer': contiguous along M (A) or N (B) with aligned vec4 loads (M or N a
 * multiple of 4); 'general': any strides, one scalar load per element.
 */
export type CpuOperandMode = 'inner' | 'outer' | 'general';

/** The mode for an operand with stride kStride along k and oStride along M/N; `vec`: aligned vec4 loads along M/N are possible. */
export function cpuOperandMode(kStride: number, oStride: number, vec: boolean): CpuOperandMode {
  if (kStride === 1) return 'inner';
  return oStride === 1 && vec ? 'outer' : 'general';
}

/** <LOADS> for the given modes of a and b (bound with ld_/ld4_ as index.ts's vec4Binding declares them). */
export function cpuMatmulLoads(aMode: CpuOperandMode, bMode: CpuOperandMode): string {
  // A 4x4 block from four column vectors.
  const cols = (f: (i: number) => string) => `mat4x4<f32>(${[0, 1, 2, 3].map(f).join(', ')})`;
  const lane = (v: string, i: number) => `${v}.${'xyzw'[i]}`;
  // a_blk's columns are A's rows; b_blk's columns are B's rows at k + q, one per k.
  const block = (x: 'a' | 'b', off: string, mode: CpuOperandMode): string => {
    let m: string;
    if (mode === 'inner') m = cols((i) => `ld4_${x}(${lane(off, i)} + k)`);
    else if (mode === 'outer') m = cols((q) => `ld4_${x}(${off}.x + (k + ${q}) * sk)`);
    else m = cols((i) => `ls_${x}(${lane(off, i)} + k * sk, sk)`);
    // 'inner' and 'general' load one vector per row of A / column of B, 'outer' one per k.
    return (mode === 'outer') === (x === 'b') ? m : `transpose(${m})`;
  };
  const strided = (x: 'a' | 'b') => `fn ls_${x}(e: i32, s: i32) -> vec4<f32> { return vec4<f32>(ld_${x}(e), ld_${x}(e + s), ld_${x}(e + 2 * s), ld_${x}(e + 3 * s)); }`;
  return [strided('a'), strided('b'),
    `fn a_blk(ra: vec4<i32>, k: i32, sk: i32) -> mat4x4<f32> { return ${block('a', 'ra', aMode)}; }`,
    `fn b_blk(cb: vec4<i32>, k: i32, sk: i32) -> mat4x4<f32> { return ${block('b', 'cb', bMode)}; }`].join('\n');
}
