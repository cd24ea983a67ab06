# PyTorch's gloo allreduce beside torchlet's (bench/distributed.ts): world_size processes on this
# machine, float32 tensors of the given MB sizes, mean time of `iters` allreduces after 2 warm-ups.
# Usage: torch_gloo_allreduce.py WORLD SIZES_MB ITERS PORT; prints one JSON line (rank 0's times, ms).
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, world, sizes, iters, port, q):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    out = {}
    for mb in sizes:
        t = torch.ones(mb * 2**20 // 4)
        for _ in range(2):
            dist.all_reduce(t)
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(t)
        out[str(mb)] = (time.perf_counter() - t0) / iters * 1000
    if rank == 0:
        q.put(out)
    dist.destroy_process_group()


if __name__ == "__main__":
    world, sizes, iters, port = int(sys.argv[1]), [int(s) for s in sys.argv[2].split(",")], int(sys.argv[3]), int(sys.argv[4])
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=run, args=(r, world, sizes, iters, port, q)) for r in range(world)]
    for p in procs:
        p.start()
    res = q.get()
    for p in procs:
        p.join()
    print(json.dumps(res))
