// Minimal ZIP reader for PyTorch checkpoints: reads the central directory and returns entries by
// name; stored (method 0) and deflate (method 8) entries. Inflate uses DecompressionStream
// ('deflate-raw') where the runtime has it, else node:zlib loaded lazily. No ZIP64, no encryption.

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

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'undefined') {
    try {
      const ds = new DecompressionStream('deflate-raw' as CompressionFormat);
      const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(ds);
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      if (!(e instanceof TypeError) || typeof process === 'undefined') throw e; // 'deflate-raw' unsupported: try zlib
    }
  }
  const zlib = await import('node:zlib');
  return new Uint8Array(zlib.inflateRawSync(data));
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
