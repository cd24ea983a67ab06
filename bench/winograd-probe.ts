// `node --experimental-wasm-relaxed-simd --import tsx bench/winograd-probe.ts`: Winograd F(2x2, 3x3)
// forward of the `npm start` CNN's second convolution ([64, 16, 14, 14] -> 32 channels), built from
// existing ops (unfold, small matmuls, permutes), timed beside F.conv2d (im2col + GEMM) on the CPU, with
// its parts. A measurement for issue #9's "im2col + GEMM or Winograd, decide by measurement": it shows
// what the GEMM part would save and what dedicated transform kernels would have to cost.
import * as torch from '../src/index.js';
const F = torch.nn.functional;
const [N, C, H, W, OC] = [64, 16, 14, 14, 32];
const x = torch.randn([N, C, H, W]), w = torch.randn([OC, C, 3, 3]);
const G = torch.tensor([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]);
const BT = torch.tensor([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], { dtype: 'float32' });
const AT = torch.tensor([[1, 1, 1, 0], [0, 1, -1, -1]], { dtype: 'float32' });
const kron = (a: torch.Tensor, b: torch.Tensor) => a.unsqueeze(1).unsqueeze(3).mul(b.unsqueeze(0).unsqueeze(2)).reshape(a.shape[0]! * b.shape[0]!, a.shape[1]! * b.shape[1]!);
const KB = kron(BT, BT), KA = kron(AT, AT); // [16,16], [4,16]
// U = G g G^T per (oc, c): [16, OC, C] (weights transform: once per step in training, excluded below)
const U = kron(G, G).matmul(w.reshape(OC * C, 9).t()).reshape(16, OC, C);
const T = (H / 2) * (W / 2);
function wino(): torch.Tensor {
  const d = F.unfold(x, 4, { stride: 2, padding: 1 }).reshape(N, C, 16, T);      // input tiles
  const V = KB.matmul(d).permute(2, 1, 0, 3).reshape(16, C, N * T);            // B^T d B, [16, C, N*T]
  const M = U.matmul(V);                                                        // [16, OC, N*T]
  const Y = KA.matmul(M.reshape(16, OC * N * T)).reshape(2, 2, OC, N, H / 2, W / 2); // A^T m A
  return Y.permute(3, 2, 4, 0, 5, 1).reshape(N, OC, H, W);
}
const ref = F.conv2d(x, w, null, { padding: 1 });
console.log('max abs diff vs conv2d', wino().sub(ref).abs().max().itemSync());
const t = (f: () => torch.Tensor) => { let best = 1e9; for (let i = 0; i < 40; i++) { const t0 = performance.now(); const r = f(); best = Math.min(best, performance.now() - t0); r.dispose(); } return best.toFixed(3); };
for (let k = 0; k < 2; k++) {
  console.log('conv2d (im2col + GEMM)', t(() => F.conv2d(x, w, null, { padding: 1 })), 'ms;  winograd from ops', t(wino), 'ms');
  const d = F.unfold(x, 4, { stride: 2, padding: 1 }).reshape(N, C, 16, T);
  const V = KB.matmul(d).permute(2, 1, 0, 3).reshape(16, C, N * T); const M = U.matmul(V);
  console.log('  parts: tiles', t(() => F.unfold(x, 4, { stride: 2, padding: 1 })), 'in-transform+permute', t(() => KB.matmul(d).permute(2, 1, 0, 3).reshape(16, C, N * T)),
    '16 GEMMs', t(() => U.matmul(V)), 'out-transform+permute', t(() => KA.matmul(M.reshape(16, OC * N * T)).reshape(2, 2, OC, N, H / 2, W / 2).permute(3, 2, 4, 0, 5, 1).reshape(N, OC, H, W)));
}
