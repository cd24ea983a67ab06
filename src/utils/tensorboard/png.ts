// A small PNG encoder for TensorBoard images: 8-bit grayscale, RGB or RGBA, filter type 0 on every
// row. The zlib stream uses node:zlib's deflate where the runtime exposes it synchronously (Node,
// Deno, Bun through process.getBuiltinModule); elsewhere (browsers) stored (uncompressed) deflate
// blocks with an Adler-32 trailer, which is valid PNG too. Chunk CRCs are CRC-32 (ISO-HDLC).

import { crc32 } from '../../checksum.js';

/** Adler-32 of `b` (zlib's trailer). */
export function adler32(b: Uint8Array): number {
  let a = 1, s = 0;
  for (let i = 0; i < b.length;) {
    const end = Math.min(b.length, i + 5552); // zlib's NMAX: reduce before the sums grow large
    for (; i < end; i++) { a += b[i]!; s += a; }
    a %= 65521; s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** A zlib stream of `data` in stored (uncompressed) deflate blocks of at most 65535 bytes. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const nBlocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + nBlocks * 5 + data.length + 4);
  out[0] = 0x78; out[1] = 0x01; // deflate, 32 KiB window, no dictionary; (0x7801 % 31 === 0)
  let o = 2;
  for (let k = 0; k < nBlocks; k++) {
    const start = k * 65535, n = Math.min(65535, data.length - start);
    out[o++] = k === nBlocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00 (stored)
    out[o++] = n & 0xff; out[o++] = n >>> 8;
    out[o++] = ~n & 0xff; out[o++] = (~n >>> 8) & 0xff;
    out.set(data.subarray(start, start + n), o);
    o += n;
  }
  new DataView(out.buffer).setUint32(o, adler32(data), false);
  return out;
}

type DeflateSync = (b: Uint8Array) => Uint8Array;
let nodeDeflate: DeflateSync | null | undefined;

/** node:zlib's deflateSync where the runtime hands it out synchronously, else null. */
function runtimeDeflate(): DeflateSync | null {
  if (nodeDeflate !== undefined) return nodeDeflate;
  nodeDeflate = null;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const zlib = proc?.getBuiltinModule?.('node:zlib') as { deflateSync?: (b: Uint8Array) => Uint8Array } | undefined;
    if (zlib?.deflateSync) { const d = zlib.deflateSync; nodeDeflate = (b) => new Uint8Array(d(b)); }
  } catch { /* not available: stored blocks */ }
  return nodeDeflate;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length, false);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)), false);
  return out;
}

/**
 * PNG bytes of an 8-bit image given as interleaved HWC `pixels` (`channels` 1 = gray, 3 = RGB,
 * 4 = RGBA). `compress: false` forces stored deflate blocks.
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4, compress = true): Uint8Array {
  if (pixels.length !== width * height * channels) throw new Error(`encodePng: ${pixels.length} bytes for a ${height}x${width}x${channels} image`);
  const row = width * channels;
  const raw = new Uint8Array(height * (row + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1); // filter byte 0
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width, false); dv.setUint32(4, height, false);
  ihdr[8] = 8; ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6; // bit depth, colour type
  const deflate = compress ? runtimeDeflate() : null;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflate ? deflate(raw) : zlibStored(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
