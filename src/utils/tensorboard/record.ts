// TensorBoard's (TFRecord) record framing: uint64 little-endian length, masked CRC-32C of those 8
// bytes, the data, masked CRC-32C of the data. CRC-32C is the Castagnoli polynomial (reflected
// 0x82f63b78); the mask is ((crc >>> 15) | (crc << 17)) + 0xa282ead8, modulo 2^32.

import { crc32c } from '../../checksum.js';

/** TFRecord's masked CRC-32C. */
export function maskedCrc32c(b: Uint8Array): number {
  const c = crc32c(b);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One framed record holding `data`. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length % 0x100000000, true);
  dv.setUint32(4, Math.floor(data.length / 0x100000000), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
