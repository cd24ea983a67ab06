// A minimal protobuf writer for ONNX's messages (onnx.proto3, IR version 8): ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, ValueInfoProto. Only what export writes: varints,
// length-delimited fields and raw little-endian tensor bytes. Field numbers are onnx.proto's;
// test/onnx/ checks the bytes with ONNX's own checker and runs them in onnxruntime.

/** ONNX TensorProto.DataType values. */
export const ONNX_DTYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** An attribute value, tagged as ONNX types it (a JS number alone cannot say int or float). */
export type Attr = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] } | { strings: readonly string[] } | { t: TensorData };

/** A constant tensor: dims, dtype and its little-endian bytes. */
export interface TensorData { name: string; dims: readonly number[]; dtype: OnnxDType; raw: Uint8Array }
export interface NodeData { op: string; inputs: readonly string[]; outputs: readonly string[]; name: string; attrs: Record<string, Attr>; domain?: string }
/** A graph input or output: its element type and dims (a string is a symbolic dim_param). */
export interface ValueData { name: string; dtype: OnnxDType; dims: readonly (number | string)[] }
export interface ModelData {
  graphName: string; nodes: NodeData[]; initializers: TensorData[]; inputs: ValueData[]; outputs: ValueData[];
  opset: number; producerVersion: string; docString?: string;
}

class Writer {
  private parts: number[] = [];
  bytes(): Uint8Array { return Uint8Array.from(this.parts); }
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) { this.parts.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    this.parts.push(Number(x));
  }
  tag(field: number, wire: number): void { this.varint((field << 3) | wire); }
  int(field: number, v: number): void { this.tag(field, 0); this.varint(v); }
  float(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.parts.push(x);
  }
  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, 2); this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]!);
  }
  string(field: number, s: string): void { this.bytesField(field, new TextEncoder().encode(s)); }
  message(field: number, w: Writer): void { this.bytesField(field, w.bytes()); }
  packedInts(field: number, vs: readonly number[]): void {
    const w = new Writer();
    for (const v of vs) w.varint(v);
    this.bytesField(field, w.bytes());
  }
  packedFloats(field: number, vs: readonly number[]): void { this.bytesField(field, new Uint8Array(new Float32Array(vs).buffer)); }
}

function tensorMsg(t: TensorData): Writer {
  const w = new Writer();
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytesField(9, t.raw);
  return w;
}

const ATTR_TYPE = { f: 1, i: 2, s: 3, t: 4, floats: 6, ints: 7, strings: 8 } as const;
function attrMsg(name: string, a: Attr): Writer {
  const w = new Writer();
  w.string(1, name);
  if ('f' in a) { w.float(2, a.f); w.int(20, ATTR_TYPE.f); }
  else if ('i' in a) { w.int(3, a.i); w.int(20, ATTR_TYPE.i); }
  else if ('s' in a) { w.string(4, a.s); w.int(20, ATTR_TYPE.s); }
  else if ('t' in a) { w.message(5, tensorMsg(a.t)); w.int(20, ATTR_TYPE.t); }
  else if ('floats' in a) { w.packedFloats(7, a.floats); w.int(20, ATTR_TYPE.floats); }
  else if ('strings' in a) { for (const x of a.strings) w.string(9, x); w.int(20, ATTR_TYPE.strings); }
  else { w.packedInts(8, a.ints); w.int(20, ATTR_TYPE.ints); }
  return w;
}

function nodeMsg(n: NodeData): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, attrMsg(k, a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueMsg(v: ValueData): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === 'string') dim.string(2, d); else dim.int(1, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer();
  tensorType.int(1, ONNX_DTYPE[v.dtype]);
  tensorType.message(2, shape);
  const type = new Writer();
  type.message(1, tensorType);
  const w = new Writer();
  w.string(1, v.name);
  w.message(2, type);
  return w;
}

/** Serializes a model (ONNX IR version 8, the default domain at `opset`). */
export function encodeModel(m: ModelData): Uint8Array {
  const g = new Writer();
  for (const n of m.nodes) g.message(1, nodeMsg(n));
  g.string(2, m.graphName);
  for (const t of m.initializers) g.message(5, tensorMsg(t));
  for (const v of m.inputs) g.message(11, valueMsg(v));
  for (const v of m.outputs) g.message(12, valueMsg(v));
  const opset = new Writer();
  opset.string(1, '');
  opset.int(2, m.opset);
  const w = new Writer();
  w.int(1, 8);
  w.string(2, 'torchlet');
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, g);
  w.message(8, opset);
  return w.bytes();
}
