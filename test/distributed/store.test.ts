// The TCP store of torch.distributed (src/distributed/store.ts), in one process: set/get/add/wait with
// timeouts, rendezvous checks (world size, duplicate rank), a port in use. Needs no addon.
import { describe, it, expect } from 'vitest';
import { StoreServer, StoreClient } from '../../src/distributed/store.js';

describe('TCP store', () => {
  it('set/get/add/wait, with get waiting for a later set and timing out', async () => {
    const server = await StoreServer.listen(0, 2);
    const a = await StoreClient.connect('127.0.0.1', server.port, 2000);
    const b = await StoreClient.connect('127.0.0.1', server.port, 2000);
    try {
      const later = b.get('k');
      await a.set('k', 'v1');
      expect(new TextDecoder().decode(await later)).toBe('v1');
      expect(await a.add('n', 2)).toBe(2);
      expect(await b.add('n', 5)).toBe(7);
      await b.wait(['k', 'n']);
      const t0 = Date.now();
      await expect(a.get('never', 300)).rejects.toThrow(/store.get\('never'\): timed out/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      // Requests on one connection are answered in order even when an earlier one waits.
      const [x, y] = [a.get('x', 2000), a.add('y', 1)];
      await b.set('x', 'late');
      expect(new TextDecoder().decode(await x)).toBe('late');
      expect(await y).toBe(1);
    } finally { a.close(); b.close(); server.close(); }
  });

  it('rendezvous: ranks say hello; a world-size mismatch or a duplicate rank fails everyone waiting', async () => {
    const server = await StoreServer.listen(0, 3);
    const c = await Promise.all([0, 1, 2, 3].map(() => StoreClient.connect('127.0.0.1', server.port, 3000)));
    try {
      await c[0]!.hello(0, 3);
      const waiting = c[0]!.get('__ready');
      await expect(c[1]!.hello(1, 4)).rejects.toThrow('initProcessGroup: mismatched world sizes: rank 1 was started with worldSize 4, rank 0 with 3');
      await expect(waiting).rejects.toThrow(/mismatched world sizes/);
      const s2 = await StoreServer.listen(0, 2);
      const d = await Promise.all([0, 1].map(() => StoreClient.connect('127.0.0.1', s2.port, 3000)));
      await d[0]!.hello(1, 2);
      await expect(d[1]!.hello(1, 2)).rejects.toThrow('initProcessGroup: duplicate rank 1: two processes claimed rank 1');
      d.forEach((x) => x.close()); s2.close();
    } finally { c.forEach((x) => x.close()); server.close(); }
  });

  it('a port in use and an unreachable store are clear errors', async () => {
    const server = await StoreServer.listen(0, 1);
    try {
      await expect(StoreServer.listen(server.port, 1)).rejects.toThrow(new RegExp(`port ${server.port} is already in use \\(EADDRINUSE\\)`));
    } finally { server.close(); }
    await expect(StoreClient.connect('127.0.0.1', server.port, 300)).rejects.toThrow(/could not reach the store at 127.0.0.1:\d+ within 300 ms .*is rank 0 running/);
  });
});
