// The demo page's script: starts worker.js (all torchlet work happens there, so the UI never blocks),
// draws the live loss / test-accuracy chart with uPlot, turns the drawing canvas (pointer events:
// mouse, pen, touch) or a dropped image into 28x28 pixels for predictions, and saves/loads checkpoints.

import uPlot from '/uplot/uPlot.esm.js';
import { CLASSES, MEAN, STD } from './fashion-mnist.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const limit = Number(params.get('limit')) || Infinity;
const epochs = Number(params.get('epochs')) || 3;
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m, transfer) => worker.postMessage(m, transfer ?? []);

// --- chart: loss per step (left axis), test accuracy per epoch (right axis) ---
const series = [[], [], []];
const chartBox = $('chart');
const chart = new uPlot({
  width: chartBox.clientWidth, height: 220,
  scales: { x: { time: false }, acc: { range: [0, 100] } },
  axes: [{ label: 'epoch' }, { scale: 'loss', label: 'loss' }, { scale: 'acc', side: 1, label: 'test acc %', grid: { show: false } }],
  series: [{ label: 'epoch', value: (u, v) => v?.toFixed(2) ?? '' },
    { label: 'loss', scale: 'loss', stroke: '#4a6cf7', width: 1.5, value: (u, v) => v?.toFixed(3) ?? '' },
    { label: 'test acc', scale: 'acc', stroke: '#e8590c', width: 2, spanGaps: true, points: { size: 7 }, value: (u, v) => (v == null ? '' : `${v.toFixed(1)}%`) }],
}, series, chartBox);
new ResizeObserver(() => chart.setSize({ width: chartBox.clientWidth, height: 220 })).observe(chartBox);
function plot(x, loss, acc) {
  series[0].push(x); series[1].push(loss); series[2].push(acc);
  chart.setData(series);
  chartBox.dataset.points = String(series[0].length);
}

// --- worker messages ---
let trained = false;
const handlers = {
  ready: (m) => {
    const dev = m.device === 'webgpu' ? `WebGPU (${m.adapter})` : `CPU (wasm)${m.adapter ? `, not the software WebGPU adapter ${m.adapter}` : ''}`;
    $('info').textContent = `device: ${dev} · threads: ${m.threads}${m.isolated ? ' (cross-origin isolated)' : ' (not cross-origin isolated: one thread)'}`;
    $('info').dataset.device = m.device; $('info').dataset.threads = String(m.threads); $('info').dataset.isolated = String(m.isolated);
  },
  data: (m) => { $('status').textContent = `${m.nTrain} training / ${m.nTest} test images loaded.`; $('train').disabled = false; },
  start: (m) => {
    series.forEach((s) => (s.length = 0));
    $('status').textContent = `Training on ${m.nTrain} images (${m.epochs} epochs, ${m.steps} steps each), testing on ${m.nTest}…`;
  },
  step: (m) => {
    plot(m.epoch, m.loss, null);
    $('status').textContent = `epoch ${Math.ceil(m.epoch)}/${epochs} · loss ${m.loss.toFixed(3)} · ${m.samplesPerSec.toFixed(0)} samples/s`;
  },
  epoch: (m) => {
    series[2][series[2].length - 1] = m.testAccuracy * 100;
    chart.setData(series);
    showAccuracy(m.testAccuracy);
    trained = true; // predictions from the model as it trains
  },
  done: (m) => {
    trained = true;
    $('status').textContent += ` · done in ${m.seconds.toFixed(1)} s`;
    $('train').disabled = false; $('save').disabled = false;
    document.body.dataset.state = 'done';
    predictCanvas();
  },
  probs: (m) => { showProbs(m.probs); predicting = false; if (pending) { pending = false; predictCanvas(); } },
  checkpoint: (m) => {
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(new Blob([m.bytes])), download: 'fashion-mnist-cnn.safetensors' });
    a.click(); setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  },
  loaded: (m) => {
    trained = true; $('save').disabled = false;
    showAccuracy(m.testAccuracy);
    $('status').textContent = `Checkpoint loaded: ${(m.testAccuracy * 100).toFixed(1)}% on ${m.nTest} test images.`;
    predictCanvas();
  },
  error: (m) => { $('status').textContent = `Error: ${m.message}`; console.error(m.message); $('train').disabled = false; },
};
worker.onmessage = ({ data }) => handlers[data.type](data);
worker.onerror = (e) => { $('status').textContent = `Worker error: ${e.message}`; };
send({ type: 'init' });

function showAccuracy(acc) { $('accuracy').textContent = `${(acc * 100).toFixed(1)}%`; }

$('train').onclick = () => {
  $('train').disabled = true; document.body.dataset.state = 'training';
  send({ type: 'train', limit, epochs });
};
$('save').onclick = () => send({ type: 'save' });
$('upload').onchange = async (e) => {
  const f = e.target.files[0];
  if (f) { const bytes = new Uint8Array(await f.arrayBuffer()); send({ type: 'load', bytes }, [bytes.buffer]); }
  e.target.value = '';
};

// --- drawing canvas ---
const canvas = $('canvas'), ctx = canvas.getContext('2d', { willReadFrequently: true });
function clear() { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height); }
clear();
let last = null;
const at = (e) => {
  const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
};
canvas.addEventListener('pointerdown', (e) => { canvas.setPointerCapture(e.pointerId); last = at(e); stroke(last); });
canvas.addEventListener('pointermove', (e) => { if (last) stroke(at(e)); });
for (const t of ['pointerup', 'pointercancel']) canvas.addEventListener(t, () => { last = null; predictCanvas(); });
function stroke(p) {
  Object.assign(ctx, { strokeStyle: '#fff', lineWidth: 22, lineCap: 'round', lineJoin: 'round' });
  ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
  last = p;
  predictCanvas();
}
$('clear').onclick = () => { clear(); $('probs').replaceChildren(); };

// Dropped or chosen images: fitted onto the canvas, inverted when the background is light.
canvas.addEventListener('dragover', (e) => { e.preventDefault(); canvas.classList.add('drop'); });
canvas.addEventListener('dragleave', () => canvas.classList.remove('drop'));
canvas.addEventListener('drop', (e) => { e.preventDefault(); canvas.classList.remove('drop'); if (e.dataTransfer.files[0]) drawImage(e.dataTransfer.files[0]); });
$('image').onchange = (e) => { if (e.target.files[0]) drawImage(e.target.files[0]); e.target.value = ''; };
async function drawImage(file) {
  const img = await createImageBitmap(file);
  const s = Math.min(canvas.width / img.width, canvas.height / img.height);
  clear();
  ctx.drawImage(img, (canvas.width - img.width * s) / 2, (canvas.height - img.height * s) / 2, img.width * s, img.height * s);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let border = 0;
  for (let i = 0; i < canvas.width; i++) border += d.data[4 * i] + d.data[4 * (canvas.width * (canvas.height - 1) + i)];
  if (border / (2 * canvas.width) > 128) {
    for (let i = 0; i < d.data.length; i += 4) for (let c = 0; c < 3; c++) d.data[i + c] = 255 - d.data[i + c];
    ctx.putImageData(d, 0, 0);
  }
  predictCanvas();
}

// --- predictions: the canvas shrunk to 28x28, normalised as the training data; one request at a time ---
const small = Object.assign(document.createElement('canvas'), { width: 28, height: 28 }).getContext('2d', { willReadFrequently: true });
let predicting = false, pending = false;
function predictCanvas() {
  if (!trained) return;
  if (predicting) { pending = true; return; }
  predicting = true;
  small.imageSmoothingQuality = 'high';
  small.drawImage(canvas, 0, 0, 28, 28);
  const rgba = small.getImageData(0, 0, 28, 28).data, pixels = new Float32Array(784);
  for (let i = 0; i < 784; i++) pixels[i] = ((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 765 - MEAN) / STD;
  send({ type: 'predict', pixels }, [pixels.buffer]);
}
function showProbs(probs) {
  const top = probs.indexOf(Math.max(...probs));
  $('probs').replaceChildren(...probs.map((p, i) => {
    const li = document.createElement('li');
    li.className = i === top ? 'top' : '';
    li.dataset.prob = String(p);
    li.innerHTML = `<span>${CLASSES[i]}</span><span class="bar" style="width:${(p * 100).toFixed(1)}%"></span><span>${(p * 100).toFixed(1)}%</span>`;
    return li;
  }));
}
