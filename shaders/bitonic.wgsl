// argsort for long rows: bitonic sort of (key, index) pairs per row, padded to P = 2^p with pads that
// sort last. Index is the tie-breaker, which makes the (otherwise unstable) network stable.
// Entry points: `init` copies a row into keys/ids, `step` is one compare-exchange pass (k, j),
// `emit` writes the sorted indices. md: [rows*P, k, L, lastStride, outerShape(k), xOff, outerStrides(k),
// outOff, descending, P, kk, jj] (kk, jj: the pass, used by `step`).
{{DECLS}}
@group(0) @binding(1) var<storage, read_write> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> ids: array<i32>;
@group(0) @binding(4) var<storage, read_write> res: array<i32>;

fn before(a: {{T}}, b: {{T}}) -> bool { // a strictly before b in ascending order, NaN last
{{LESS}}
}
fn meta_base() -> i32 { return 7 + 2 * md[1]; } // index of P in md

// (key a, id ia) precedes (key b, id ib): pads (id >= L) last, then by key order, then by id.
fn precedes(a: u32, ia: i32, b: u32, ib: i32) -> bool {
  let L = md[2];
  if (ia >= L || ib >= L) { return ia < ib; }
  let ka = bitcast<{{T}}>(a);
  let kb = bitcast<{{T}}>(b);
  var lt = before(ka, kb);
  var gt = before(kb, ka);
  if (md[6 + 2 * md[1]] != 0) { let t = lt; lt = gt; gt = t; }
  if (lt) { return true; }
  if (gt) { return false; }
  return ia < ib;
}

@compute @workgroup_size(64)
fn init(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let k = md[1];
  let L = md[2];
  let P = md[meta_base()];
  let row = i / P;
  let p = i % P;
  var key = 0u;
  if (p < L) { key = bitcast<u32>(ld_a(strided(row, k, 4, 4 + k) + p * md[3])); }
  keys[i] = key;
  ids[i] = p;
}

@compute @workgroup_size(64)
fn step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let mb = meta_base();
  let P = md[mb];
  let kk = md[mb + 1];
  let jj = md[mb + 2];
  let p = i % P;
  let q = p ^ jj;
  if (q <= p) { return; }
  let a = i;
  let b = i - p + q;
  let up = (p & kk) == 0;
  let swap = select(precedes(keys[a], ids[a], keys[b], ids[b]), precedes(keys[b], ids[b], keys[a], ids[a]), up);
  if (swap) {
    let tk = keys[a]; keys[a] = keys[b]; keys[b] = tk;
    let ti = ids[a]; ids[a] = ids[b]; ids[b] = ti;
  }
}

@compute @workgroup_size(64)
fn emit(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
  let L = md[2];
  let P = md[meta_base()];
  let p = i % P;
  if (p < L) { res[md[5 + 2 * md[1]] + (i / P) * L + p] = ids[i]; }
}
