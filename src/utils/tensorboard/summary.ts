// The Summary protos SummaryWriter writes (TensorBoard's summary.proto, plus the text and hparams
// plugins' payloads), built from plain values, and the histogram binning of PyTorch's
// make_histogram: numpy-style binning over fixed edges, trimmed to the populated range.

import { ProtoWriter } from './proto.js';

/**
 * TensorBoard's default histogram bucket edges (PyTorch's `bins='tensorflow'`): 1e-12 growing by a
 * factor 1.1 while below 1e20, mirrored negative, and 0 in the middle.
 */
export const defaultBins: readonly number[] = (() => {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return [...pos.map((v) => -v).reverse(), 0, ...pos];
})();

/** HistogramProto's fields. */
export interface Histogram { min: number; max: number; num: number; sum: number; sumSquares: number; bucketLimit: number[]; bucket: number[] }

/** Equal-width edges between min and max (numpy's `bins=n`). */
function linearEdges(values: ArrayLike<number>, n: number): number[] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) { lo = Math.min(lo, values[i]!); hi = Math.max(hi, values[i]!); }
  if (lo === hi) { lo -= 0.5; hi += 0.5; }
  return Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + ((hi - lo) * i) / n));
}

/**
 * PyTorch's make_histogram: counts over `edges` (numpy: [e_i, e_i+1), the last bin closed, values
 * outside dropped), then from one empty bucket before the first populated one to the last populated
 * one; bucket_limit holds each kept bucket's right edge.
 */
export function makeHistogram(values: ArrayLike<number>, bins: 'tensorflow' | number | readonly number[]): Histogram {
  const n = values.length;
  if (n === 0) throw new Error('addHistogram: the values are empty');
  const edges = bins === 'tensorflow' ? defaultBins : typeof bins === 'number' ? linearEdges(values, bins) : bins;
  if (edges.length < 2) throw new Error('addHistogram: bins needs at least two edges');
  const counts = new Float64Array(edges.length - 1);
  let min = Infinity, max = -Infinity, sum = 0, sumSquares = 0;
  const last = edges[edges.length - 1]!;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    min = Math.min(min, v); max = Math.max(max, v); sum += v; sumSquares += v * v;
    if (!(v >= edges[0]! && v <= last)) continue;
    // The last edge <= v (binary search), so v lies in [edges[lo], edges[lo + 1]).
    let lo = 0, hi = edges.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >>> 1; if (edges[mid]! <= v) lo = mid; else hi = mid; }
    counts[lo]!++;
  }
  let first = -1, end = -1;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) { if (first < 0) first = i; end = i; }
  if (first < 0) return { min, max, num: n, sum, sumSquares, bucketLimit: [], bucket: [] };
  const bucket = first > 0 ? Array.from(counts.subarray(first - 1, end + 1)) : [0, ...counts.subarray(0, end + 1)];
  const bucketLimit = edges.slice(first, end + 2) as number[];
  return { min, max, num: n, sum, sumSquares, bucketLimit, bucket };
}

/** Summary.Value with a simple_value. */
export function scalarValue(tag: string, value: number): ProtoWriter {
  return new ProtoWriter().string(1, tag).float(2, value);
}

/** Summary.Value with a HistogramProto (histo, field 5). */
export function histogramValue(tag: string, h: Histogram): ProtoWriter {
  const histo = new ProtoWriter().double(1, h.min).double(2, h.max).double(3, h.num).double(4, h.sum).double(5, h.sumSquares)
    .packedDoubles(6, h.bucketLimit).packedDoubles(7, h.bucket);
  return new ProtoWriter().string(1, tag).message(5, histo);
}

/** Summary.Value with a Summary.Image (image, field 4) holding PNG bytes. */
export function imageValue(tag: string, png: Uint8Array, height: number, width: number, channels: number): ProtoWriter {
  const img = new ProtoWriter().int(1, height).int(2, width).int(3, channels).bytes(4, png);
  return new ProtoWriter().string(1, tag).message(4, img);
}

function pluginMetadata(name: string, content: Uint8Array): ProtoWriter {
  return new ProtoWriter().message(1, new ProtoWriter().string(1, name).bytes(2, content));
}

/** Summary.Value for the text plugin: tag `<tag>/text_summary`, a DT_STRING TensorProto of shape [1]. */
export function textValue(tag: string, text: string): ProtoWriter {
  const shape = new ProtoWriter().message(2, new ProtoWriter().int(1, 1));
  const tensor = new ProtoWriter().int(1, 7 /* DT_STRING */).message(2, shape).string(8, text);
  return new ProtoWriter().string(1, `${tag}/text_summary`).message(9, pluginMetadata('text', new Uint8Array(0))).message(8, tensor);
}

/** A hyperparameter's value: a number, string or boolean. */
export type HParamValue = number | string | boolean;

/** The three hparams-plugin Summary.Values PyTorch's hparams() makes: experiment, session start, session end. */
export function hparamsValues(hparams: Record<string, HParamValue>, metrics: Record<string, number>): ProtoWriter[] {
  const pluginData = (field: number, m: ProtoWriter): Uint8Array => new ProtoWriter().message(field, m).finish(); // HParamsPluginData (version 0: omitted)
  const value = (tag: string, content: Uint8Array): ProtoWriter => new ProtoWriter().string(1, tag).message(9, pluginMetadata('hparams', content));
  const ssi = new ProtoWriter();
  const exp = new ProtoWriter();
  for (const [k, v] of Object.entries(hparams)) {
    // google.protobuf.Value: number_value 2, string_value 3, bool_value 4; DataType FLOAT64 3, STRING 1, BOOL 2.
    const pv = new ProtoWriter();
    let type: number;
    if (typeof v === 'number') { pv.double(2, v); type = 3; } else if (typeof v === 'string') { pv.string(3, v); type = 1; } else { pv.int(4, v); type = 2; }
    ssi.message(1, new ProtoWriter().string(1, k).message(2, pv)); // map<string, Value> entry
    exp.message(4, new ProtoWriter().string(1, k).int(4, type)); // HParamInfo { name, type }
  }
  for (const k of Object.keys(metrics)) exp.message(5, new ProtoWriter().message(1, new ProtoWriter().string(2, k))); // MetricInfo { name { tag } }
  const sei = new ProtoWriter().int(1, 1); // SessionEndInfo { status: STATUS_SUCCESS }
  return [
    value('_hparams_/experiment', pluginData(2, exp)),
    value('_hparams_/session_start_info', pluginData(3, ssi)),
    value('_hparams_/session_end_info', pluginData(4, sei)),
  ];
}
