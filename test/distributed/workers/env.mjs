// Worker of launcher.test.ts: prints the torchrun variables the launcher set, and its arguments.
const keys = ['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'MASTER_ADDR', 'MASTER_PORT'];
console.log(`RESULT ${JSON.stringify({ ...Object.fromEntries(keys.map((k) => [k, process.env[k]])), args: process.argv.slice(2) })}`);
