// Worker of bench/distributed.ts (one process per rank, started by `torchlet run`): allReduce
// times for 1-64 MB float32 tensors, then DDP training-step times of a small MLP, printed by rank 0
// as one `RESULT <json>` line. argv: [sizesMB comma list] [iters].
import * as torch from '../src/index.js';

const dist = torch.distributed;
await dist.initProcessGroup({ backend: 'gloo' });
const rank = dist.getRank(), world = dist.getWorldSize();
torch.setNumThreads(1); // n processes on n cores, one thread each (as the single-process figure)
const sizes = (process.argv[2] ?? '1,4,16,64').split(',').map(Number), iters = Number(process.argv[3] ?? 5);
const allReduce: Record<string, number> = {};
for (const mb of sizes) {
  const t = torch.ones([(mb * 2 ** 20) / 4]);
  for (let i = 0; i < 2; i++) await dist.allReduce(t); // warm-up (connections, buffers)
  await dist.barrier();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await dist.allReduce(t);
  allReduce[mb] = (performance.now() - t0) / iters;
}

// DDP: the same MLP and global batch as the single-process run in bench/distributed.ts.
torch.manualSeed(0);
const model = new torch.nn.Sequential(new torch.nn.Linear(256, 512), new torch.nn.ReLU(), new torch.nn.Linear(512, 512), new torch.nn.ReLU(), new torch.nn.Linear(512, 10));
const ddp = new torch.nn.parallel.DistributedDataParallel(model);
const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01 });
const x = torch.randn([256 / world, 256]), y = torch.randint(0, 10, [256 / world]);
const step = () => { opt.zeroGrad(); torch.nn.functional.crossEntropy(ddp.call(x) as torch.Tensor, y).backward(); opt.step(); };
for (let i = 0; i < 3; i++) step();
await dist.barrier();
const t0 = performance.now();
for (let i = 0; i < 10; i++) step();
const ddpStep = (performance.now() - t0) / 10;
if (rank === 0) console.log(`RESULT ${JSON.stringify({ world, allReduce, ddpStep })}`);
await dist.destroyProcessGroup();
