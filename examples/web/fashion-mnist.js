// Fashion-MNIST in the browser: fetches the demo server's gzipped IDX files (data/fashion-mnist/),
// gunzips them with DecompressionStream and parses the IDX format; also the class names and the
// normalisation of examples/fashion-mnist-data.ts.

export const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const MEAN = 0.2860, STD = 0.3530;

async function fetchIdx(name) {
  const res = await fetch(`/data/${name}.gz`);
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
  const buf = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const view = new DataView(buf.buffer);
  const magic = view.getUint32(0);
  if (magic >>> 8 !== 0x08) throw new Error(`${name}: not an unsigned-byte IDX file`);
  const dims = Array.from({ length: magic & 0xff }, (_, i) => view.getUint32(4 + 4 * i));
  const off = 4 + 4 * dims.length;
  return { dims, data: buf.subarray(off, off + dims.reduce((a, b) => a * b, 1)) };
}

/** One split ('train' | 't10k') as raw bytes: images [N*784] and labels [N]. */
export async function loadSplit(split) {
  const [im, lb] = await Promise.all([fetchIdx(`${split}-images-idx3-ubyte`), fetchIdx(`${split}-labels-idx1-ubyte`)]);
  return { n: im.dims[0], images: im.data, labels: lb.data };
}

/** The first `n` images of a split as normalised float32 pixels. */
export function normalise(bytes, n) {
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = (bytes[i] / 255 - MEAN) / STD;
  return x;
}
