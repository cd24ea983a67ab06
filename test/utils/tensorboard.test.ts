// torch.utils.tensorboard.SummaryWriter read back by an independent reader written here (record
// framing with both masked CRC-32Cs checked, Event/Summary protos decoded field by field): tags,
// steps, float32 values, histogram fields against values computed here, text/hparams plugin names,
// the image's PNG (signature, IHDR, pixels through node:zlib), addScalars' layout, file_version.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { torch } from '../helpers.js';

// ---- an independent reader ----
function crc32cRef(b: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1)); }
  return (~c) >>> 0;
}
const mask = (c: number): number => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

function records(buf: Uint8Array): Uint8Array[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < buf.length) {
    const len = Number(dv.getBigUint64(o, true));
    expect(dv.getUint32(o + 8, true)).toBe(mask(crc32cRef(buf.subarray(o, o + 8))));
    const data = buf.subarray(o + 12, o + 12 + len);
    expect(dv.getUint32(o + 12 + len, true)).toBe(mask(crc32cRef(data)));
    out.push(data);
    o += 16 + len;
  }
  expect(o).toBe(buf.length);
  return out;
}

type Field = { wire: number; v: bigint | Uint8Array | DataView };
/** Decodes one message into field number -> occurrences. */
function decode(b: Uint8Array): Map<number, Field[]> {
  const m = new Map<number, Field[]>();
  let o = 0;
  const varint = (): bigint => { let r = 0n, s = 0n; for (;;) { const x = b[o++]!; r |= BigInt(x & 0x7f) << s; s += 7n; if (!(x & 0x80)) return r; } };
  while (o < b.length) {
    const key = Number(varint()), f = key >> 3, wire = key & 7;
    let v: Field['v'];
    if (wire === 0) v = varint();
    else if (wire === 1) { v = new DataView(b.buffer, b.byteOffset + o, 8); o += 8; }
    else if (wire === 5) { v = new DataView(b.buffer, b.byteOffset + o, 4); o += 4; }
    else if (wire === 2) { const n = Number(varint()); v = b.subarray(o, o + n); o += n; }
    else throw new Error(`wire type ${wire}`);
    if (!m.has(f)) m.set(f, []);
    m.get(f)!.push({ wire, v });
  }
  return m;
}
const one = (m: Map<number, Field[]>, f: number): Field | undefined => m.get(f)?.[0];
const dbl = (m: Map<number, Field[]>, f: number): number => (one(m, f)!.v as DataView).getFloat64(0, true);
const flt = (m: Map<number, Field[]>, f: number): number => (one(m, f)!.v as DataView).getFloat32(0, true);
const int = (m: Map<number, Field[]>, f: number): number => Number(BigInt.asIntN(64, (one(m, f)?.v as bigint | undefined) ?? 0n));
const bytes = (m: Map<number, Field[]>, f: number): Uint8Array => one(m, f)!.v as Uint8Array;
const str = (m: Map<number, Field[]>, f: number): string => new TextDecoder().decode(bytes(m, f));
const packed = (m: Map<number, Field[]>, f: number): number[] => {
  const b = bytes(m, f), dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 8 }, (_, i) => dv.getFloat64(i * 8, true));
};

interface Ev { wallTime: number; step: number; fileVersion?: string; values: Map<number, Field[]>[] }
function readDir(dir: string): Ev[] {
  const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
  expect(files).toHaveLength(1);
  return records(new Uint8Array(readFileSync(join(dir, files[0]!)))).map((r) => {
    const e = decode(r);
    const summary = one(e, 5) ? decode(bytes(e, 5)) : null;
    return {
      wallTime: dbl(e, 1), step: int(e, 2), fileVersion: one(e, 3) ? str(e, 3) : undefined,
      values: (summary?.get(1) ?? []).map((f) => decode(f.v as Uint8Array)),
    };
  });
}
const pluginName = (v: Map<number, Field[]>): string => str(decode(bytes(decode(bytes(v, 9)), 1)), 1);

const root = mkdtempSync(join(tmpdir(), 'torchlet-tb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const { SummaryWriter } = torch.utils.tensorboard;

describe('torch.utils.tensorboard.SummaryWriter', () => {
  it('writes scalars, text and hparams in framed records with file_version first', async () => {
    const dir = join(root, 'a');
    const w = new SummaryWriter(dir);
    w.addScalar('loss', 0.1, 3, 1234.5);
    w.addScalar('loss', -2.5, 4);
    w.addText('notes', 'hello **world**', 7);
    const hpDir = w.addHparams({ lr: 0.01, opt: 'adam', nesterov: true }, { 'hparam/acc': 0.9 }, 'hp');
    await w.close();
    expect(() => w.addScalar('x', 1)).toThrow(/closed/);
    const ev = readDir(dir);
    expect(ev[0]!.fileVersion).toBe('brain.Event:2');
    expect(ev[0]!.values).toHaveLength(0);
    expect(ev.slice(1).map((e) => e.step)).toEqual([3, 4, 7]);
    expect(ev[1]!.wallTime).toBe(1234.5);
    expect(str(ev[1]!.values[0]!, 1)).toBe('loss');
    expect(flt(ev[1]!.values[0]!, 2)).toBe(Math.fround(0.1));
    expect(flt(ev[2]!.values[0]!, 2)).toBe(-2.5);
    const text = ev[3]!.values[0]!;
    expect(str(text, 1)).toBe('notes/text_summary');
    expect(pluginName(text)).toBe('text');
    const tensor = decode(bytes(text, 8));
    expect(int(tensor, 1)).toBe(7); // DT_STRING
    expect(str(tensor, 8)).toBe('hello **world**');

    expect(hpDir).toBe(`${dir}/hp`);
    const hp = readDir(hpDir);
    expect(hp.slice(1, 4).map((e) => str(e.values[0]!, 1))).toEqual(['_hparams_/experiment', '_hparams_/session_start_info', '_hparams_/session_end_info']);
    for (const e of hp.slice(1, 4)) expect(pluginName(e.values[0]!)).toBe('hparams');
    const content = decode(bytes(decode(bytes(decode(bytes(hp[2]!.values[0]!, 9)), 1)), 2));
    const ssi = decode(bytes(content, 3));
    const entries = ssi.get(1)!.map((f) => decode(f.v as Uint8Array));
    expect(entries.map((e) => str(e, 1))).toEqual(['lr', 'opt', 'nesterov']);
    expect(dbl(decode(bytes(entries[0]!, 2)), 2)).toBe(0.01);
    expect(str(decode(bytes(entries[1]!, 2)), 3)).toBe('adam');
    expect(int(decode(bytes(entries[2]!, 2)), 4)).toBe(1);
    expect(str(hp[4]!.values[0]!, 1)).toBe('hparam/acc');
    expect(flt(hp[4]!.values[0]!, 2)).toBe(Math.fround(0.9));
  });

  it('lays out addScalars as one run directory per sub-tag', async () => {
    const dir = join(root, 'b');
    const w = new SummaryWriter(dir, { flushSecs: 0 });
    w.addScalars('run/loss', { train: 1, test: 2 }, 5);
    w.addScalars('run/loss', { train: 0.5, test: 1.5 }, 6);
    await w.flush();
    await w.close();
    expect(readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory()).sort()).toEqual(['run_loss_test', 'run_loss_train']);
    const train = readDir(join(dir, 'run_loss_train'));
    expect(train[0]!.fileVersion).toBe('brain.Event:2');
    expect(train.slice(1).map((e) => [e.step, str(e.values[0]!, 1), flt(e.values[0]!, 2)])).toEqual([[5, 'run/loss', 1], [6, 'run/loss', 0.5]]);
    const test = readDir(join(dir, 'run_loss_test'));
    expect(test.slice(1).map((e) => flt(e.values[0]!, 2))).toEqual([2, 1.5]);
    expect(readDir(dir)).toHaveLength(1); // the main file holds only file_version
  });

  it('writes histograms with TensorBoard default buckets', async () => {
    const dir = join(root, 'c');
    const w = new SummaryWriter(dir);
    const vals = [0.5, -1, 2, 2, 3.25, 0, 1e-3];
    w.addHistogram('h', torch.tensor(vals), 1);
    w.addHistogram('h2', [1, 2, 3, 4], 2, 3);
    await w.close();
    const ev = readDir(dir);
    const h = decode(bytes(ev[1]!.values[0]!, 5));
    expect(str(ev[1]!.values[0]!, 1)).toBe('h');
    const f32 = vals.map(Math.fround);
    expect([dbl(h, 1), dbl(h, 2), dbl(h, 3)]).toEqual([-1, 3.25, 7]);
    expect(dbl(h, 4)).toBeCloseTo(f32.reduce((a, b) => a + b), 12);
    expect(dbl(h, 5)).toBeCloseTo(f32.reduce((a, b) => a + b * b, 0), 12);
    // The edges by the documented rule, counted here: [e_i, e_i+1), trimmed to one empty bucket
    // before the first populated one through the last populated one; limits are right edges.
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    const edges = [...pos.map((v) => -v).reverse(), 0, ...pos];
    expect(edges).toHaveLength(1549);
    const counts = new Array<number>(edges.length - 1).fill(0);
    for (const v of f32) counts[edges.findIndex((e, i) => v >= e && v < edges[i + 1]!)]!++;
    const first = counts.findIndex((c) => c > 0), last = counts.length - 1 - [...counts].reverse().findIndex((c) => c > 0);
    expect(packed(h, 7)).toEqual(counts.slice(first - 1, last + 1));
    expect(packed(h, 6)).toEqual(edges.slice(first, last + 2));
    expect(packed(h, 7).reduce((a, b) => a + b)).toBe(7);
    // bins = 3: numpy's equal-width bins over [1, 4].
    const h2 = decode(bytes(ev[2]!.values[0]!, 5));
    expect(ev[2]!.step).toBe(2);
    expect(packed(h2, 7)).toEqual([0, 1, 1, 2]);
    expect(packed(h2, 6)).toEqual([1, 2, 3, 4]);
  });

  it('writes images as PNG (CHW float, HWC uint8, HW)', async () => {
    const dir = join(root, 'd');
    const w = new SummaryWriter(dir);
    const chw = torch.tensor([[[0, 0.5, 1.2]], [[0.25, 1, -1]], [[1, 0, 0.999]]]); // 3x1x3
    w.addImage('chw', chw, 0);
    const hwc = torch.tensor([[[1, 2, 3, 4], [5, 6, 7, 8]], [[9, 10, 11, 12], [13, 14, 15, 255]]], { dtype: 'uint8' });
    w.addImage('hwc', hwc, 1, { dataformats: 'HWC' });
    w.addImage('hw', torch.tensor([[0.1, 0.2]]), 2, { dataformats: 'HW' });
    await w.close();
    const ev = readDir(dir);
    const png = (i: number): { w: number; h: number; c: number; px: number[]; cs: number } => {
      const v = ev[i]!.values[0]!, img = decode(bytes(v, 4)), b = bytes(img, 4);
      expect(Array.from(b.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      expect(new TextDecoder().decode(b.subarray(12, 16))).toBe('IHDR');
      const width = dv.getUint32(16), height = dv.getUint32(20), ct = b[25]!;
      expect([int(img, 1), int(img, 2)]).toEqual([height, width]);
      const c = ct === 2 ? 3 : ct === 6 ? 4 : 1;
      let o = 8; const idat: Uint8Array[] = [];
      while (o < b.length) {
        const n = dv.getUint32(o), type = new TextDecoder().decode(b.subarray(o + 4, o + 8));
        if (type === 'IDAT') idat.push(b.subarray(o + 8, o + 8 + n));
        o += 12 + n;
      }
      const raw = inflateSync(Buffer.concat(idat));
      const px: number[] = [];
      for (let y = 0; y < height; y++) {
        expect(raw[y * (width * c + 1)]).toBe(0);
        px.push(...raw.subarray(y * (width * c + 1) + 1, (y + 1) * (width * c + 1)));
      }
      return { w: width, h: height, c, px, cs: int(img, 3) };
    };
    const a = png(1);
    expect([a.h, a.w, a.c, a.cs]).toEqual([1, 3, 3, 3]);
    expect(a.px).toEqual([0, 63, 255, 127, 255, 0, 255, 0, 254]);
    const b = png(2);
    expect([b.h, b.w, b.c, b.cs]).toEqual([2, 2, 4, 4]);
    expect(b.px).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255]);
    const c = png(3);
    expect([c.h, c.w, c.c]).toEqual([1, 2, 3]);
    expect(c.px).toEqual([25, 25, 25, 51, 51, 51]);
    expect(ev.map((e) => e.step)).toEqual([0, 0, 1, 2]);
  });

  it('names the default run directory runs/<date>_<host><comment>; the stored-deflate PNG is valid', async () => {
    const w = new SummaryWriter(undefined, { comment: '_x', flushSecs: 0 });
    expect(w.logDir).toMatch(/^runs\/[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_.+_x$/);
    await w.close(); // nothing logged: still writes the file_version event
    const d = w.logDir;
    expect(readDir(d)[0]!.fileVersion).toBe('brain.Event:2');
    rmSync(d, { recursive: true });
    const { encodePng } = await import('../../src/utils/tensorboard/png.js');
    const px = Uint8Array.from({ length: 300 * 100 * 3 }, (_, i) => (i * 7) % 251);
    const b = encodePng(px, 300, 100, 3, false);
    const dv = new DataView(b.buffer, b.byteOffset);
    const n = dv.getUint32(33);
    const raw = inflateSync(b.subarray(41, 41 + n)); // IDAT right after IHDR
    expect(raw.length).toBe(100 * 901);
    expect(Array.from(raw.subarray(902, 905))).toEqual(Array.from(px.subarray(900, 903)));
  });

  it('npm start\'s train() logs per-epoch train loss and test accuracy', async () => {
    const { train } = await import('../../examples/train-fashion-mnist.js');
    const dir = join(root, 'train');
    const r = await train({ device: 'cpu', epochs: 1, limit: 64, log: () => {}, tensorboard: dir });
    torch.dispose(r.model.parameters());
    expect(r.logDir).toBe(dir);
    const ev = readDir(dir);
    expect(ev.slice(1).map((e) => [e.step, str(e.values[0]!, 1)])).toEqual([[1, 'Loss/train'], [1, 'Accuracy/test']]);
    expect(flt(ev[1]!.values[0]!, 2)).toBe(Math.fround(r.trainLoss));
    expect(flt(ev[2]!.values[0]!, 2)).toBe(Math.fround(r.testAccuracy));
  });
});
