// Worker of faults.test.ts: `faults.ts <mode>`; prints `RESULT <json>` with what this rank saw.
// Modes: init (join, barrier, leave), dead (rank 1 exits after joining; the others all-reduce),
// hang (rank 1 sleeps past the timeout), throw (rank 1 throws; the others wait in a barrier), nccl.
import * as torch from '../../../src/index.js';

const dist = torch.distributed;
const mode = process.argv[2];
const timeout = Number(process.env.TEST_TIMEOUT ?? 20000);
const report = (o: Record<string, unknown>) => console.log(`RESULT ${JSON.stringify(o)}`);
const t0 = Date.now();
try {
  // TEST_INIT_METHOD: tcp:// or file:// rendezvous, with rank and worldSize given explicitly.
  const initMethod = process.env.TEST_INIT_METHOD;
  await dist.initProcessGroup({
    backend: mode === 'nccl' ? 'nccl' : 'gloo', timeout,
    ...(initMethod ? { initMethod, rank: Number(process.env.RANK), worldSize: Number(process.env.WORLD_SIZE) } : {}),
  });
} catch (e) {
  report({ rank: Number(process.env.RANK), stage: 'init', error: (e as Error).message, ms: Date.now() - t0 });
  process.exit(1);
}
const r = dist.getRank();
// Uncaught, as a script's error would be: the launcher reports it from the rank's stderr.
if (mode === 'throw' && r === 1) throw new Error('rank one broke on purpose');
const t1 = Date.now();
try {
  if (mode === 'init') {
    const t = torch.tensor([r + 1]);
    await dist.allReduce(t);
    report({ rank: r, sum: t.itemSync() });
  }
  else if (mode === 'dead') { if (r === 1) process.exit(3); await dist.allReduce(torch.ones(4)); }
  else if (mode === 'hang') { if (r === 1) await new Promise((res) => setTimeout(res, 5000)); await dist.allReduce(torch.ones(4)); }
  else if (mode === 'throw') await dist.barrier();
  report({ rank: r, stage: 'run', ok: true });
  await dist.destroyProcessGroup();
} catch (e) {
  report({ rank: r, stage: 'run', error: (e as Error).message, ms: Date.now() - t1 });
  process.exit(1);
}
