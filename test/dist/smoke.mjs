// A small forward+backward workload run against the built bundle in every runtime (Node, Deno, a
// browser). Plain JavaScript on purpose: the same file loads unchanged everywhere. It returns plain
// numbers; the tests compare them with values computed independently by hand or by plain JS loops.

/** Deterministic small-integer inputs (exact in float32), shared with the tests' expected-value code. */
export function gemmInputs(m, k, n) {
  const a = [], b = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) a.push((((i * 7 + j * 3) % 11) - 5) / 4);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) b.push((((i * 5 + j * 2) % 13) - 6) / 8);
  return { a, b };
}

export const GEMM = { m: 37, k: 41, n: 29 };

export async function smoke(torch) {
  await torch.init();
  // Autograd through matmul, relu, pow, sum.
  const x = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32', requiresGrad: true });
  const w = torch.tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  const loss = x.matmul(w).relu().pow(2).sum();
  loss.backward();

  // A GEMM with odd sizes (exercises the kernels' edge handling) and its gradient.
  const { m, k, n } = GEMM;
  const { a: av, b: bv } = gemmInputs(m, k, n);
  const a = torch.tensor(av, { dtype: 'float32' }).reshape(m, k).requiresGrad_();
  const b = torch.tensor(bv, { dtype: 'float32' }).reshape(k, n);
  const c = torch.matmul(a, b);
  c.sum().backward();

  const p = torch.softmax(torch.tensor([1, 2, 3], { dtype: 'float32' }), 0);
  return {
    intDtype: torch.tensor([1, 2]).dtype,
    floatDtype: torch.tensor([0.5, 2]).dtype,
    loss: await loss.item(),
    xGrad: Array.from(await x.grad.data()),
    wGrad: Array.from(await w.grad.data()),
    gemm: Array.from(await c.data()),
    gemmGrad: Array.from(await a.grad.data()),
    softmax: Array.from(await p.data()),
  };
}

/**
 * The CPU threads: a large GEMM with 1 thread, then with 2 once the pool's worker is up; reports
 * whether the bits agree and the pool's state (Node, Deno and Bun run this through run-smoke.mjs).
 */
export async function threadsSmoke(torch) {
  const { a: av, b: bv } = gemmInputs(300, 300, 300);
  const a = torch.tensor(av, { dtype: 'float32' }).reshape(300, 300), b = torch.tensor(bv, { dtype: 'float32' }).reshape(300, 300);
  torch.setNumThreads(1);
  const one = new Uint32Array((await torch.matmul(a, b).data()).buffer);
  torch.setNumThreads(2);
  torch.matmul(a, b); // starts the worker in the background
  for (let t = 0; t < 2000 && torch.parallelInfo().workersReady < 1; t++) await new Promise((r) => setTimeout(r, 10));
  // On a loaded machine a ready worker may still be descheduled while the caller takes every part of
  // one GEMM: run it until the worker has taken part (every run must give the 1-thread bits).
  let same = true;
  for (let k = 0; k < 50; k++) {
    const two = new Uint32Array((await torch.matmul(a, b).data()).buffer);
    same &&= one.every((v, i) => v === two[i]);
    if (torch.parallelInfo().workerCalls > 0) break;
  }
  return { same, info: torch.parallelInfo() };
}
