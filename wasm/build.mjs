// Builds the AssemblyScript kernels into src/backends/wasm/generated/ (see wasm/README).
console.log('wasm: no AssemblyScript kernels yet');
