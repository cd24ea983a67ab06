// Minimal ZIP reader and writer for PyTorch checkpoints and NumPy .npz files. The reader reads the
// central directory and returns entries by name; stored (method 0) and deflate (method 8) entries.
// Inflate uses DecompressionStream('deflate-raw') where the runtime has it, else node:zlib loaded
// lazily (Node only). The writer stores entries uncompressed, data aligned to 64 bytes as PyTorch's
// writer does, with CRC-32s. No ZIP64 (archives over 4 GiB), no encryption.

import { crc32 } from '../checksum.js';

export interface ZipEntry { name: string; method: number; compressedSize: number; size: number; dataOffset: number }

function fail(msg: string): never { throw new Error(`load: malformed zip archive: ${msg}`); }

export function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

export function readZipDirectory(b: Uint8Array): Map<string, ZipEntry> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // End of central directory: 22 bytes + up to 64 KiB comment, found by scanning back.
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) fail('end of central directory not found (truncated file?)');
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || p === 0xffffffff) fail('ZIP64 archives (> 4 GiB) are not supported');
  const td = new TextDecoder();
  const out = new Map<string, ZipEntry>();
  for (let k = 0; k < count; k++) {
    if (p + 46 > b.length || dv.getUint32(p, true) !== 0x02014b50) fail(`bad central directory entry ${k}`);
    const method = dv.getUint16(p + 10, true);
    const compressedSize = dv.getUint32(p + 20, true), size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true), extraLen = dv.getUint16(p + 30, true), commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const name = td.decode(b.subarray(p + 46, p + 46 + nameLen));
    if (local + 30 > b.length || dv.getUint32(local, true) !== 0x04034b50) fail(`bad local header for '${name}'`);
    const dataOffset = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (dataOffset + compressedSize > b.length) fail(`entry '${name}' extends past the end of the file (truncated?)`);
    out.set(name, { name, method, compressedSize, size, dataOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/**
 * A stored (uncompressed) archive of `entries` in order. Each entry's data starts at a multiple of
 * `align` bytes, padded by an extra field in its local header (id 'FB', as PyTorch's writer does).
 */
export function writeZip(entries: readonly { name: string; data: Uint8Array }[], what: string, align = 64): Uint8Array {
  const te = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  const DATE = 0x21; // 1980-01-01 00:00: fixed, so the same checkpoint gives the same bytes
  for (const { name, data } of entries) {
    const nm = te.encode(name);
    const pad = (align - ((off + 30 + nm.length + 4) % align)) % align;
    const local = new Uint8Array(30 + nm.length + 4 + pad);
    const crc = crc32(data);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); lv.setUint16(6, 0x800, true); lv.setUint16(8, 0, true); // v2.0, UTF-8 names, stored
    lv.setUint16(10, 0, true); lv.setUint16(12, DATE, true);
    lv.setUint32(14, crc, true); lv.setUint32(18, data.length, true); lv.setUint32(22, data.length, true);
    lv.setUint16(26, nm.length, true); lv.setUint16(28, 4 + pad, true);
    local.set(nm, 30);
    lv.setUint16(30 + nm.length, 0x4246, true); lv.setUint16(32 + nm.length, pad, true);
    const cd = new Uint8Array(46 + nm.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true); cv.setUint16(6, 20, true); cv.setUint16(8, 0x800, true); cv.setUint16(10, 0, true);
    cv.setUint16(12, 0, true); cv.setUint16(14, DATE, true);
    cv.setUint32(16, crc, true); cv.setUint32(20, data.length, true); cv.setUint32(24, data.length, true);
    cv.setUint16(28, nm.length, true);
    cv.setUint32(42, off, true);
    cd.set(nm, 46);
    parts.push(local, data);
    central.push(cd);
    off += local.length + data.length;
    if (off > 0xffffffff) throw new RangeError(`${what}: archive exceeds 4 GiB, which needs ZIP64 (not supported)`);
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  if (entries.length > 0xfffe || off + cdSize > 0xffffffff) throw new RangeError(`${what}: archive too large for a ZIP without ZIP64`);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true); ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true); ev.setUint32(16, off, true);
  const out = new Uint8Array(off + cdSize + 22);
  let p = 0;
  for (const b of [...parts, ...central, eocd]) { out.set(b, p); p += b.length; }
  return out;
}

/** Name of the first entry, read from its local header (works on a truncated archive). */
export function firstZipEntryName(b: Uint8Array): string | null {
  if (!isZip(b) || b.length < 30) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = dv.getUint16(26, true);
  if (30 + n > b.length) return null;
  return new TextDecoder().decode(b.subarray(30, 30 + n));
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'undefined') {
    try {
      const ds = new DecompressionStream('deflate-raw' as CompressionFormat);
      const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(ds);
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      if (!(e instanceof TypeError) || !isNode()) throw e; // 'deflate-raw' unsupported: try zlib
    }
  }
  if (!isNode()) throw new Error('load: this runtime cannot inflate deflate-compressed entries (no DecompressionStream(\'deflate-raw\'))');
  const zlib = await import('node:zlib');
  return new Uint8Array(zlib.inflateRawSync(data));
}

function isNode(): boolean {
  return !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
}

export async function readZipEntry(b: Uint8Array, e: ZipEntry): Promise<Uint8Array> {
  const raw = b.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
  if (e.method === 0) return raw;
  if (e.method === 8) {
    const out = await inflateRaw(raw);
    if (out.length !== e.size) fail(`entry '${e.name}' inflated to ${out.length} bytes, expected ${e.size}`);
    return out;
  }
  return fail(`entry '${e.name}' uses unsupported compression method ${e.method}`);
}
