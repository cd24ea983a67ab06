// The shared-memory form of a kernel binary, made at load time: the same module with its memory
// import declared shared and a maximum of 65536 pages (4 GiB), as the thread pool's memory is. The
// kernels use no atomics, so this is all `asc --enable threads --sharedMemory --maximumMemory 65536`
// changes (checked byte for byte when the build did this); patching at load time keeps two binaries
// in the bundle instead of four.

/** Unsigned LEB128 at bin[p]: [value, next position]. */
function leb(bin: Uint8Array, p: number): [number, number] {
  let v = 0, shift = 0, b: number;
  do { b = bin[p++]!; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [v, p];
}

function encLeb(v: number): number[] {
  const out: number[] = [];
  do { let b = v % 128; v = Math.floor(v / 128); if (v) b |= 0x80; out.push(b); } while (v);
  return out;
}

/** `bin` with its memory import made shared (max 65536 pages); throws if it has none. */
export function shareMemory(bin: Uint8Array): Uint8Array<ArrayBuffer> {
  let p = 8;
  while (p < bin.length) {
    const id = bin[p]!;
    const [size, body] = leb(bin, p + 1);
    if (id === 2) {
      let q = body;
      const [count, q0] = leb(bin, q); q = q0;
      for (let i = 0; i < count; i++) {
        for (let k = 0; k < 2; k++) { const [len, q1] = leb(bin, q); q = q1 + len; } // module and field names
        const kind = bin[q++];
        // A function import (the GEMM's epilogue callback): its type index, then the next import.
        if (kind === 0) { q = leb(bin, q)[1]; continue; }
        if (kind !== 2) throw new Error('wasm kernels: they import only their memory and functions');
        const flags = bin[q]!;
        const [min, q2] = leb(bin, q + 1);
        const end = flags & 1 ? leb(bin, q2)[1] : q2;
        const section = [...bin.subarray(body, q), 0x03, ...encLeb(min), ...encLeb(65536), ...bin.subarray(end, body + size)];
        const head = [2, ...encLeb(section.length), ...section];
        const out = new Uint8Array(p + head.length + bin.length - (body + size));
        out.set(bin.subarray(0, p), 0);
        out.set(head, p);
        out.set(bin.subarray(body + size), p + head.length);
        return out;
      }
    }
    p = body + size;
  }
  throw new Error('wasm kernels: no memory import found');
}
