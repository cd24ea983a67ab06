// Runs smoke.mjs (the workload, then the CPU threads check) against a built bundle and prints the
// result as one JSON line.
// Usage: node test/dist/run-smoke.mjs torchlet        (the package's own "exports", from the repo root)
//        deno run test/dist/run-smoke.mjs <file URL of dist/torchlet.js>
//        bun test/dist/run-smoke.mjs <file URL or torchlet>  (Bun has process.argv)
import { smoke, threadsSmoke } from './smoke.mjs';

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const torch = await import(args[0] ?? 'torchlet');
console.log(JSON.stringify({ ...(await smoke(torch)), threads: await threadsSmoke(torch) }));
