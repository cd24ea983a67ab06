// fused(program): one pass of a generated elementwise program (src/backends/webgpu/fused.ts).
// <BODY> loads the inputs, evaluates each step inline (a block per step) and stores the outputs;
// operands are outputs then inputs, all broadcast to the output shape (op_off).
{{DECLS}}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wid, nwg, lid, 64u);
  if (i >= md[0]) { return; }
{{BODY}}
}
