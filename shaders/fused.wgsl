// fused(program): one pass of a generated elementwise program (src/backends/webgpu/fused.ts).
// <STEPS> holds one function per step, <BODY> loads the inputs, calls the steps and stores the
// outputs; operands are outputs then inputs, all broadcast to the output shape (op_off).
{{DECLS}}
// A zero only known at run time (metadata): OR-ing a float32 step's bits with it makes the compiler
// round every step to f32 as a store would, so no multiply-add is contracted across steps.
var<private> fz: u32;
fn pin(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) | fz); }
{{STEPS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
{{BODY}}
}
