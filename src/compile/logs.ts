// torch.compile's logging (PyTorch's TORCHLET_LOGS / TORCH_LOGS artifacts): `graph_breaks`,
// `recompiles`, `graph_code`. Read from the TORCHLET_LOGS environment variable (comma-separated) at
// first use, or set with torch.compiler.setLogs. Messages go to console.warn (stderr in Node).

/** The log artifacts torch.compile writes. */
export type LogArtifact = 'graph_breaks' | 'recompiles' | 'graph_code';
const ARTIFACTS: readonly LogArtifact[] = ['graph_breaks', 'recompiles', 'graph_code'];

let enabled: Set<LogArtifact> | null = null;

function fromEnv(): Set<LogArtifact> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raw = env?.TORCHLET_LOGS ?? '';
  const out = new Set<LogArtifact>();
  for (const part of raw.split(',').map((s) => s.trim().replace(/^\+/, ''))) {
    if ((ARTIFACTS as readonly string[]).includes(part)) out.add(part as LogArtifact);
  }
  return out;
}

/** Whether an artifact is logged. */
export function logEnabled(a: LogArtifact): boolean { return (enabled ??= fromEnv()).has(a); }

/** Writes a message of an artifact, when that artifact is on. */
export function log(a: LogArtifact, msg: string): void {
  if (logEnabled(a)) console.warn(`[torchlet.compile] [${a}] ${msg}`);
}

/** Options of torch.compiler.setLogs: which artifacts to print. */
export interface LogOptions {
  /** Where and why a graph broke. */
  graphBreaks?: boolean;
  /** Which guard failed when a function compiles again. */
  recompiles?: boolean;
  /** The statistics of each compiled program (kernels, fusions, memory). */
  graphCode?: boolean;
}
/** torch.compiler.setLogs({ graphBreaks, recompiles, graphCode }) (PyTorch's torch._logging.set_logs). */
export function setLogs(o: LogOptions): void {
  enabled = new Set();
  if (o.graphBreaks) enabled.add('graph_breaks');
  if (o.recompiles) enabled.add('recompiles');
  if (o.graphCode) enabled.add('graph_code');
}
