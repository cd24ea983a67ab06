// Code generation of reduction programs (FusedProgram.reduce: an elementwise prologue reduced over
// the last dims) for the CPU backend. Contract: the same bits as runComposed, which writes the
// prologue into a contiguous temporary and reduces it with WasmBackend.reduce. So each output is
// accumulated exactly as that kernel does for a contiguous row (wasm/reduce.ts):
// - sum: sumRow's four f64x2 accumulators over blocks of 8 (elements 0-1, 2-3, 4-5, 6-7 of each
//   block), combined as (s0 + s1) + (s2 + s3), lane 0 + lane 1, then the tail added one by one in
//   float64, rounded once to float32 (and, for one output longer than CHUNK, float64 partial sums of
//   CHUNK-long parts, added in order by the runner: the backend's sumRunF64 split);
// - max/min: extremeRow's splat of element 0, f32x4.max/min over blocks of 4, lanes folded in order,
//   then the tail with f32.max/min;
// - prod: the reference loop's float64 product in element order, rounded once.
// The reduced dims must form one run (constant stride per input) after collapsing; the prologue
// values come from Gen's step code (lane 0 of the 4-lane code for single elements, as its tails do).
// Side outputs (the program's outputs before the reduced one) are stored as each group of elements
// is computed, walking the run like the inputs: every element is visited once.

import type { FusedProgram } from '../fused.js';
import { CHUNK } from './split.js';
import { esize, type FusedModule, Gen, type Layout } from './fusedgen.js';
import { F32, F64, I32, Op, Simd, V128 } from './jit.js';

/**
 * Kernel `run(blk, r0, nr, c0, nc)`: outputs r0..r0+nr (the flattened kept dims), each reduced over
 * elements c0..c0+nc of its run. Block: as generateFused's for rank = kept rank + 1 (the reduced run
 * is the inner dim), operands the inputs, the side outputs, then the reduced output (its inner stride
 * unused); word 0 holds 0, or
 * the byte address of float64 partial sums: a sum then stores its float64 value there, at index
 * c0 / CHUNK, instead of writing the output (one output, cut into CHUNK-long parts).
 */
export function generateReduce(p: FusedProgram, layout: Layout, shared: boolean): FusedModule {
  return new ReduceGen(p, layout).module(shared);
}

class ReduceGen extends Gen {
  /** Operands walked along the run: the inputs and the side outputs (the reduced output is last). */
  private get walked(): number { return this.prog.inputs.length + this.prog.outputs.length - 1; }

  /** Advances the walked operands' moving pointers by `lanes` elements of the run. */
  private advance(lanes: number): void {
    const c = this.c;
    for (let k = 0; k < this.walked; k++) {
      const kd = this.kind(k), q = this.q[k]!;
      if (kd === 'c') c.get(q).i32(lanes * esize(this.dts[k]!)).op(Op.i32Add).set(q);
      else if (kd === 's') { c.get(q).get(this.s[k]!); if (lanes > 1) c.i32(lanes).op(Op.i32Mul); c.op(Op.i32Add).set(q); }
    }
  }

  /** The reduced value's local for the next `lanes` elements, after storing the side outputs (then advances past them). */
  private next(lanes: number): number {
    const vals = this.values(lanes), nIn = this.prog.inputs.length, outs = this.prog.outputs;
    for (let o = 0; o < outs.length - 1; o++) this.store(nIn + o, vals[outs[o]!]!, lanes);
    this.advance(lanes);
    return vals[outs.at(-1)!]!;
  }

  /** `while (i + step <= nc) { body(); i += step }`, `fold()`, then `while (i < nc) { tail(); i++ }`. */
  private loops(i: number, step: number, body: () => void, fold: () => void, tail: () => void): void {
    const c = this.c, NC = 4;
    c.open(Op.block).open(Op.loop);
    c.get(i).i32(step).op(Op.i32Add).get(NC).op(Op.i32GtS).brIf(1);
    body();
    c.get(i).i32(step).op(Op.i32Add).set(i).br(0);
    c.end().end();
    fold();
    c.open(Op.block).open(Op.loop);
    c.get(i).get(NC).op(Op.i32GeS).brIf(1);
    tail();
    c.get(i).i32(1).op(Op.i32Add).set(i).br(0);
    c.end().end();
  }

  /** Pushes lane 0 of v128 local v as an f32. */
  private lane0(v: number): void { this.c.get(v).lane(Simd.f32x4ExtractLane, 0); }

  protected override row(i: number): void {
    const { c } = this, op = this.prog.reduce!.op, out = this.p[this.walked]!;
    const BLK = 0, C0 = 3;
    for (let k = 0; k < this.walked; k++) {
      c.get(this.p[k]!).set(this.q[k]!);
      if (this.bv[k]! >= 0) { this.scalarLoad(k, this.p[k]!); c.set(this.bv[k]!); }
    }
    c.i32(0).set(i);
    if (op === 'sum') {
      this.cost += 1;
      const acc = c.local(F64), t = c.local(V128), part = c.local(I32);
      const s = [c.local(V128), c.local(V128), c.local(V128), c.local(V128)];
      for (const l of s) c.splatI32(0).set(l);
      // s[j] += float64 of lanes (2j, 2j+1) of the block; the high pair of a vector moved low first.
      const add = (l: number, v: number, high: boolean) => {
        c.get(l).get(v);
        if (high) { c.get(v).simd(Simd.i8x16Shuffle); c.op(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7); }
        c.simd(Simd.f64x2PromoteLowF32x4).simd(Simd.f64x2Add).set(l);
      };
      this.loops(i, 8, () => {
        const v = this.next(4), w = this.next(4);
        add(s[0]!, v, false); add(s[1]!, v, true); add(s[2]!, w, false); add(s[3]!, w, true);
      }, () => {
        c.get(s[0]!).get(s[1]!).simd(Simd.f64x2Add).get(s[2]!).get(s[3]!).simd(Simd.f64x2Add).simd(Simd.f64x2Add).set(t);
        c.get(t).lane(Simd.f64x2ExtractLane, 0).get(t).lane(Simd.f64x2ExtractLane, 1).op(Op.f64Add).set(acc);
      }, () => {
        c.get(acc); this.lane0(this.next(1)); c.op(Op.f64PromoteF32, Op.f64Add).set(acc);
      });
      // Store: a float64 partial sum, or the float32 output (0 + acc as reduceRows adds it).
      c.get(BLK).mem(Op.i32Load, 2, 0).tee(part).open(Op.if);
      c.get(part).get(C0).i32(CHUNK).op(Op.i32DivU).i32(8).op(Op.i32Mul).op(Op.i32Add).get(acc).mem(Op.f64Store, 3);
      c.op(Op.else);
      c.get(out).f64(0).get(acc).op(Op.f64Add).op(Op.f32DemoteF64).mem(Op.f32Store, 2);
      c.end();
      return;
    }
    if (op === 'prod') {
      this.cost += 4;
      const acc = c.local(F64);
      c.f64(1).set(acc);
      const mul = (v: number, j: number) => { c.get(acc).get(v).lane(Simd.f32x4ExtractLane, j).op(Op.f64PromoteF32, Op.f64Mul).set(acc); };
      this.loops(i, 4, () => { const v = this.next(4); for (let j = 0; j < 4; j++) mul(v, j); }, () => {}, () => mul(this.next(1), 0));
      c.get(out).get(acc).op(Op.f32DemoteF64).mem(Op.f32Store, 2);
      return;
    }
    // max / min: element 0 splat, then blocks of 4, the lanes folded, the tail.
    const isMax = op === 'max', vop = isMax ? Simd.f32x4Max : Simd.f32x4Min, sop = isMax ? Op.f32Max : Op.f32Min;
    const m = c.local(V128), r = c.local(F32);
    c.get(this.values(1)[this.prog.outputs.at(-1)!]!).lane(Simd.i32x4ExtractLane, 0).simd(Simd.i32x4Splat).set(m);
    this.loops(i, 4, () => { c.get(m).get(this.next(4)).simd(vop).set(m); }, () => {
      this.lane0(m); c.set(r);
      for (let j = 1; j < 4; j++) c.get(r).get(m).lane(Simd.f32x4ExtractLane, j).op(sop).set(r);
    }, () => {
      c.get(r); this.lane0(this.next(1)); c.op(sop).set(r);
    });
    c.get(out).get(r).mem(Op.f32Store, 2);
  }
}
