// torch.profiler: profile() records composite ops and the kernels under them (through the same
// dispatch mode and scope listener as graph capture), keyAverages().table() and Chrome traces.

export { profile, Profile, KeyAverages, ProfilerActivity } from './profile.js';
export type { ProfileOptions, ProfilerActivityName, KeyAverage, KeyAveragesOptions, TableOptions, ChromeTraceEvent, GpuTime } from './profile.js';
export type { ProfilerEvent } from './recorder.js';
