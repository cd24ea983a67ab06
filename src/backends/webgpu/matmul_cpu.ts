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

/** The placeholders of shaders/matmul_cpu.wgsl that read the operands. */
export interface CpuMatmulSubs { LOADS: string; SGARGS: string; SGPASS: string }

/**
 * <LOADS> for the given modes of a and b (bound with ld_/ld4_ as index.ts's vec4Binding declares
 * them), with a_share/a_shared, the k loop's loads of A shared across a subgroup: with `share`, two
 * of the eight vectors per lane, passed around by broadcast where the subgroup's lanes hold the same
 * rows (`on`, uniform across the subgroup); without, never on (the kernel's own loads run).
 */
export function cpuMatmulLoads(aMode: CpuOperandMode, bMode: CpuOperandMode, share: boolean): CpuMatmulSubs {
  // A 4x4 block from four column vectors.
  const cols = (f: (i: number) => string) => `mat4x4<f32>(${[0, 1, 2, 3].map(f).join(', ')})`;
  const lane = (v: string, i: number) => `${v}.${'xyzw'[i]}`;
  // a_blk's columns are A's rows; b_blk's columns are B's rows at k + q, one per k.
  const oriented = (x: 'a' | 'b', mode: CpuOperandMode, m: string) => (mode === 'outer') === (x === 'b') ? m : `transpose(${m})`;
  const block = (x: 'a' | 'b', off: string, mode: CpuOperandMode): string => {
    let m: string;
    if (mode === 'inner') m = cols((i) => `ld4_${x}(${lane(off, i)} + k)`);
    else if (mode === 'outer') m = cols((q) => `ld4_${x}(${off}.x + (k + ${q}) * sk)`);
    else m = cols((i) => `ls_${x}(${lane(off, i)} + k * sk, sk)`);
    // 'inner' and 'general' load one vector per row of A / column of B, 'outer' one per k.
    return oriented(x, mode, m);
  };
  const strided = (x: 'a' | 'b') => `fn ls_${x}(e: i32, s: i32) -> vec4<f32> { return vec4<f32>(ld_${x}(e), ld_${x}(e + s), ld_${x}(e + 2 * s), ld_${x}(e + 3 * s)); }`;
  const loads = [strided('a'), strided('b'),
    `fn a_blk(ra: vec4<i32>, k: i32, sk: i32) -> mat4x4<f32> { return ${block('a', 'ra', aMode)}; }`,
    `fn b_blk(cb: vec4<i32>, k: i32, sk: i32) -> mat4x4<f32> { return ${block('b', 'cb', bMode)}; }`,
    'struct AShare { on: bool, lo: i32, hi: i32 }', 'struct APair { m0: mat4x4<f32>, m1: mat4x4<f32> }'];
  if (!share) {
    loads.push('fn a_share(r0: i32, aBase: i32, M: i32, s1: i32, sk: i32) -> AShare { return AShare(false, 0, 0); }',
      'fn a_shared(sh: AShare, k: i32, sk: i32) -> APair { return APair(mat4x4<f32>(), mat4x4<f32>()); }');
    return { LOADS: loads.join('\n'), SGARGS: '', SGPASS: '' };
  }
  // Vector j of A's eight at step k (a_blk's columns: j < 4 of rows r0.., the rest of rows r0 + 4..)
  // starts at element at(j) + k (inner) or + k * sk (outer, general).
  const at = (j: string) => aMode === 'outer' ? `aBase + min(r0 + 4 * ((${j}) >> 2), M - 1) * s1 + ((${j}) & 3) * sk` : `aBase + min(r0 + (${j}), M - 1) * s1`;
  const slot = (e: string) => aMode === 'inner' ? `ld4_a(${e} + k)` : aMode === 'outer' ? `ld4_a(${e} + k * sk)` : `ls_a(${e} + k * sk, sk)`;
  // Vector j comes from lane j / 2: its lo (j even) or hi one.
  const vec = (j: number) => `subgroupBroadcast(${j % 2 ? 'hi' : 'lo'}, ${j >> 1}u)`;
  const mat = (j0: number) => oriented('a', aMode, `mat4x4<f32>(${[0, 1, 2, 3].map((q) => vec(j0 + q)).join(', ')})`);
  loads.push(
    '// Lane q (mod 4) of a subgroup whose lanes hold the same rows loads vectors 2q and 2q + 1.',
    'fn a_share(r0: i32, aBase: i32, M: i32, s1: i32, sk: i32, sl: u32, ss: u32) -> AShare {',
    '  let on = ss >= 4u && subgroupAll(r0 == subgroupBroadcast(r0, 0u) && aBase == subgroupBroadcast(aBase, 0u));',
    '  let j = 2 * i32(sl & 3u);',
    `  return AShare(on, ${at('j')}, ${at('j + 1')});`,
    '}',
    `fn a_shared(sh: AShare, k: i32, sk: i32) -> APair {`,
    `  let lo = ${slot('sh.lo')};`, `  let hi = ${slot('sh.hi')};`,
    `  return APair(${mat(0)}, ${mat(4)});`,
    '}');
  return { LOADS: loads.join('\n'), SGARGS: ', @builtin(subgroup_invocation_id) sl: u32, @builtin(subgroup_size) ss: u32', SGPASS: ', sl, ss' };
}

/** What a kernel using subgroup builtins starts with (enable directives precede everything). */
export const SUBGROUP_PREAMBLE = 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n';
