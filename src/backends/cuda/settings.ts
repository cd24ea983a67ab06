// CUDA backend settings read at kernel launch: torch.backends.cuda.matmul.allowTf32 (PyTorch's
// default, false: float32 GEMMs round-trip float32 exactly). The public flag (src/index.ts) sets it here.

let tf32 = false;
/** Whether float32 matmuls may use TF32 tensor cores (10-bit mantissa inputs, float32 accumulation). */
export function getAllowTf32(): boolean { return tf32; }
export function setAllowTf32(on: boolean): void { tf32 = on; }
