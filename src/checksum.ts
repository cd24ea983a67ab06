// Table-driven reflected CRC-32s: CRC-32 (ISO-HDLC, as ZIP and PNG use it: src/serialization/zip.ts,
// TensorBoard's PNG encoder) and CRC-32C (Castagnoli, TensorBoard's record framing). No imports.

/** A reflected CRC-32 over a byte array for one (reflected) polynomial. */
function crcFunction(poly: number): (b: Uint8Array) => number {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return (b) => {
    let c = 0xffffffff;
    for (let i = 0; i < b.length; i++) c = t[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
}

/** CRC-32 (as PNG and ZIP use it) of `b`. */
export const crc32 = crcFunction(0xedb88320);
/** CRC-32C (Castagnoli) of `b`. */
export const crc32c = crcFunction(0x82f63b78);
